import type { AppError } from '../errors.ts'
import {
  ErrDuplicateName,
  ErrModelEmpty,
  ErrModelTooLarge,
  ErrNoOutputs,
  ErrNotATensor,
  ErrNotOnnx,
  ErrUnnamedValue,
  ErrUnsupportedElementType,
  ErrUnsupportedIrVersion,
  ErrUnsupportedOpset,
} from './errors.ts'
import { type OnnxElementType, type OnnxModelInfo, OnnxParseError, type OnnxProblem, parseOnnxModel } from './onnxModel.ts'

/**
 * Opsets of the default ONNX domain that onnxruntime-node 1.30 runs. Measured: opset 7–26 load
 * and run; 27+ are refused ("Current official support for domain ai.onnx is till opset 26");
 * below 7 onnxruntime only warns and then lacks kernels for old operator versions, so uploads
 * would fail later and less clearly. (EZKL proofs need 9–18; that is checked where ZK mode is
 * chosen, not here.)
 */
export const SUPPORTED_OPSETS = { min: 7, max: 26 } as const

/**
 * IR versions onnxruntime 1.30 loads. Measured: 14+ fails with "max supported IR version: 13";
 * IR 3 is the first with opset imports, which every model needs.
 */
export const SUPPORTED_IR_VERSIONS = { min: 3, max: 13 } as const

/**
 * Element types inputs and outputs may have: the ones a contract's tensors convert to and from
 * (float16/bfloat16 and the 4-/8-bit float types have no JavaScript array and are refused).
 */
export const SUPPORTED_ELEMENT_TYPES: ReadonlySet<OnnxElementType> = new Set<OnnxElementType>([
  'float32',
  'float64',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'string',
  'bool',
])

/** Default `maxModelBytes` of a store: 64 MiB. */
export const DEFAULT_MAX_MODEL_BYTES = 64 * 1024 * 1024

/**
 * The checks made on a model's bytes before onnxruntime sees them: size, ONNX structure, opset
 * and IR version, and that every input and output is a named tensor of a supported type.
 * Throws an AppError with the failed check's own code; returns the parsed model otherwise.
 * @example validateModelStructure(fs.readFileSync('models/risk-scorer.onnx'), { maxModelBytes: 64 << 20 }).opset // 13
 */
export function validateModelStructure(bytes: Uint8Array, limits: { maxModelBytes: number }): OnnxModelInfo {
  checkModelSize(bytes, limits.maxModelBytes)
  let info: OnnxModelInfo
  try {
    info = parseOnnxModel(bytes)
  } catch (err) {
    if (!(err instanceof OnnxParseError)) throw err
    // The parser stops at the first bad input/output; say precisely what is wrong with it.
    const detail = err.message.replace(/^not (?:a well-formed |an )ONNX model: /u, '')
    throw valueInfoProblem(err.problem) ?? ErrNotOnnx.with(`${detail} (is this an .onnx file?)`)
  }
  if (info.irVersion < SUPPORTED_IR_VERSIONS.min || info.irVersion > SUPPORTED_IR_VERSIONS.max) {
    throw ErrUnsupportedIrVersion.with(
      `IR version ${info.irVersion} is outside ${SUPPORTED_IR_VERSIONS.min}–${SUPPORTED_IR_VERSIONS.max}, the range onnxruntime 1.30 loads`,
    )
  }
  if (info.opset < SUPPORTED_OPSETS.min || info.opset > SUPPORTED_OPSETS.max) {
    throw ErrUnsupportedOpset.with(
      `opset ${info.opset} is outside ${SUPPORTED_OPSETS.min}–${SUPPORTED_OPSETS.max}, the range onnxruntime 1.30 supports; ` +
        'convert the model (e.g. onnx.version_converter) to an opset in that range',
    )
  }
  if (info.outputs.length === 0) throw ErrNoOutputs.with('the graph declares no outputs, so an inference could return nothing')
  for (const [kind, values] of [
    ['input', info.inputs],
    ['output', info.outputs],
  ] as const) {
    for (const v of values) {
      if (!SUPPORTED_ELEMENT_TYPES.has(v.type)) {
        throw ErrUnsupportedElementType.with(`${kind} "${v.name}" is ${v.type}; supported: ${[...SUPPORTED_ELEMENT_TYPES].join(', ')}`)
      }
    }
  }
  const seen = new Set<string>()
  for (const v of [...info.inputs, ...info.outputs]) {
    if (seen.has(v.name)) throw ErrDuplicateName.with(`"${v.name}" is used by more than one graph input or output`)
    seen.add(v.name)
  }
  return info
}

/** Throws ErrModelEmpty or ErrModelTooLarge; the first check of an upload, before hashing. */
export function checkModelSize(bytes: Uint8Array, maxModelBytes: number): void {
  if (bytes.length === 0) throw ErrModelEmpty.with('the upload has 0 bytes; send the contents of an .onnx file')
  if (bytes.length > maxModelBytes) {
    throw ErrModelTooLarge.with(`the model has ${formatBytes(bytes.length)}, over this node's limit of ${formatBytes(maxModelBytes)}`)
  }
}

/** Names of `TensorProto.DataType` codes the parser does not know, for error messages. */
const OTHER_TYPE_NAMES: Record<number, string> = {
  0: 'undefined',
  14: 'complex64',
  15: 'complex128',
  17: 'float8e4m3fn',
  18: 'float8e4m3fnuz',
  19: 'float8e5m2',
  20: 'float8e5m2fnuz',
  21: 'uint4',
  22: 'int4',
  23: 'float4e2m1',
}

/** The error for a graph input or output the hub cannot take; undefined if the model is broken in another way. */
function valueInfoProblem(p: OnnxProblem): AppError | undefined {
  if (p.kind === 'unnamed') return ErrUnnamedValue.with(`graph ${p.what} #${p.index} has an empty name; every input and output needs one`)
  if (p.kind === 'notTensor')
    return ErrNotATensor.with(`${p.what} "${p.name}" is ${p.is}; only tensors can be passed to and from contracts`)
  if (p.kind === 'unknownType') {
    const typeName = OTHER_TYPE_NAMES[p.code]
    if (typeName !== undefined) {
      return ErrUnsupportedElementType.with(
        `${p.what} "${p.name}" is ${typeName} (type ${p.code}); supported: ${[...SUPPORTED_ELEMENT_TYPES].join(', ')}`,
      )
    }
  }
  return undefined
}

/** `1536` → `1.5 KiB`; exact bytes below 1 KiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`
  const units = ['KiB', 'MiB', 'GiB']
  let v = n / 1024
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]} (${n} bytes)`
}
