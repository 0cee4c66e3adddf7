import type { AppError } from '../../../errors.ts'
import type { ModelMetadata } from '../../../modelHub/modelMetadata.ts'
import { ErrModeUnavailable } from '../errors.ts'
import type { InferenceRequest } from '../types/request.ts'
import type { InferenceResult, ResultLookup } from '../types/result.ts'

/** What the precompile reads of a model in the hub (node-local: only checked runs read it). */
export interface ModelCatalog {
  metadata(cid: string): Promise<Pick<ModelMetadata, 'inputs' | 'outputs' | 'costMicros'> | undefined>
}

/**
 * Whether a model may be asked for in a mode, by committed registrations (the same on every
 * validator, so every kind of run below asks it): ErrModeUnavailable saying why not, or undefined.
 */
export interface ModeRules {
  refusal(modelCid: string, mode: number): Promise<AppError | undefined>
}

/**
 * How one EVM run answers inference calls; one kind per place the EVM runs:
 * - `block`: FinalizeBlock and ProcessProposal. Only the block's results; a call without one
 *   reverts. Nothing node-local is read, so what a tx gets depends on the proposal and
 *   committed state alone.
 * - `simulation`: the inference mempool. Requests are checked against the model hub; one not
 *   computed yet is computed now when `compute` takes it (the run waits for it: simulation
 *   threads), else answered with the empty output flagged `is_simulation_result`.
 * - `call`: eth_call and eth_estimateGas. Checked, and computed now when not known.
 */
export type InferenceAnswers =
  | { kind: 'block'; results: ResultLookup; modes: ModeRules }
  | {
      kind: 'simulation'
      results: ResultLookup
      modes: ModeRules
      models: ModelCatalog
      /** The result, computed now; undefined: not now (answered with the placeholder). */
      compute?: (request: InferenceRequest) => Promise<InferenceResult> | undefined
    }
  | {
      kind: 'call'
      results: ResultLookup
      modes: ModeRules
      models: ModelCatalog
      compute(request: InferenceRequest): Promise<InferenceResult>
    }

/**
 * How one inference call ended:
 * - `answered`: the precompile returned `output`;
 * - `placeholder`: simulation, not computed yet: the empty simulation output was returned;
 * - `missing`: the block carries no result for it; the call reverted;
 * - `outOfGas`: the model's gas was more than the call had left (`gas`); the call ran out of gas.
 */
export type InferenceCallOutcome = 'answered' | 'placeholder' | 'missing' | 'outOfGas'

/** One inference call a tx made, with its request and how the precompile answered it. */
export interface InferenceCall {
  request: InferenceRequest
  /** 0-based order of the call in its tx. */
  index: number
  /** keccak256(tx hash ‖ index, 4 bytes big-endian): the id of its record and its event. */
  inferenceId: Uint8Array
  outcome: InferenceCallOutcome
  /** The ABI-encoded ModelOutput returned (`answered`). */
  output?: Uint8Array
  /** `outOfGas`: the gas the call needed and the gas it had. */
  gas?: { needed: bigint; available: bigint }
}

/**
 * The precompile's view of one tx's execution: how to answer, and what was asked. The code
 * that runs the EVM makes one per tx ({@link txInferenceCalls}) and reads it afterwards.
 */
export interface TxInferenceCalls {
  /** Hash of the tx being executed; inference ids derive from it. */
  txHash: Uint8Array
  answers: InferenceAnswers
  /** The calls answered (or run out of gas), in order. */
  calls: InferenceCall[]
  /** Requests refused as invalid in checked runs (unknown model, bad input, too many, a failed computation), in order. */
  refused: AppError[]
}

export function txInferenceCalls(txHash: Uint8Array, answers: InferenceAnswers): TxInferenceCalls {
  return { txHash, answers, calls: [], refused: [] }
}

const NO_RESULTS: ResultLookup = { get: () => undefined }

/** Mode rules with no registrations: VANILLA only (placeholders before a block, and unit tests). */
export const VANILLA_ONLY: ModeRules = {
  refusal: async (_cid, mode) => (mode === 0 ? undefined : ErrModeUnavailable.with(`mode ${mode}: no model is registered for it`)),
}

/** Block answers: the given results only. */
export function blockAnswers(modes: ModeRules, results: ResultLookup = NO_RESULTS): InferenceAnswers {
  return { kind: 'block', results, modes }
}
