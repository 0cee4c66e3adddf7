import { decodeUvarint } from './varint.ts'

/** Largest ABCI message accepted from CometBFT (its own limit for a block is 100 MiB). */
export const MAX_FRAME_BYTES = 128 * 1024 * 1024

/**
 * Splits a byte stream into length-prefixed frames. Feed it socket chunks; it returns every
 * complete frame body and keeps the rest for the next chunk.
 */
export class FrameDecoder {
  private buffer: Uint8Array = new Uint8Array(0)

  push(chunk: Uint8Array): Uint8Array[] {
    this.buffer = this.buffer.length === 0 ? chunk : concat(this.buffer, chunk)
    const frames: Uint8Array[] = []
    let offset = 0
    for (;;) {
      const prefix = decodeUvarint(this.buffer, offset)
      if (prefix === undefined) break
      if (prefix.value > MAX_FRAME_BYTES) {
        throw new RangeError(`ABCI frame of ${prefix.value} bytes exceeds the ${MAX_FRAME_BYTES}-byte limit`)
      }
      const start = offset + prefix.length
      const end = start + prefix.value
      if (end > this.buffer.length) break
      frames.push(this.buffer.subarray(start, end))
      offset = end
    }
    this.buffer = offset === this.buffer.length ? new Uint8Array(0) : this.buffer.slice(offset)
    return frames
  }

  /** Bytes received but not yet part of a complete frame. */
  get pending(): number {
    return this.buffer.length
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}
