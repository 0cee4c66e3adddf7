import { AppError, toAppError } from '../../../errors.ts'
import type { ModelMetadata } from '../../../modelHub/modelMetadata.ts'
import type { InferenceCall } from '../precompile/inferenceCalls.ts'
import type { InferenceRequest } from '../types/request.ts'
import type { InferenceResult } from '../types/result.ts'

/**
 * The messages between TxSimulator (main thread) and its simulation workers
 * (simulationWorker.ts). Everything is structured-cloned: plain objects, bigints and bytes.
 */

/** The committed block a simulation runs on top of. */
export interface SimulationHead {
  height: bigint
  hash: Uint8Array
  stateRoot: Uint8Array
  timestamp: bigint
  gasLimit: bigint
}

/** How the precompile answers in a simulation: the mempool's simulation answers or a block's results. */
export type SimulationKind = 'simulation' | 'block'

/** Block result sets a simulation thread keeps (the last ones sent). */
export const RESULT_SETS_PER_THREAD = 4

/** Main → worker: run one tx. */
export interface SimulateTask {
  type: 'simulate'
  id: number
  raw: Uint8Array
  hash: Uint8Array
  /** The tx's sender, already recovered (20 bytes): the worker never recovers signatures. */
  sender: Uint8Array
  head: SimulationHead
  kind: SimulationKind
  /**
   * The results the precompile may answer with. A block's results are sent to a thread once
   * (`set` with `results`) and named by `set` alone for its other txs.
   */
  results: { set?: number; results?: InferenceResult[] }
  /** `simulation`: compute a request not in `results` now (a `compute` query) and wait for it. */
  compute: boolean
}

/**
 * Worker → main: what a simulation needs from committed state or the node, by content or by
 * committed height, so every answer is the same whenever it is asked:
 * - `node`: a trie node or contract code by its hash (immutable; never pruned);
 * - `blockHash`: a committed block's hash (BLOCKHASH);
 * - `modeRefusal`: whether committed registrations let a model be asked for in a mode;
 * - `metadata`: a hub model's tensors and cost, by CID (content-addressed);
 * - `compute`: the result of a request, computed once by the node's result cache (mempool
 *   simulations only; what it answers is carried with the tx and checked by every validator).
 */
export type WorkerQuery =
  | { what: 'node'; key: string }
  | { what: 'blockHash'; height: number }
  | { what: 'modeRefusal'; cid: string; mode: number }
  | { what: 'metadata'; cid: string }
  | { what: 'compute'; task: number; request: InferenceRequest }

export type ModelShape = Pick<ModelMetadata, 'inputs' | 'outputs' | 'costMicros'>

export interface QueryMessage {
  type: 'query'
  id: number
  query: WorkerQuery
}

/** Main → worker: a query's answer. */
export interface QueryReply {
  type: 'reply'
  id: number
  value?: unknown
  error?: WireError
}

/** Worker → main: what one simulation made and read. */
export interface SimulationDone {
  type: 'done'
  id: number
  calls: InferenceCall[]
  refused: WireError[]
  /** The results the precompile answered with (from the task's, or computed), in call order. */
  used: InferenceResult[]
  reads: string[]
  readsBlockContext: boolean
}

export interface SimulationFailed {
  type: 'failed'
  id: number
  error: WireError
}

/** Worker → main, once, before its first task's answer: how its warm-up (simulationWarmUp.ts) went. */
export interface WarmedUp {
  type: 'warmedUp'
  /** Warm-up simulations run. */
  runs: number
  /** Their inference calls answered with the placeholder (mempool answers) and from a block's result. */
  placeholders: number
  answered: number
  /** Wall time of the warm-up (reported, never used for a decision). */
  ms: number
  /** Why it stopped early, if it did (the thread then starts cold). */
  error?: string
}

export type WorkerMessage = QueryMessage | SimulationDone | SimulationFailed | WarmedUp
export type MainMessage = SimulateTask | QueryReply

/** An AppError across threads (codespace and code survive, so ErrX.is still recognises it). */
export interface WireError {
  codespace: string
  code: number
  message: string
}

export function toWireError(err: unknown): WireError {
  const e = toAppError(err)
  return { codespace: e.codespace, code: e.code, message: e.message }
}

export function fromWireError(w: WireError): AppError {
  return new AppError(w.codespace, w.code, w.message)
}
