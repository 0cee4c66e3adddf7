import type { InferenceResult } from './modelRun.ts'
import { sliceRows } from './tensorBatch.ts'
import type { TensorData } from './tensorData.ts'

/**
 * A computed result as the executor keeps it (pending callers, result cache): rows
 * [start, start + rows) of `outputs`, which may be a whole batch's outputs shared by every
 * request of the batch — so splitting a batch allocates nothing per request until a caller
 * takes its copy.
 */
export interface StoredResult {
  outputs: Record<string, TensorData>
  /** First row of this request in `outputs`; with `rows` undefined, `outputs` is this request's alone. */
  start: number
  rows: number | undefined
  micros: number
  batchSize: number
  /** Memory it keeps alive (a shared batch's buffers count in full for each request): its weight in the result cache. */
  bytes: number
}

/** Batch outputs up to this size are shared by the batch's stored results; larger ones are cut into copies, so a cached result never keeps a large batch alive. */
export const SHARED_BATCH_BYTES = 64 * 1024

/**
 * Stored results for the requests of one batch (`rows[i]` rows each), from outputs whose first
 * dim is the batch's row count.
 */
export function storeBatch(outputs: Record<string, TensorData>, rows: readonly number[], micros: number): StoredResult[] {
  const bytes = outputsBytes(outputs)
  const shared = bytes <= SHARED_BATCH_BYTES
  const out: StoredResult[] = new Array(rows.length)
  let start = 0
  for (let i = 0; i < rows.length; i++) {
    if (shared) {
      out[i] = { outputs, start, rows: rows[i], micros, batchSize: rows.length, bytes }
    } else {
      const own: Record<string, TensorData> = {}
      for (const name in outputs) own[name] = sliceRows(outputs[name], start, rows[i], true)
      out[i] = { outputs: own, start: 0, rows: undefined, micros, batchSize: rows.length, bytes: outputsBytes(own) }
    }
    start += rows[i]
  }
  return out
}

/** The caller's own copy of a stored result. */
export function materialize(r: StoredResult): InferenceResult {
  const outputs: Record<string, TensorData> = {}
  for (const name in r.outputs) {
    const t = r.outputs[name]
    outputs[name] = r.rows === undefined ? { type: t.type, dims: t.dims.slice(), data: t.data.slice() } : sliceRows(t, r.start, r.rows, true)
  }
  return { outputs, micros: r.micros, batchSize: r.batchSize }
}

/** A request's stored result when it ran alone: the outputs are all its own. */
export function storeAlone(outputs: Record<string, TensorData>, micros: number): StoredResult {
  return { outputs, start: 0, rows: undefined, micros, batchSize: 1, bytes: outputsBytes(outputs) }
}

function outputsBytes(outputs: Record<string, TensorData>): number {
  let n = 0
  for (const name in outputs) n += dataBytes(outputs[name].data)
  return n
}

function dataBytes(data: TensorData['data']): number {
  if (!Array.isArray(data)) return data.buffer.byteLength
  let n = 0
  for (const s of data) n += 2 * s.length + 16
  return n
}
