import { decodeModelProto, int64, type OnnxValueInfoProto } from './onnxProto.ts'

/**
 * ONNX element types (onnx.proto `TensorProto.DataType`), by number.
 * https://github.com/onnx/onnx/blob/main/onnx/onnx.proto
 */
export const ONNX_TYPES = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
} as const

export type OnnxElementType = (typeof ONNX_TYPES)[keyof typeof ONNX_TYPES]

/** A graph input or output: name, element type and shape (a string for symbolic dims, -1 unknown). */
export interface OnnxValueInfo {
  name: string
  type: OnnxElementType
  shape: (number | string)[]
}

/** What upload validation and the precompile need to know about a model. */
export interface OnnxModelInfo {
  irVersion: number
  /** Opset of the default ("" / "ai.onnx") domain. */
  opset: number
  /** Other operator domains the model imports (e.g. "ai.onnx.ml"). */
  otherDomains: { domain: string; version: number }[]
  inputs: OnnxValueInfo[]
  outputs: OnnxValueInfo[]
  nodeCount: number
  /** Operator types used, sorted. */
  ops: string[]
  /** Total elements of all initializers (the model's parameter count). */
  parameters: number
}

/**
 * What is wrong with the bytes: `malformed` (not an ONNX model at all), or a graph input or
 * output that is `unnamed`, `notTensor` (`kind` says what it is instead) or of an
 * `unknownType` (`code` is its TensorProto.DataType).
 */
export type OnnxProblem =
  | { kind: 'malformed' }
  | { kind: 'unnamed'; what: 'input' | 'output'; index: number }
  | { kind: 'notTensor'; what: 'input' | 'output'; name: string; is: string }
  | { kind: 'unknownType'; what: 'input' | 'output'; name: string; code: number }

/** The bytes are not an ONNX model, or a graph input or output is not one the hub can describe. */
export class OnnxParseError extends Error {
  constructor(
    message: string,
    readonly problem: OnnxProblem = { kind: 'malformed' },
  ) {
    super(message)
  }
}

/** `TypeProto` oneof members other than a tensor, named for error messages. */
const NOT_TENSOR: [keyof NonNullable<OnnxValueInfoProto['type']>, string][] = [
  ['sequenceType', 'a sequence'],
  ['mapType', 'a map'],
  ['sparseTensorType', 'a sparse tensor'],
  ['optionalType', 'an optional'],
]

/**
 * Reads a serialized ONNX `ModelProto`: IR version, opsets, graph inputs (without initializers,
 * which old IR versions list as inputs) and outputs with their types and shapes.
 * @example parseOnnxModel(fs.readFileSync('models/risk-scorer.onnx')).inputs[0] // { name: 'features', type: 'float32', shape: ['batch', 4] }
 */
export function parseOnnxModel(bytes: Uint8Array): OnnxModelInfo {
  let model: ReturnType<typeof decodeModelProto>
  try {
    model = decodeModelProto(bytes)
  } catch (err) {
    throw new OnnxParseError(`not a well-formed ONNX model: ${(err as Error).message}`)
  }
  const { graph } = model
  if (!Object.hasOwn(model, 'irVersion') || !graph) {
    throw new OnnxParseError('not an ONNX model: ir_version (field 1) and graph (field 7) are required')
  }
  let opset: number | undefined
  const otherDomains: { domain: string; version: number }[] = []
  for (const o of model.opsetImport) {
    const version = int64(o.version)
    if (o.domain === '' || o.domain === 'ai.onnx') opset = version
    else otherDomains.push({ domain: o.domain, version })
  }
  if (opset === undefined) throw new OnnxParseError('the model imports no opset of the default ONNX domain')
  const initializerNames = new Set(graph.initializer.map((t) => t.name))
  const parameters = graph.initializer.reduce((n, t) => n + t.dims.reduce((m: number, d) => m * int64(d), 1), 0)
  const inputs = graph.input.map((v, i) => valueInfo(v, 'input', i)).filter((v) => !initializerNames.has(v.name))
  const outputs = graph.output.map((v, i) => valueInfo(v, 'output', i))
  const ops = [...new Set(graph.node.map((n) => n.opType))].sort()
  return { irVersion: int64(model.irVersion), opset, otherDomains, inputs, outputs, nodeCount: graph.node.length, ops, parameters }
}

function valueInfo(v: OnnxValueInfoProto, what: 'input' | 'output', index: number): OnnxValueInfo {
  const { name } = v
  if (name === '') throw new OnnxParseError(`a graph ${what} has no name`, { kind: 'unnamed', what, index: index + 1 })
  const tensor = v.type?.tensorType
  if (!tensor) {
    const is = NOT_TENSOR.find(([field]) => v.type?.[field] !== undefined && v.type?.[field] !== null)?.[1] ?? 'of no type'
    throw new OnnxParseError(`${what} "${name}" is not a tensor (sequences and maps are not supported)`, {
      kind: 'notTensor',
      what,
      name,
      is,
    })
  }
  const code = tensor.elemType
  const type = ONNX_TYPES[code as keyof typeof ONNX_TYPES]
  if (!type) throw new OnnxParseError(`${what} "${name}" has unknown element type ${code}`, { kind: 'unknownType', what, name, code })
  const shape = (tensor.shape?.dim ?? []).map((d) =>
    d.value === 'dimValue' ? int64(d.dimValue) : d.value === 'dimParam' ? (d.dimParam as string) : -1,
  )
  return { name, type, shape }
}
