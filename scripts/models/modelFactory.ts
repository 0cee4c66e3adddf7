import { OnnxBuilder } from './onnxBuilder.ts'

/**
 * Builds ONNX models of a chosen shape and cost in code, for the example models, tests and
 * benchmarks. Everything here is deterministic: the same spec gives the same bytes on every run
 * and every machine (weights come from a seeded formula, never from Math.random).
 */

/** Opset of every model built here: inside both onnxruntime's range and EZKL's (9–18). */
export const FACTORY_OPSET = 13

/**
 * `count` weights in [-scale, scale] from a seeded integer hash (mulberry32). Each value is a
 * multiple of scale/1024, so it is exact in float32 and a hand computation in doubles sees the
 * same numbers the model does.
 * @example seededValues(1, 4, 0.5) // same 4 values on every run
 */
export function seededValues(seed: number, count: number, scale: number): Float32Array {
  const out = new Float32Array(count)
  let state = seed >>> 0
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    const u = ((t ^ (t >>> 14)) >>> 0) % 2049 // 0..2048
    out[i] = ((u - 1024) / 1024) * scale
  }
  return out
}

export interface MlpSpec {
  /** Width of the input `[batch, inputs]`. */
  inputs: number
  /** Width of every hidden layer. */
  hidden: number
  /** Width of the output `[batch, outputs]`. */
  outputs: number
  /** Number of hidden layers (MatMul + Add + Relu each); default 1. */
  layers?: number
  /** Seed of the weight formula; default 1. */
  seed?: number
  /** Graph input name; default `x`. */
  inputName?: string
  /** Graph output name; default `y`. */
  outputName?: string
  /** Activation after the last layer; default `sigmoid` (outputs in (0, 1)). */
  outputActivation?: 'sigmoid' | 'none'
}

/** One dense layer: `y = x·weight + bias`, weight row-major `[rows, cols]`. */
export interface DenseLayer {
  rows: number
  cols: number
  weight: Float32Array
  bias: Float32Array
}

/**
 * The layers `buildMlp(spec)` puts in its model, so a test can recompute the model by hand.
 * Weights are scaled by 1/√fan-in so activations stay near 1 however wide the layers are.
 */
export function mlpLayers(spec: MlpSpec): DenseLayer[] {
  const layers = spec.layers ?? 1
  if (!(layers >= 1) || !Number.isInteger(layers)) throw new RangeError(`MlpSpec.layers must be an integer ≥ 1, got ${spec.layers}`)
  for (const k of ['inputs', 'hidden', 'outputs'] as const) {
    if (!(spec[k] >= 1) || !Number.isInteger(spec[k])) throw new RangeError(`MlpSpec.${k} must be an integer ≥ 1, got ${spec[k]}`)
  }
  const widths = [spec.inputs, ...Array<number>(layers).fill(spec.hidden), spec.outputs]
  const seed = spec.seed ?? 1
  return widths.slice(1).map((cols, i) => {
    const rows = widths[i]!
    return {
      rows,
      cols,
      weight: seededValues(seed * 1000 + 2 * i, rows * cols, 1 / Math.sqrt(rows)),
      bias: seededValues(seed * 1000 + 2 * i + 1, cols, 0.1),
    }
  })
}

/**
 * A multilayer perceptron `[batch, inputs] → [batch, outputs]`: hidden layers with ReLU, then
 * Sigmoid (or nothing). Batchable: the first dim is the symbolic `batch`.
 * @example buildMlp({ inputs: 16, hidden: 64, outputs: 1 }) // the benchmark's 16→64→1 MLP
 */
export function buildMlp(spec: MlpSpec): Uint8Array {
  const input = spec.inputName ?? 'x'
  const output = spec.outputName ?? 'y'
  const m = new OnnxBuilder({ opset: FACTORY_OPSET, graphName: 'mlp' })
  m.input(input, 'float32', ['batch', spec.inputs]).output(output, 'float32', ['batch', spec.outputs])
  const layers = mlpLayers(spec)
  let current = input
  layers.forEach((layer, i) => {
    const last = i === layers.length - 1
    m.initializer(`w${i}`, [layer.rows, layer.cols], layer.weight)
    m.initializer(`b${i}`, [layer.cols], layer.bias)
    m.node('MatMul', [current, `w${i}`], [`mm${i}`])
    const sum = last && spec.outputActivation === 'none' ? output : `z${i}`
    m.node('Add', [`mm${i}`, `b${i}`], [sum])
    if (!last) m.node('Relu', [sum], [`h${i}`])
    else if (spec.outputActivation !== 'none') m.node('Sigmoid', [sum], [output])
    current = `h${i}`
  })
  return m.build()
}

export interface CostModelSpec {
  /** n: the input is `[batch, n]` and every MatMul multiplies by an n×n matrix. */
  size: number
  /** Rows of the working matrix `[batch, rows, n]` (the input row repeated); default n. */
  rows?: number
  /** Number of chained MatMuls; the cost grows linearly with it. */
  matmuls: number
  /** First dim of input and output: a number, or a symbolic name (batchable); default `batch`. */
  batch?: number | string
}

