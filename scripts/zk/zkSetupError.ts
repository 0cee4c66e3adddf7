/**
 * Why a ZK setup refused a model, and EZKL's failures turned into messages that name the
 * cause: the operator EZKL cannot prove, the circuit size over the limit, the bad input file.
 */

export type ZkSetupErrorKind =
  /** The venv with ezkl is not installed (npm install makes it). */
  | 'ezklMissing'
  /** An input EZKL cannot take: a string tensor, an unknown dim, no input at all. */
  | 'unsupportedInput'
  /** The calibration file is not EZKL's input format for this model. */
  | 'badCalibration'
  /** EZKL (tract) has no circuit for an operator of the model. */
  | 'unsupportedOperator'
  /** The calibrated circuit needs more rows than the limit (2^maxLogrows), or a key is over the hub's artefact limit. */
  | 'tooLarge'
  /** Setup finished, but proving or verifying the sample input failed. */
  | 'selfCheckFailed'
  /** Any other EZKL failure, with EZKL's message. */
  | 'ezklFailed'

export class ZkSetupError extends Error {
  constructor(
    readonly kind: ZkSetupErrorKind,
    message: string,
    /** For `unsupportedOperator`: the ONNX operator; for `tooLarge`: the circuit's logrows, or the artefact and its size. */
    readonly detail: { operator?: string; logrows?: number; maxLogrows?: number; artefact?: string; bytes?: number } = {},
  ) {
    super(message)
    this.name = 'ZkSetupError'
  }
}

/** Names tract reports for ONNX operators it knows but EZKL does not, where they differ. */
const TRACT_NAMES: Record<string, string> = { Rem: 'Mod', IsNan: 'IsNaN', IsInf: 'IsInf' }

/** Steps of the self-check: a failure there means the circuit was made but cannot prove. */
const SELF_CHECK_STEPS = new Set(['witness', 'prove', 'verify'])

/**
 * The error for an EZKL step that failed with `message`, given what EZKL printed meanwhile
 * (`output`: tract's "Unknown op: Rem", "Unimplemented(Det)"…) and the model's operators.
 * @example ezklFailure('settings', 'Failed to generate settings: [graph] [tract] Translating node #1 "Det_0" Unimplemented(Det) ToTypedTranslator', '', ['Det']).message
 * // 'EZKL cannot prove operator Det (node "Det_0"): EZKL 21 has no circuit for it. …'
 */
export function ezklFailure(step: string, message: string, output: string, modelOps: readonly string[]): ZkSetupError {
  const operator = unsupportedOperator(message, output, modelOps)
  if (operator) {
    const node = /Translating node #\d+ "([^"]+)"/u.exec(message)?.[1]
    return new ZkSetupError(
      'unsupportedOperator',
      `EZKL cannot prove operator ${operator}${node ? ` (node "${node}")` : ''}: EZKL 21 has no circuit for it. ` +
        `Change the model so it does without ${operator} (its operators: ${modelOps.join(', ')}), or register it without ZKML. ` +
        `(EZKL: ${oneLine(message)})`,
      { operator },
    )
  }
  if (SELF_CHECK_STEPS.has(step)) {
    return new ZkSetupError(
      'selfCheckFailed',
      `the circuit was set up but the self-check failed at "${step}" on the first calibration sample, so proofs of this model ` +
        `would fail too: ${oneLine(message)}`,
    )
  }
  return new ZkSetupError(
    'ezklFailed',
    `EZKL could not ${STEP_VERBS[step] ?? step} (step "${step}"): ${oneLine(message)}` +
      (step === 'settings' || step === 'compile' ? `; the model uses operators ${modelOps.join(', ')}` : ''),
  )
}

const STEP_VERBS: Record<string, string> = {
  settings: 'turn the model into a circuit',
  calibrate: 'calibrate the circuit',
  compile: 'compile the circuit',
  srs: 'generate the structured reference string',
  keys: 'generate the proving and verifying keys',
}

/** The ONNX operator EZKL says it cannot handle, if its words name one. */
function unsupportedOperator(message: string, output: string, modelOps: readonly string[]): string | undefined {
  const named = /Unimplemented\(([A-Za-z0-9_]+)\)/u.exec(message)?.[1] ?? /Unknown op: (?:onnx\.)?([A-Za-z0-9_]+)/u.exec(output)?.[1]
  if (!named) return undefined
  const alias = TRACT_NAMES[named] ?? named
  // The model's own spelling when there is one (tract's may differ in case).
  return modelOps.find((op) => op.toLowerCase() === alias.toLowerCase()) ?? alias
}

/** Long EZKL messages on one line, cut to a readable length. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/gu, ' ').trim()
  return flat.length > 400 ? `${flat.slice(0, 400)}…` : flat
}
