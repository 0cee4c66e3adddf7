import { RLP } from '@ethereumjs/rlp'
import { bigIntToUnpaddedBytes, hexToBytes, type PrefixedHexString } from '@ethereumjs/util'

const int = (n: bigint) => bigIntToUnpaddedBytes(n)

/**
 * An EIP-1559 tx built field by field, signature included, so tests can craft what no wallet
 * would sign (bad r/s, wrong chain id without re-signing).
 */
export function raw1559(f: { chainId?: bigint; nonce?: bigint; yParity?: bigint; r: bigint; s: bigint; to?: string }): Uint8Array {
  const body = RLP.encode([
    int(f.chainId ?? 1337n),
    int(f.nonce ?? 0n),
    int(1n),
    int(10n ** 10n),
    int(21_000n),
    hexToBytes((f.to ?? '0x70997970C51812dc3A010C7d01b50e0d17dc79C8') as PrefixedHexString),
    int(1n),
    new Uint8Array(0),
    [],
    int(f.yParity ?? 0n),
    int(f.r),
    int(f.s),
  ])
  const out = new Uint8Array(body.length + 1)
  out[0] = 2
  out.set(body, 1)
  return out
}

/** secp256k1 group order: s above n/2 is "high-s", refused since EIP-2. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
