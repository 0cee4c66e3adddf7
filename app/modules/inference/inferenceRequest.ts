import { bytesToHex, concatBytes, hexToBytes } from '@ethereumjs/util'
import { decodeAbiParameters, encodeAbiParameters } from 'viem'
import { keccak256 } from '../../crypto.ts'
import { modelInputParam, modelOutputParam, type ModelInput, type ModelOutput } from './abi.ts'

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

/** Canonical bytes of a ModelInput: its ABI encoding, which the input hash commits to. */
export function encodeModelInput(input: ModelInput): Uint8Array {
  return hexToBytes(encodeAbiParameters([modelInputParam], [input as never]))
}

/** ABI encoding of a ModelOutput: exactly what the precompile returns to the caller. */
export function encodeModelOutput(output: ModelOutput): Uint8Array {
  return hexToBytes(encodeAbiParameters([modelOutputParam], [output as never]))
}

export function decodeModelOutput(bytes: Uint8Array): ModelOutput {
  return decodeAbiParameters([modelOutputParam], bytesToHex(bytes))[0] as unknown as ModelOutput
}

export function requestKey(mode: number, modelCid: string, inputHash: Uint8Array): Uint8Array {
  return keccak256(concatBytes(Uint8Array.of(mode), new TextEncoder().encode(modelCid), Uint8Array.of(0), inputHash))
}

export function makeRequest(mode: number, modelCid: string, input: ModelInput): InferenceRequest {
  const inputHash = keccak256(encodeModelInput(input))
  const key = requestKey(mode, modelCid, inputHash)
  return { key, keyHex: bytesToHex(key), mode, modelCid, inputHash, input }
}
