import { bytesToHex, concatBytes } from '@ethereumjs/util'
import { keccak256 } from '../../../crypto.ts'
import type { ModelInput } from '../precompile/abi.ts'
import { encodeModelInput } from '../precompile/abiCodec.ts'

/** The ABI codec of inputs and outputs lives in abiCodec.ts; these names stay importable from here. */
export { decodeModelOutput, encodeModelInput, encodeModelOutput } from '../precompile/abiCodec.ts'

/**
 * One inference a transaction asks for. Requests with the same key — same mode, model and
 * byte-identical input — are the same inference: computed once, recorded once per block.
 */
export interface InferenceRequest {
  /** keccak256(mode ‖ modelCID ‖ 0x00 ‖ inputHash). */
  key: Uint8Array
  keyHex: string
  mode: number
  modelCid: string
  /** keccak256 of the ABI-encoded ModelInput. */
  inputHash: Uint8Array
  input: ModelInput
}

export function requestKey(mode: number, modelCid: string, inputHash: Uint8Array): Uint8Array {
  return keccak256(concatBytes(Uint8Array.of(mode), new TextEncoder().encode(modelCid), Uint8Array.of(0), inputHash))
}

export function makeRequest(mode: number, modelCid: string, input: ModelInput): InferenceRequest {
  const inputHash = keccak256(encodeModelInput(input))
  const key = requestKey(mode, modelCid, inputHash)
  return { key, keyHex: bytesToHex(key), mode, modelCid, inputHash, input }
}
