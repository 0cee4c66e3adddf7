import { createKeccak, createSHA256 } from 'hash-wasm'
import secp256k1 from 'secp256k1'

/**
 * Fast primitives for the hot paths (CheckTx sender recovery, trie hashing, KECCAK256):
 * keccak and sha256 in WebAssembly (hash-wasm, ~4× the pure-JS default) and ECDSA recovery
 * with libsecp256k1 (~0.1 ms against ~2 ms in pure JS). Call `initCrypto()` once at start-up.
 */

type Hasher = Awaited<ReturnType<typeof createKeccak>>
let keccakHasher: Hasher | undefined
let sha256Hasher: Hasher | undefined

export async function initCrypto(): Promise<void> {
  keccakHasher ??= await createKeccak(256)
  sha256Hasher ??= await createSHA256()
}

function ready(h: Hasher | undefined): Hasher {
  if (!h) throw new Error('initCrypto() must be awaited before hashing')
  return h
}

/** keccak256 (Ethereum's, not NIST SHA3). */
export function keccak256(data: Uint8Array): Uint8Array {
  const h = ready(keccakHasher)
  h.init()
  h.update(data)
  return h.digest('binary') as Uint8Array
}

export function sha256(data: Uint8Array): Uint8Array {
  const h = ready(sha256Hasher)
  h.init()
  h.update(data)
  return h.digest('binary') as Uint8Array
}

/**
 * ECDSA public-key recovery with the signature encoding @ethereumjs/util's `ecrecover` takes
 * (v as 0/1, 27/28 or EIP-155 `chainId·2 + 35/36`); returns the 64-byte uncompressed key.
 */
export function ecrecover(msgHash: Uint8Array, v: bigint, r: Uint8Array, s: Uint8Array, chainId?: bigint): Uint8Array {
  const recovery = v === 0n || v === 1n ? v : chainId === undefined ? v - 27n : v - (chainId * 2n + 35n)
  if (recovery !== 0n && recovery !== 1n) throw new Error('invalid signature v value')
  if (r.length > 32 || s.length > 32) throw new Error('invalid signature r or s length')
  const sig = new Uint8Array(64)
  sig.set(r, 32 - r.length)
  sig.set(s, 64 - s.length)
  return secp256k1.ecdsaRecover(sig, Number(recovery), msgHash, false).subarray(1)
}
