import { RLP } from '@ethereumjs/rlp'
import { bigIntToUnpaddedBytes, bytesToBigInt } from '@ethereumjs/util'

/**
 * What the chain remembers of one inference a transaction made: which model, which input,
 * what came out, and how the tx ended.
 * - `success`: the result was returned and the tx succeeded;
 * - `reverted`: the result was returned but the tx reverted afterwards;
 * - `missing`: the block carried no result for it (the tx reverted with that reason);
 * - `outOfGas`: the call could not pay for the model's gas, and ran out of gas.
 */
export type InferenceRecordStatus = 'success' | 'reverted' | 'missing' | 'outOfGas'

export interface InferenceRecord {
  inferenceId: Uint8Array
  txHash: Uint8Array
  height: bigint
  /** 0-based order of the call within the tx. */
  index: number
  modelCid: string
  mode: number
  inputHash: Uint8Array
  /** ABI-encoded ModelOutput; empty unless the call was answered. */
  output: Uint8Array
  status: InferenceRecordStatus
  /** How the output is verified, for modes with an artefact (ZKML): hashes of its proof and key. */
  verification?: RecordVerification
}

/** A ZKML record's verification: sha256 of the proof artefact (kept by every node, keeper.proof) and of the verifying key. */
export interface RecordVerification {
  proofHash: Uint8Array
  verifyingKeyHash: Uint8Array
}

/** Stored by index: append new statuses, never reorder. */
const STATUSES: InferenceRecordStatus[] = ['success', 'reverted', 'missing', 'outOfGas']

export function encodeRecord(r: InferenceRecord): Uint8Array {
  return RLP.encode([
    r.inferenceId,
    r.txHash,
    bigIntToUnpaddedBytes(r.height),
    bigIntToUnpaddedBytes(BigInt(r.index)),
    new TextEncoder().encode(r.modelCid),
    bigIntToUnpaddedBytes(BigInt(r.mode)),
    r.inputHash,
    r.output,
    bigIntToUnpaddedBytes(BigInt(STATUSES.indexOf(r.status))),
    ...(r.verification ? [r.verification.proofHash, r.verification.verifyingKeyHash] : []),
  ])
}

export function decodeRecord(bytes: Uint8Array): InferenceRecord {
  const f = RLP.decode(bytes) as Uint8Array[]
  if (f.length !== 9 && f.length !== 11) throw new Error(`stored inference record has ${f.length} fields, expected 9 or 11`)
  const status = STATUSES[Number(bytesToBigInt(f[8]!))]
  if (!status) throw new Error(`stored inference record has unknown status ${bytesToBigInt(f[8]!)}`)
  return {
    inferenceId: f[0]!,
    txHash: f[1]!,
    height: bytesToBigInt(f[2]!),
    index: Number(bytesToBigInt(f[3]!)),
    modelCid: new TextDecoder().decode(f[4]!),
    mode: Number(bytesToBigInt(f[5]!)),
    inputHash: f[6]!,
    output: f[7]!,
    status,
    ...(f.length === 11 ? { verification: { proofHash: f[9]!, verifyingKeyHash: f[10]! } } : {}),
  }
}
