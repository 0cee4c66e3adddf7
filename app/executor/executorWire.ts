import type { TensorData } from './tensorData.ts'

/**
 * Messages between the executor (main thread) and its inference workers.
 *
 * main → worker: one `RunMessage` at a time per worker (the executor waits for the answer
 * before sending the next, so queued requests keep batching on the main thread instead of
 * piling up behind a slow model inside a worker); `ExitMessage` when the executor closes.
 *
 * worker → main: `ready` once onnxruntime is loaded, then one answer per RunMessage.
 */

/** Finish the message in hand, then end the thread (terminating a worker inside an onnxruntime run aborts the whole process). */
export interface ExitMessage {
  kind: 'exit'
}

export type ToWorkerMessage = RunMessage | ExitMessage

/** Run `rows.length` requests whose inputs are stacked along dim 0 (`rows[i]` rows each). */
export interface RunMessage {
  kind: 'run'
  id: number
  cid: string
  path: string
  /** A typed array: it crosses threads as one block, where a number[] is cloned element by element. */
  rows: Uint32Array
  inputs: Record<string, TensorData>
}

/** Where an inference went wrong: the session could not be created, the run failed, or an input was at fault. */
export interface WireError {
  kind: 'load' | 'run' | 'input'
  /** onnxruntime's message (for `input`, already naming the input). */
  message: string
}

export type RunOutcome = { ok: true; outputs: Record<string, TensorData>; micros: number } | { ok: false; error: WireError }

export type WorkerMessage =
  | { kind: 'ready' }
  /** The whole batch ran in one session run; every output's first dim is the batch's row count. */
  | { kind: 'batch'; id: number; runs: number; outputs: Record<string, TensorData>; micros: number }
  /** One outcome per request: a single request, or a batch that failed and was retried one by one. */
  | { kind: 'each'; id: number; runs: number; results: RunOutcome[] }
  /** Nothing ran (the session could not be created); every request of the message fails with this. */
  | { kind: 'failed'; id: number; runs: number; error: WireError }

/** What the executor passes a new worker in `workerData`. */
export interface InferenceWorkerData {
  sessionsPerWorker: number
  /** Niceness the worker thread gives itself (see ExecutorOptions.workerNiceness). */
  niceness: number
}
