/**
 * A key to find bytes seen before without hashing them: their length and last 32 bytes. It is
 * not unique, so a hit must be confirmed by comparing the bytes; a signed tx ends with its
 * signature's `s`, so different txs rarely share one. Hashing a large tx (17–33 KB of calldata)
 * to look it up would cost more than what the lookup saves.
 */
export function fingerprint(raw: Uint8Array): string {
  const tail = Math.min(32, raw.length)
  return `${raw.length}:${Buffer.from(raw.buffer, raw.byteOffset + raw.length - tail, tail).toString('latin1')}`
}
