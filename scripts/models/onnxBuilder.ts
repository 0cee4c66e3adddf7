import { ProtoWriter } from '../../app/modelHub/protobuf.ts'
import { ONNX_TYPES, type OnnxElementType } from '../../app/modelHub/onnxModel.ts'

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
    const w = new ProtoWriter()
    w.int(1, this.opts.irVersion ?? 7)
    w.string(2, this.opts.producer ?? 'pipe')
    w.message(7, (g) => {
      for (const n of this.nodes) g.message(1, (nw) => writeNode(nw, n))
      g.string(2, this.opts.graphName ?? 'graph')
      for (const t of this.initializers) g.message(5, (tw) => writeTensor(tw, t.name, t))
      for (const v of this.inputs) g.message(11, (vw) => writeValueInfo(vw, v))
      for (const v of this.outputs) g.message(12, (vw) => writeValueInfo(vw, v))
    })
    w.message(8, (o) => o.string(1, '').int(2, opset))
    return w.finish()
  }
}

function writeValueInfo(w: ProtoWriter, v: { name: string; type: OnnxElementType; shape: (number | string)[] }): void {
  w.string(1, v.name)
  w.message(2, (t) =>
    t.message(1, (tt) => {
      tt.int(1, TYPE_CODE[v.type])
      tt.message(2, (s) => {
        for (const d of v.shape) s.message(1, (dw) => (typeof d === 'string' ? dw.string(2, d) : dw.int(1, d)))
      })
    }),
  )
}

function writeTensor(w: ProtoWriter, name: string, t: TensorSpec): void {
  w.packedInts(1, t.dims)
  const type = t.type ?? 'float32'
  w.int(2, TYPE_CODE[type])
  w.string(8, name)
  const n = t.data.length
  const raw = new Uint8Array(n * (type === 'float32' || type === 'int32' ? 4 : 8))
  const dv = new DataView(raw.buffer)
  for (let i = 0; i < n; i++) {
    const x = (t.data as ArrayLike<number | bigint>)[i]
    if (type === 'float32') dv.setFloat32(i * 4, Number(x), true)
    else if (type === 'int32') dv.setInt32(i * 4, Number(x), true)
    else if (type === 'float64') dv.setFloat64(i * 8, Number(x), true)
    else dv.setBigInt64(i * 8, BigInt(x), true)
  }
  w.bytes(9, raw)
}

function writeNode(w: ProtoWriter, n: NodeSpec): void {
  for (const i of n.inputs) w.string(1, i)
  for (const o of n.outputs) w.string(2, o)
  w.string(3, n.name)
  w.string(4, n.op)
  if (n.domain) w.string(7, n.domain)
  for (const [name, value] of Object.entries(n.attrs)) {
    w.message(5, (a) => {
      a.string(1, name)
      if (typeof value === 'number' && Number.isInteger(value)) a.int(3, value).int(20, 2)
      else if (typeof value === 'number') a.float(2, value).int(20, 1)
      else if (typeof value === 'bigint') a.int(3, value).int(20, 2)
      else if (typeof value === 'string') a.string(4, value).int(20, 3)
      else if (Array.isArray(value)) a.packedInts(8, value).int(20, 7)
      else if ('floats' in value) a.packedFloats(7, value.floats).int(20, 6)
      else a.message(5, (tw) => writeTensor(tw, '', value.tensor)).int(20, 4)
    })
  }
}
