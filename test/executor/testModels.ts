import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as ort from 'onnxruntime-node'
import { SESSION_OPTIONS } from '../../app/executor/sessionCache.ts'
import type { TensorData, TensorType } from '../../app/executor/tensorData.ts'
import { modelCid } from '../../app/modelHub/cid.ts'
import { buildSlow } from '../../scripts/models/exampleModels.ts'
import { buildCostModel, buildMlp, seededValues } from '../../scripts/models/modelFactory.ts'
import { OnnxBuilder } from '../../scripts/models/onnxBuilder.ts'
import { FileModelSource } from '../support/fileModelSource.ts'

/**
 * The models the executor tests run, written to a temp dir under their CIDs, and onnxruntime
 * driven directly in this thread to say what the executor should answer.
 */

/** Width of the gather model's lookup table: an index ≥ this makes onnxruntime fail at run time. */
export const GATHER_ROWS = 10

const BUILDERS = {
  /** float32 x [batch, 16] → y [batch, 1]: the 16→64→1 MLP (batchable). */
  mlp: () => buildMlp({ inputs: 16, hidden: 64, outputs: 1 }),
  /** float32 x [1, 8] → y [1, 8] (fixed first dim: not batchable). */
  fixed: () => buildCostModel({ size: 8, rows: 2, matmuls: 2, batch: 1 }),
  /** int64 ids [batch, 4] → sum [batch, 1], scaled = 3·ids [batch, 4], argmax [batch, 1]. */
  int64: () => {
    const m = new OnnxBuilder({ opset: 13 })
    m.input('ids', 'int64', ['batch', 4])
    m.output('sum', 'int64', ['batch', 1]).output('scaled', 'int64', ['batch', 4]).output('argmax', 'int64', ['batch', 1])
    m.initializer('axes', [1], [1n], 'int64').initializer('three', [1], [3n], 'int64')
    m.node('ReduceSum', ['ids', 'axes'], ['sum'], { keepdims: 1 })
    m.node('Mul', ['ids', 'three'], ['scaled'])
    m.node('ArgMax', ['ids'], ['argmax'], { axis: 1, keepdims: 1 })
    return m.build()
  },
  /** string a [batch, 1] and b [batch, 2] → c = a ‖ b [batch, 3]. */
  strings: () => {
    const m = new OnnxBuilder({ opset: 13 })
    m.input('a', 'string', ['batch', 1]).input('b', 'string', ['batch', 2]).output('c', 'string', ['batch', 3])
    m.node('Concat', ['a', 'b'], ['c'], { axis: 1 })
    return m.build()
  },
  /** int64 idx [batch, 1] → y float32 [batch, 1, 4] by Gather from a table of GATHER_ROWS rows; fails for idx ≥ GATHER_ROWS. */
  gather: () => {
    const m = new OnnxBuilder({ opset: 13 })
    m.input('idx', 'int64', ['batch', 1]).output('y', 'float32', ['batch', 1, 4])
    m.initializer(
      'table',
      [GATHER_ROWS, 4],
      Array.from({ length: GATHER_ROWS * 4 }, (_, i) => i / 4),
    )
    m.node('Gather', ['table', 'idx'], ['y'], { axis: 0 })
    return m.build()
  },
  /** float32 x [batch, n] → y [batch, n], ≈10 ms per row (batchable). */
  costly: () => buildCostModel({ targetMs: 10 }),
  /** float32 x [1, 512] → y [1, 512], ≈1 s per inference on one thread. */
  slow: buildSlow,
  /** Not an ONNX model: creating a session fails. */
  garbage: () => new TextEncoder().encode('this is not an onnx model'),
} as const

export type TestModelName = keyof typeof BUILDERS

export interface TestModels {
  source: FileModelSource
  cid: Record<TestModelName, string>
  path: Record<TestModelName, string>
  /** Deletes the temp dir. */
  remove(): void
}

/** Writes every test model (or the ones named) to a new temp dir. */
export async function writeTestModels(names: TestModelName[] = Object.keys(BUILDERS) as TestModelName[]): Promise<TestModels> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-executor-test-'))
  const source = new FileModelSource()
  const cid = {} as Record<TestModelName, string>
  const file = {} as Record<TestModelName, string>
  for (const name of names) {
    const bytes = BUILDERS[name]()
    cid[name] = await modelCid(bytes)
    file[name] = path.join(dir, `${name}.onnx`)
    fs.writeFileSync(file[name], bytes)
    source.add(cid[name], file[name])
  }
  return { source, cid, path: file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) }
}

const directSessions = new Map<string, Promise<ort.InferenceSession>>()

/** The model's outputs for these inputs from onnxruntime driven directly in this thread (same session options as the workers). */
export async function runDirect(modelPath: string, inputs: Record<string, TensorData>): Promise<Record<string, TensorData>> {
  let s = directSessions.get(modelPath)
  if (!s) {
    s = ort.InferenceSession.create(modelPath, SESSION_OPTIONS)
    directSessions.set(modelPath, s)
  }
  const feeds: Record<string, ort.Tensor> = {}
  for (const [name, t] of Object.entries(inputs)) feeds[name] = new ort.Tensor(t.type, t.data, t.dims)
  const out = await (await s).run(feeds)
  const result: Record<string, TensorData> = {}
  for (const [name, v] of Object.entries(out)) {
    const t = v as ort.Tensor
    result[name] = { type: t.type as TensorType, dims: [...t.dims], data: t.data as TensorData['data'] }
  }
  return result
}

/** A float32 tensor [rows, width] of seeded values (distinct seeds give distinct inputs). */
export function floatRows(seed: number, rows: number, width: number): TensorData {
  return { type: 'float32', dims: [rows, width], data: seededValues(seed, rows * width, 1) }
}

/** Plain arrays of a result's outputs, for deepEqual against another result. */
export function plain(outputs: Record<string, TensorData>): Record<string, { type: string; dims: number[]; data: unknown[] }> {
  const out: Record<string, { type: string; dims: number[]; data: unknown[] }> = {}
  for (const [name, t] of Object.entries(outputs))
    out[name] = { type: t.type, dims: [...t.dims], data: Array.from(t.data as ArrayLike<unknown>) }
  return out
}
