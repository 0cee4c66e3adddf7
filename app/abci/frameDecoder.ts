import { decodeUvarint } from './varint.ts'

/** Largest ABCI message accepted from CometBFT (its own limit for a block is 100 MiB). */
export const MAX_FRAME_BYTES = 128 * 1024 * 1024

/** A uvarint of a 64-bit length takes at most 10 bytes. */
const MAX_PREFIX_BYTES = 10

/**
 * Splits a byte stream into length-prefixed frames. Feed it socket chunks; it returns every
 * complete frame body and keeps the rest for the next chunk. Chunks are kept as a list and
 * joined once per frame, so a large frame arriving in many chunks costs one copy, not one per
 * chunk.
 */
export class FrameDecoder {
  private chunks: Uint8Array[] = []
  private buffered = 0
  /** The frame at the head of the stream, once its length prefix has arrived. */
  private head: { prefix: number; total: number } | undefined

  push(chunk: Uint8Array): Uint8Array[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk)
      this.buffered += chunk.length
    }
    const frames: Uint8Array[] = []
    for (;;) {
      if (!this.head) {
        const prefix = decodeUvarint(this.peek(MAX_PREFIX_BYTES), 0)
        if (prefix === undefined) break
        if (prefix.value > MAX_FRAME_BYTES) {
          throw new RangeError(`ABCI frame of ${prefix.value} bytes exceeds the ${MAX_FRAME_BYTES}-byte limit`)
        }
        this.head = { prefix: prefix.length, total: prefix.length + prefix.value }
      }
      if (this.buffered < this.head.total) break
      frames.push(this.take(this.head.total).subarray(this.head.prefix))
      this.head = undefined
    }
    return frames
  }

  /** Bytes received but not yet part of a complete frame. */
  get pending(): number {
    return this.buffered
  }

  /** Up to `n` bytes from the start of the stream, without consuming them. */
  private peek(n: number): Uint8Array {
    const first = this.chunks[0]
    if (!first || first.length >= n || this.chunks.length === 1) return first?.subarray(0, n) ?? new Uint8Array(0)
    return this.join(Math.min(n, this.buffered), false)
  }

  /** Removes and returns the first `n` bytes of the stream (`n` ≤ buffered). */
  private take(n: number): Uint8Array {
    const first = this.chunks[0]!
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift()
      else this.chunks[0] = first.subarray(n)
      this.buffered -= n
      return first.subarray(0, n)
    }
    return this.join(n, true)
  }

  /** Copies the first `n` bytes of the stream into one array, consuming them if asked. */
  private join(n: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(n)
    let filled = 0
    let i = 0
    while (filled < n) {
      const c = this.chunks[i]!
      const part = Math.min(c.length, n - filled)
      out.set(c.subarray(0, part), filled)
      filled += part
      if (consume && part < c.length) this.chunks[i] = c.subarray(part)
      else i++
    }
    if (consume) {
      this.chunks.splice(0, i)
      this.buffered -= n
    }
    return out
  }
}
