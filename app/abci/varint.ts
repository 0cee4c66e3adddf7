/**
 * Unsigned LEB128 varints, as CometBFT 0.38 prefixes every ABCI message with its length
 * (`protoio.NewDelimitedWriter` → `binary.PutUvarint`).
 */

/** Encodes a non-negative safe integer as an unsigned varint. */
export function encodeUvarint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`cannot varint-encode ${value}`)
  const out: number[] = []
  let v = value
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80)
    v = Math.floor(v / 0x80)
  }
  out.push(v)
  return Uint8Array.from(out)
}

/** Result of reading a varint: the value and how many bytes it took, or `undefined` if incomplete. */
export interface DecodedUvarint {
  value: number
  length: number
}

/**
 * Reads an unsigned varint at `offset`. Returns undefined when the buffer ends before the varint
 * does; throws when the varint is longer than a safe integer allows.
 */
export function decodeUvarint(buf: Uint8Array, offset = 0): DecodedUvarint | undefined {
  let value = 0
  let scale = 1
  for (let i = offset; i < buf.length; i++) {
    const byte = buf[i]!
    value += (byte & 0x7f) * scale
    if (byte < 0x80) return { value, length: i - offset + 1 }
    scale *= 0x80
    if (i - offset >= 7) throw new RangeError('varint length prefix exceeds 2^53')
  }
  return undefined
}