/** A cost model sized for a time per inference (batch 1, one thread) instead of by shape. */
export interface CostModelTarget {
  targetMs: number
  /**
   * Multiply-accumulates per millisecond of the machine; default MEASURED_MACS_PER_MS. Measure
   * yours by timing `buildCostModel({ size: 512, matmuls: 10 })` and dividing its MACs by the ms.
   */
  macsPerMs?: number
  batch?: number | string
}

/**
 * Single-thread MatMul throughput of onnxruntime-node 1.30 on the 2-core development machine:
 * one 512×512·512×512 MatMul (134 M MACs) takes ≈3.5 ms. Measured costs there (batch 1):
 * `{ size: 256, rows: 1, matmuls: 1 }` ≈ 0.05 ms, `{ size: 256, rows: 16, matmuls: 10 }` ≈ 0.4 ms,
 * `{ size: 256, matmuls: 10 }` ≈ 4.8 ms, `{ size: 512, matmuls: 10 }` ≈ 32 ms,
 * `{ size: 512, matmuls: 60 }` ≈ 200 ms.
 */
export const MEASURED_MACS_PER_MS = 38_000_000

/** Multiply-accumulates one inference of `buildCostModel(spec)` does per batch item. */
export function costModelMacs(spec: CostModelSpec): number {
  return spec.matmuls * (spec.rows ?? spec.size) * spec.size * spec.size
}

/**
 * The shape that does about `targetMs` of work: 256-wide rows for small targets (down to
 * ~0.1 ms, where onnxruntime's per-call overhead dominates), 512×512 MatMuls for large ones.
 * @example costModelSpecFor({ targetMs: 200 }) // { size: 512, rows: 512, matmuls: 57 }
 */
export function costModelSpecFor(target: CostModelTarget): CostModelSpec {
  if (!(target.targetMs > 0)) throw new RangeError(`CostModelTarget.targetMs must be > 0, got ${target.targetMs}`)
  const macs = target.targetMs * (target.macsPerMs ?? MEASURED_MACS_PER_MS)
  const big = 512 ** 3
  if (macs >= 4 * big) return { size: 512, rows: 512, matmuls: Math.round(macs / big), batch: target.batch }
  const rowMacs = 256 * 256
  const totalRows = Math.max(1, Math.round(macs / rowMacs))
  if (totalRows <= 256) return { size: 256, rows: totalRows, matmuls: 1, batch: target.batch }
  return { size: 256, rows: 256, matmuls: Math.round(totalRows / 256), batch: target.batch }
}

/**
 * A model whose cost is set by its size, not its file: `x [batch, n]` is repeated into a
 * `[batch, rows, n]` matrix, multiplied `matmuls` times by an n×n matrix, and averaged back to
 * `y [batch, n]`. The n×n matrix is made inside the graph (`ConstantOfShape`, every entry 1/n so
 * values stay bounded), so the file stays under a few kB however much work it does. The work
 * depends on the input, so onnxruntime cannot fold it away at load time. Pass a shape, or a
 * `targetMs` to get about that many ms per inference on a machine like the development one.
 * @example buildCostModel({ size: 512, matmuls: 20 }) // ≈ 2.7 GMAC per batch item
 * @example buildCostModel({ targetMs: 5 })
 */
export function buildCostModel(specOrTarget: CostModelSpec | CostModelTarget): Uint8Array {
  const spec = 'targetMs' in specOrTarget ? costModelSpecFor(specOrTarget) : specOrTarget
  const n = spec.size
  const rows = spec.rows ?? n
  for (const [k, v] of [
    ['size', n],
    ['rows', rows],
    ['matmuls', spec.matmuls],
  ] as const) {
    if (!(v >= 1) || !Number.isInteger(v)) throw new RangeError(`CostModelSpec.${k} must be an integer ≥ 1, got ${v}`)
  }
  const batch = spec.batch ?? 'batch'
  const m = new OnnxBuilder({ opset: FACTORY_OPSET, graphName: 'cost' })
  m.input('x', 'float32', [batch, n]).output('y', 'float32', [batch, n])
  m.initializer('axis1', [1], [1n], 'int64')
  m.initializer('expandShape', [3], [1n, BigInt(rows), BigInt(n)], 'int64')
  m.initializer('matrixShape', [2], [BigInt(n), BigInt(n)], 'int64')
  m.node('ConstantOfShape', ['matrixShape'], ['w'], { value: { tensor: { dims: [1], type: 'float32', data: [1 / n] } } })
  m.node('Unsqueeze', ['x', 'axis1'], ['x3'])
  m.node('Expand', ['x3', 'expandShape'], ['a0'])
  for (let i = 0; i < spec.matmuls; i++) m.node('MatMul', [`a${i}`, 'w'], [`a${i + 1}`])
  m.node('ReduceMean', [`a${spec.matmuls}`], ['y'], { axes: [1], keepdims: 0 })
  return m.build()
}
