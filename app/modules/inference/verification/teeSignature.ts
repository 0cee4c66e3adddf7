import { RLP } from '@ethereumjs/rlp'
import secp256k1 from 'secp256k1'
import { keccak256 } from '../../../crypto.ts'
import { ErrTeeResult } from '../errors.ts'
import type { InferenceResult } from '../types/result.ts'

/**
 * A TEE result's artefact: the inference node's secp256k1 signature over what it computed, and
 * the key it signed with (registered, with an attestation document binding it to an enclave;
 * see nitroAttestation.ts). Carried in results txs as RLP([version, node key, signature]).
 *
 * What is signed: keccak256("pipe/tee-result/v1" ‖ request key ‖ keccak256(model CID) ‖
 * input hash ‖ keccak256(output)) — the request, the model, the input and the exact output
 * bytes the precompile returns, so a signature cannot be moved to another request or output.
 */
export interface TeeSignature {
  /** 33-byte compressed secp256k1 key of the node (its registry key). */
  nodeKey: Uint8Array
  /** 64-byte compact ECDSA signature (r ‖ s, low s). */
  signature: Uint8Array
}

const VERSION = Uint8Array.of(1)
const DOMAIN = new TextEncoder().encode('pipe/tee-result/v1')

/** The 32 bytes a TEE node signs for `result`. */
export function teeResultDigest(result: Pick<InferenceResult, 'key' | 'modelCid' | 'inputHash' | 'output'>): Uint8Array {
  const parts = [DOMAIN, result.key, keccak256(new TextEncoder().encode(result.modelCid)), result.inputHash, keccak256(result.output)]
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    all.set(p, at)
    at += p.length
  }
  return keccak256(all)
}

export function encodeTeeSignature(s: TeeSignature): Uint8Array {
  return RLP.encode([VERSION, s.nodeKey, s.signature])
}

/** Decodes a TEE artefact; throws ErrTeeResult saying what is malformed. */
export function decodeTeeSignature(bytes: Uint8Array): TeeSignature {
  if (bytes.length === 0) throw ErrTeeResult.with('the result carries no TEE signature')
  let items: unknown
  try {
    items = RLP.decode(bytes)
  } catch (err) {
    throw ErrTeeResult.with(`the TEE signature is truncated or not RLP (${(err as Error).message})`)
  }
  if (!Array.isArray(items) || items.length !== 3) throw ErrTeeResult.with('the TEE artefact is not [version, node key, signature]')
  const [version, nodeKey, signature] = items as unknown[]
  if (!(version instanceof Uint8Array) || version.length !== 1 || version[0] !== 1) throw ErrTeeResult.with('unknown TEE artefact version')
  if (!(nodeKey instanceof Uint8Array) || nodeKey.length !== 33) throw ErrTeeResult.with('the node key is not 33 bytes')
  if (!(signature instanceof Uint8Array) || signature.length !== 64) throw ErrTeeResult.with('the signature is not 64 bytes')
  return { nodeKey, signature }
}

/** Signs `result` as the node holding `privateKey` (an inference node's enclave; tests). */
export function signTeeResult(
  result: Pick<InferenceResult, 'key' | 'modelCid' | 'inputHash' | 'output'>,
  privateKey: Uint8Array,
): Uint8Array {
  const { signature } = secp256k1.ecdsaSign(teeResultDigest(result), privateKey)
  return encodeTeeSignature({ nodeKey: secp256k1.publicKeyCreate(privateKey, true), signature })
}

/** Whether `s` is `s.nodeKey`'s signature over `result`. */
export function teeSignatureValid(result: Pick<InferenceResult, 'key' | 'modelCid' | 'inputHash' | 'output'>, s: TeeSignature): boolean {
  try {
    return secp256k1.ecdsaVerify(s.signature, teeResultDigest(result), s.nodeKey)
  } catch {
    return false
  }
}
