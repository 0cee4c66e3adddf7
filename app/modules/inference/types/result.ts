import type { InferenceRequest } from './request.ts'
import type { VerificationMode } from './verificationMode.ts'

/**
 * A computed inference: what a results tx carries for one request, what the precompile returns
 * and charges for it, what the mempool keeps until its tx is in a block, and what the chain
 * records. Keyed like its request ({@link requestKey}).
 */
export interface InferenceResult {
  key: Uint8Array
  keyHex: string
  mode: VerificationMode
  modelCid: string
  /** keccak256 of the ABI-encoded ModelInput it was computed from. */
  inputHash: Uint8Array
  /** ABI-encoded ModelOutput, returned as is by the precompile. */
  output: Uint8Array
  /** Gas the precompile charges for the model (params.ts). */
  modelGas: bigint
  /** Verification artefact (ZK proof, TEE signature); empty for VANILLA. */
  artefact: Uint8Array
}

/** Results by request key (hex), as an EVM run reads them. */
export interface ResultLookup {
  get(keyHex: string): InferenceResult | undefined
}

const NO_ARTEFACT = new Uint8Array(0)

/** The result of `request`. */
export function resultOf(
  request: InferenceRequest,
  output: Uint8Array,
  modelGas: bigint,
  artefact: Uint8Array = NO_ARTEFACT,
): InferenceResult {
  const { key, keyHex, mode, modelCid, inputHash } = request
  return { key, keyHex, mode, modelCid, inputHash, output, modelGas, artefact }
}

/** Results as a lookup by key. */
export function resultsByKey(results: Iterable<InferenceResult>): Map<string, InferenceResult> {
  const map = new Map<string, InferenceResult>()
  for (const r of results) map.set(r.keyHex, r)
  return map
}
