import type { AppError } from '../../../errors.ts'
import type { InferenceRequest } from '../types/request.ts'
import type { OnnxValueInfo } from '../../../modelHub/onnxModel.ts'

/**
 * How the precompile answers, by where the EVM runs:
 * - `simulate`: the inference mempool (and eth_estimateGas) — record the request, return the
 *   result if already known, else an empty output flagged `is_simulation_result`;
 * - `block`: block execution — answer only from the results recorded for this block;
 * - `call`: eth_call — run the model now (bounded time), so read-only calls preview outputs;
 * - `verify`: ProcessProposal — answer from the proposal's results; a missing one is noted
 *   (not refused), since the validator may not hold the model to check it against.
 */
export type PrecompileMode = 'simulate' | 'block' | 'call' | 'verify'

/** A computed inference: the ABI-encoded ModelOutput and the gas its model costs. */
export interface KnownResult {
  output: Uint8Array
  modelGas: bigint
}

/** One call the precompile served (or refused) during a tx. */
export interface ServedRequest {
  request: InferenceRequest
  /** 0-based order of the call in its tx. */
  index: number
  inferenceId: string
  /** The output returned, or undefined when the result was missing / not yet known. */
  output: Uint8Array | undefined
}

/** What a model looks like to the precompile (served by the model store). */
export interface ModelCatalog {
  metadata(cid: string): Promise<{ inputs: OnnxValueInfo[]; outputs: OnnxValueInfo[]; costMicros: number } | undefined>
}

/**
 * The precompile's view of one tx execution. The code that runs the EVM sets it before each
 * tx and reads what was served afterwards.
 */
export interface InferenceContext {
  mode: PrecompileMode
  /** Hash of the tx being executed; inference ids derive from it. */
  txHash: Uint8Array
  /** Results the precompile may return, by request key (hex). */
  results: ReadonlyMap<string, KnownResult>
  /** Calls served so far in this tx, in order. */
  served: ServedRequest[]
  /** Invalid requests met while simulating (unknown model, bad input…), in order. */
  errors: AppError[]
  /** `call` mode (and the inline baseline's `block` mode): computes a result now. */
  runNow?: (request: InferenceRequest) => Promise<KnownResult>
}

export function newContext(mode: PrecompileMode, results: ReadonlyMap<string, KnownResult> = new Map()): InferenceContext {
  return { mode, txHash: new Uint8Array(32), results, served: [], errors: [] }
}
