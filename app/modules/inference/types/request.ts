import { bytesToHex, concatBytes } from '@ethereumjs/util'
import { keccak256 } from '../../../crypto.ts'
import type { ModelInput } from '../precompile/abi.ts'
import { encodeModelInput } from '../precompile/abiEncoder.ts'
import type { VerificationMode } from './verificationMode.ts'

/**
 * One inference a transaction asks for. Requests with the same key — same mode, model and
 * byte-identical input — are the same inference: computed once, carried once per block.
 */
export interface InferenceRequest {
  /** keccak256(mode ‖ modelCID ‖ 0x00 ‖ inputHash): see {@link requestKey}. */
  key: Uint8Array
  keyHex: string
  mode: VerificationMode
  modelCid: string
  /** keccak256 of the ABI-encoded ModelInput. */
  inputHash: Uint8Array
  input: ModelInput
}

/** The key of a request, from what a result carries of it (results txs carry no input). */
export function requestKey(mode: number, modelCid: string, inputHash: Uint8Array): Uint8Array {
  return keccak256(concatBytes(Uint8Array.of(mode), new TextEncoder().encode(modelCid), Uint8Array.of(0), inputHash))
}

/**
 * The request a `runModelInference` call makes.
 * @example inferenceRequest(VerificationMode.VERIFICATION_MODE_VANILLA, cid, { numbers: [tensor], strings: [] }).keyHex
 */
export function inferenceRequest(mode: VerificationMode, modelCid: string, input: ModelInput): InferenceRequest {
  const inputHash = keccak256(encodeModelInput(input))
  const key = requestKey(mode, modelCid, inputHash)
  return { key, keyHex: bytesToHex(key), mode, modelCid, inputHash, input }
}
