import type { TensorData } from './tensorData.ts'

/** One inference: a model (by CID) and its named input tensors. */
export interface InferenceRequest {
  modelCid: string
  inputs: Record<string, TensorData>
}

/** The outputs of one request, and what it took to compute them. */
export interface InferenceResult {
  outputs: Record<string, TensorData>
  /** µs the session run took (shared by a batch: every request in it reports the same run). */
  micros: number
  /** Requests that shared the session run (1 when the request ran alone). */
  batchSize: number
}
