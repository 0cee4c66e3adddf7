import { ProtoError, int64, readFields, repeatedInts, text, type ProtoField } from './protobuf.ts'

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

/** The bytes are not an ONNX model, or a field has a value ONNX does not allow. */
export class OnnxParseError extends Error {}

const byField = (fields: ProtoField[], n: number) => fields.filter((f) => f.field === n)
const one = (fields: ProtoField[], n: number) => fields.find((f) => f.field === n)

/**
 * Reads a serialized ONNX `ModelProto`: IR version, opsets, graph inputs (without initializers,
 * which old IR versions list as inputs) and outputs with their types and shapes.
 * @example parseOnnxModel(fs.readFileSync('models/risk-scorer.onnx')).inputs[0] // { name: 'features', type: 'float32', shape: [-1, 4] }
 */
export function parseOnnxModel(bytes: Uint8Array): OnnxModelInfo {
  try {
    return parseModel(bytes)
  } catch (err) {
    if (err instanceof ProtoError) throw new OnnxParseError(`not a well-formed ONNX model: ${err.message}`)
    throw err
  }
}

function parseModel(bytes: Uint8Array): OnnxModelInfo {
  const model = readFields(bytes)
  const ir = one(model, 1)
  const graphField = one(model, 7)
  if (!ir || ir.wire !== 0 || !graphField || graphField.wire !== 2) {
    throw new OnnxParseError('not an ONNX model: ir_version (field 1) and graph (field 7) are required')
  }
  let opset: number | undefined
  const otherDomains: { domain: string; version: number }[] = []
  for (const f of byField(model, 8)) {
    const o = readFields(f.bytes)
    const domain = text(one(o, 1)?.bytes ?? new Uint8Array(0))
    const version = Number(int64(one(o, 2) ?? { field: 2, wire: 0, int: 0n, bytes: new Uint8Array(0) }))
    if (domain === '' || domain === 'ai.onnx') opset = version
    else otherDomains.push({ domain, version })
  }
  if (opset === undefined) throw new OnnxParseError('the model imports no opset of the default ONNX domain')
  const graph = readFields(graphField.bytes)
  const initializerNames = new Set<string>()
  let parameters = 0
  for (const t of byField(graph, 5)) {
    const tf = readFields(t.bytes)
    initializerNames.add(text(one(tf, 8)?.bytes ?? new Uint8Array(0)))
    parameters += repeatedInts(tf, 1).reduce((n, d) => n * Number(d), 1)
  }
  const ops = new Set<string>()
  const nodes = byField(graph, 1)
  for (const n of nodes) ops.add(text(one(readFields(n.bytes), 4)?.bytes ?? new Uint8Array(0)))
  const inputs = byField(graph, 11)
    .map((f) => valueInfo(f.bytes, 'input'))
    .filter((v) => !initializerNames.has(v.name))
  const outputs = byField(graph, 12).map((f) => valueInfo(f.bytes, 'output'))
  return { irVersion: Number(ir.int), opset, otherDomains, inputs, outputs, nodeCount: nodes.length, ops: [...ops].sort(), parameters }
}

function valueInfo(bytes: Uint8Array, what: string): OnnxValueInfo {
  const f = readFields(bytes)
  const name = text(one(f, 1)?.bytes ?? new Uint8Array(0))
  if (name === '') throw new OnnxParseError(`a graph ${what} has no name`)
  const typeField = one(f, 2)
  const tensor = typeField ? one(readFields(typeField.bytes), 1) : undefined
  if (!tensor) throw new OnnxParseError(`${what} "${name}" is not a tensor (sequences and maps are not supported)`)
  const t = readFields(tensor.bytes)
  const code = Number(one(t, 1)?.int ?? 0n) as keyof typeof ONNX_TYPES
  const type = ONNX_TYPES[code]
  if (!type) throw new OnnxParseError(`${what} "${name}" has unknown element type ${code}`)
  const shapeField = one(t, 2)
  const shape = shapeField
    ? byField(readFields(shapeField.bytes), 1).map((d) => {
        const df = readFields(d.bytes)
        const v = one(df, 1)
        if (v) return Number(int64(v))
        const p = one(df, 2)
        return p ? text(p.bytes) : -1
      })
    : []
  return { name, type, shape }
}
