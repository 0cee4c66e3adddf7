/**
 * BN254 scalar-field elements as EZKL writes them: 32 bytes, little-endian. A signed integer
 * q is the element q mod r (negative q is r − |q|), which is how EZKL quantises a value x at
 * scale s: q = round(x · 2^s), rounding half away from zero.
 */

/** The BN254 scalar field's modulus r. */
export const FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617n
const HALF = FIELD_MODULUS / 2n

/** The element of signed integer `q` (|q| < r/2), little-endian. */
export function feltFromInt(q: bigint): Uint8Array {
  let v = q < 0n ? FIELD_MODULUS + q : q
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++, v >>= 8n) out[i] = Number(v & 0xffn)
  return out
}

/** The signed integer an element stands for: elements above r/2 are negative. Throws on ≥ r. */
export function intFromFelt(felt: Uint8Array): bigint {
  if (felt.length !== 32) throw new RangeError(`a field element is 32 bytes, got ${felt.length}`)
  let v = 0n
  for (let i = 31; i >= 0; i--) v = (v << 8n) | BigInt(felt[i]!)
  if (v >= FIELD_MODULUS) throw new RangeError('not a field element (≥ the modulus)')
  return v > HALF ? v - FIELD_MODULUS : v
}

/**
 * round(x · 2^scale), half away from zero, in doubles as EZKL's quantiser computes it
 * (x · 2^scale is exact for a power of two).
 */
export function quantize(x: number, scale: number): bigint {
  const y = x * 2 ** scale
  if (!Number.isFinite(y) || Math.abs(y) >= 2 ** 53) throw new RangeError(`${x} at scale ${scale} is out of the quantisable range`)
  return BigInt(Math.sign(y) * Math.round(Math.abs(y)))
}

export const feltHex = (felt: Uint8Array): string => Buffer.from(felt).toString('hex')
export const feltFromHex = (hex: string): Uint8Array => {
  if (!/^[0-9a-f]{64}$/u.test(hex)) throw new RangeError(`field element "${hex.slice(0, 80)}" is not 64 hex digits`)
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}
