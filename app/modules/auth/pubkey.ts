import { Address } from '@ethereumjs/util'
import { ripemd160 } from '@noble/hashes/legacy.js'
import { PubKey } from 'cosmjs-types/cosmos/crypto/secp256k1/keys'
import type { Any } from 'cosmjs-types/google/protobuf/any'
import secp256k1 from 'secp256k1'
import { keccak256, sha256 } from '../../crypto.ts'
import { ErrSdkInvalidPubKey } from '../../sdkErrors.ts'

/** The key types a Cosmos tx may be signed with. */
export const PUBKEY_TYPES = {
  /** Cosmos' own: address = ripemd160(sha256(key)), signs sha256(sign bytes). */
  secp256k1: '/cosmos.crypto.secp256k1.PubKey',
  /** Ethereum's, as cosmos/evm names it: address = keccak(key)[12:], signs keccak256(sign bytes). */
  ethsecp256k1: '/cosmos.evm.crypto.v1.ethsecp256k1.PubKey',
} as const
/** Ethermint's name for the same key type, accepted for older wallets. */
const ETHERMINT_ETHSECP256K1 = '/ethermint.crypto.v1.ethsecp256k1.PubKey'

/** A signer's public key from a tx's signer info. */
export interface SignerPubKey {
  type: keyof typeof PUBKEY_TYPES
  /** 33-byte compressed secp256k1 point. */
  key: Uint8Array
  /** The account it controls. */
  address: Address
  /** As the tx carried it (stored in the account on its first tx). */
  any: Any
}

/** Half the secp256k1 group order: a larger `s` is the malleable twin of a valid signature. */
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n

/** Decodes a signer info's public key; throws ErrSdkInvalidPubKey naming what is wrong. */
export function decodeSignerPubKey(any: Any): SignerPubKey {
  const type =
    any.typeUrl === PUBKEY_TYPES.secp256k1
      ? 'secp256k1'
      : any.typeUrl === PUBKEY_TYPES.ethsecp256k1 || any.typeUrl === ETHERMINT_ETHSECP256K1
        ? 'ethsecp256k1'
        : undefined
  if (!type) {
    throw ErrSdkInvalidPubKey.with(
      `key type ${any.typeUrl || '(empty)'} is not supported; use ${PUBKEY_TYPES.secp256k1} or ${PUBKEY_TYPES.ethsecp256k1}`,
    )
  }
  let key: Uint8Array
  try {
    key = PubKey.decode(any.value).key
  } catch (err) {
    throw ErrSdkInvalidPubKey.with(`${any.typeUrl} does not decode: ${(err as Error).message}`)
  }
  if (key.length !== 33 || (type === 'secp256k1' && !secp256k1.publicKeyVerify(key))) {
    throw ErrSdkInvalidPubKey.with(
      `${any.typeUrl} must hold a 33-byte compressed secp256k1 point, got ${key.length} bytes${key.length === 33 ? ' that are not on the curve' : ''}`,
    )
  }
  let address: Address
  try {
    address = pubKeyAddress(type, key) // an ethsecp256k1 key is decompressed here, which checks the point
  } catch {
    throw ErrSdkInvalidPubKey.with(`${any.typeUrl} must hold a 33-byte compressed secp256k1 point, got 33 bytes that are not on the curve`)
  }
  return { type, key, address, any }
}

/** The account a key controls. */
export function pubKeyAddress(type: SignerPubKey['type'], key: Uint8Array): Address {
  if (type === 'secp256k1') return new Address(ripemd160(sha256(key)))
  const uncompressed = secp256k1.publicKeyConvert(key, false)
  return new Address(keccak256(uncompressed.subarray(1)).subarray(12))
}

/**
 * Checks a 64-byte (r ‖ s) signature over `signBytes`: sha256 for secp256k1 keys, keccak256 for
 * ethsecp256k1 keys (which may carry a 65th recovery byte, ignored). High-s signatures are
 * refused, as the SDK does, so a tx's signature cannot be altered into a second valid one.
 */
export function verifySignature(pub: SignerPubKey, signBytes: Uint8Array, signature: Uint8Array): boolean {
  const sig = pub.type === 'ethsecp256k1' && signature.length === 65 ? signature.subarray(0, 64) : signature
  if (sig.length !== 64) return false
  if (BigInt(`0x${Buffer.from(sig.subarray(32)).toString('hex')}`) > HALF_N) return false
  const digest = pub.type === 'secp256k1' ? sha256(signBytes) : keccak256(signBytes)
  try {
    return secp256k1.ecdsaVerify(sig, digest, pub.key)
  } catch {
    return false
  }
}
