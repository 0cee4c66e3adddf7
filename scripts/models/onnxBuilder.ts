import { ONNX_TYPES, type OnnxElementType } from '../../app/modelHub/onnxModel.ts'
import { encodeModelProto } from '../../app/modelHub/onnxProto.ts'

/**
 * Builds ONNX models in code (no Python, no downloads): graph inputs and outputs, initializers
 * and nodes, serialized as a `ModelProto`.
 * @example
 * const m = new OnnxBuilder({ opset: 13 })
 * m.input('x', 'float32', ['batch', 4]).output('y', 'float32', ['batch', 1])
 * m.initializer('w', [4, 1], new Float32Array([0.1, 0.2, 0.3, 0.4]))
 * m.node('MatMul', ['x', 'w'], ['y'])
 * fs.writeFileSync('tiny.onnx', m.build())
 */
export type AttributeValue = number | bigint | string | number[] | { floats: number[] } | { tensor: TensorSpec }

export interface TensorSpec {
  dims: number[]
  type?: 'float32' | 'int64' | 'int32' | 'float64'
  data: ArrayLike<number> | bigint[]
}

const TYPE_CODE = Object.fromEntries(Object.entries(ONNX_TYPES).map(([k, v]) => [v, Number(k)])) as Record<OnnxElementType, number>

interface NodeSpec {
  op: string
  inputs: string[]
  outputs: string[]
  attrs: Record<string, AttributeValue>
  name: string
  domain: string
}

export class OnnxBuilder {
  private readonly inputs: { name: string; type: OnnxElementType; shape: (number | string)[] }[] = []
  private readonly outputs: { name: string; type: OnnxElementType; shape: (number | string)[] }[] = []
  private readonly initializers: (TensorSpec & { name: string })[] = []
  private readonly nodes: NodeSpec[] = []

  constructor(private readonly opts: { opset?: number; irVersion?: number; graphName?: string; producer?: string } = {}) {}

  input(name: string, type: OnnxElementType, shape: (number | string)[]): this {
    this.inputs.push({ name, type, shape })
    return this
  }

  output(name: string, type: OnnxElementType, shape: (number | string)[]): this {
    this.outputs.push({ name, type, shape })
    return this
  }

  initializer(name: string, dims: number[], data: ArrayLike<number> | bigint[], type: TensorSpec['type'] = 'float32'): this {
    this.initializers.push({ name, dims, data, type })
    return this
  }

  node(op: string, inputs: string[], outputs: string[], attrs: Record<string, AttributeValue> = {}, domain = ''): this {
    this.nodes.push({ op, inputs, outputs, attrs, name: `${op}_${this.nodes.length}`, domain })
    return this
  }

  build(): Uint8Array {
    const opset = this.opts.opset ?? 13
    return encodeModelProto({
      irVersion: this.opts.irVersion ?? 7,
      producerName: this.opts.producer ?? 'pipe',
      graph: {
        node: this.nodes.map(nodeProto),
        name: this.opts.graphName ?? 'graph',
        initializer: this.initializers.map((t) => tensorProto(t.name, t)),
        input: this.inputs.map(valueInfoProto),
        output: this.outputs.map(valueInfoProto),
      },
      opsetImport: [{ domain: '', version: opset }],
    })
  }
}

/** AttributeProto.AttributeType of each kind of value. */
const ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const

function valueInfoProto(v: { name: string; type: OnnxElementType; shape: (number | string)[] }): Record<string, unknown> {
  const dim = v.shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }))
  return { name: v.name, type: { tensorType: { elemType: TYPE_CODE[v.type], shape: { dim } } } }
}

/** A tensor with its values as little-endian raw data. */
function tensorProto(name: string, t: TensorSpec): Record<string, unknown> {
  const type = t.type ?? 'float32'
  const n = t.data.length
  const raw = new Uint8Array(n * (type === 'float32' || type === 'int32' ? 4 : 8))
  const dv = new DataView(raw.buffer)
  for (let i = 0; i < n; i++) {
    const x = (t.data as ArrayLike<number | bigint>)[i] as number | bigint
    if (type === 'float32') dv.setFloat32(i * 4, Number(x), true)
    else if (type === 'int32') dv.setInt32(i * 4, Number(x), true)
    else if (type === 'float64') dv.setFloat64(i * 8, Number(x), true)
    else dv.setBigInt64(i * 8, BigInt(x), true)
  }
  return { dims: t.dims, dataType: TYPE_CODE[type], name, rawData: raw }
}

function nodeProto(n: NodeSpec): Record<string, unknown> {
  const attribute = Object.entries(n.attrs).map(([name, value]) => {
    if (typeof value === 'number' && Number.isInteger(value)) return { name, i: value, type: ATTRIBUTE_TYPE.INT }
    if (typeof value === 'number') return { name, f: value, type: ATTRIBUTE_TYPE.FLOAT }
    if (typeof value === 'bigint') return { name, i: Number(value), type: ATTRIBUTE_TYPE.INT }
    if (typeof value === 'string') return { name, s: new TextEncoder().encode(value), type: ATTRIBUTE_TYPE.STRING }
    if (Array.isArray(value)) return { name, ints: value, type: ATTRIBUTE_TYPE.INTS }
    if ('floats' in value) return { name, floats: value.floats, type: ATTRIBUTE_TYPE.FLOATS }
    return { name, t: tensorProto('', value.tensor), type: ATTRIBUTE_TYPE.TENSOR }
  })
  // Fields left out rather than empty, so the bytes carry only what the node says.
  return {
    input: n.inputs,
    output: n.outputs,
    name: n.name,
    opType: n.op,
    ...(attribute.length > 0 ? { attribute } : {}),
    ...(n.domain ? { domain: n.domain } : {}),
  }
}
