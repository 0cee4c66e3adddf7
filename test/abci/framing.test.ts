import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FrameDecoder, MAX_FRAME_BYTES } from '../../app/abci/frameDecoder.ts'
import { decodeUvarint, encodeUvarint } from '../../app/abci/varint.ts'

test('uvarint round-trips and matches Go binary.PutUvarint bytes', () => {
  assert.deepEqual([...encodeUvarint(0)], [0])
  assert.deepEqual([...encodeUvarint(1)], [1])
  assert.deepEqual([...encodeUvarint(127)], [0x7f])
  assert.deepEqual([...encodeUvarint(128)], [0x80, 0x01])
  assert.deepEqual([...encodeUvarint(300)], [0xac, 0x02])
  for (const n of [0, 1, 127, 128, 16383, 16384, 2 ** 31, 2 ** 40 + 5]) {
    assert.deepEqual(decodeUvarint(encodeUvarint(n)), { value: n, length: encodeUvarint(n).length })
  }
  assert.equal(decodeUvarint(Uint8Array.from([0x80])), undefined, 'incomplete varint')
  assert.throws(() => encodeUvarint(-1), RangeError)
})

test('frame decoder reassembles frames split at any byte and keeps the remainder', () => {
  const frames = [Uint8Array.from([1, 2, 3]), new Uint8Array(200).fill(7), new Uint8Array(0)]
  const wire = Buffer.concat(frames.flatMap((f) => [encodeUvarint(f.length), f]))
  for (let split = 0; split <= wire.length; split++) {
    const d = new FrameDecoder()
    const out = [...d.push(wire.subarray(0, split)), ...d.push(wire.subarray(split))]
    assert.deepEqual(
      out.map((f) => [...f]),
      frames.map((f) => [...f]),
      `split at ${split}`,
    )
    assert.equal(d.pending, 0)
  }
  const d = new FrameDecoder()
  assert.deepEqual(d.push(Uint8Array.from([5, 1, 2])), [])
  assert.equal(d.pending, 3)
})

test('frame decoder refuses a length prefix above the limit', () => {
  const d = new FrameDecoder()
  assert.throws(() => d.push(encodeUvarint(MAX_FRAME_BYTES + 1)), /exceeds/)
})

test('frame decoder reassembles frames fed one byte or many small chunks at a time', () => {
  const big = new Uint8Array(300_000)
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff
  const frames = [big, Uint8Array.from([9]), new Uint8Array(0), big.subarray(0, 1000)]
  const wire = Buffer.concat(frames.flatMap((f) => [encodeUvarint(f.length), f]))
  for (const size of [1, 3, 1024, 65_536]) {
    const d = new FrameDecoder()
    const out: Uint8Array[] = []
    for (let i = 0; i < wire.length; i += size) out.push(...d.push(wire.subarray(i, i + size)))
    assert.equal(out.length, frames.length, `chunks of ${size}`)
    out.forEach((f, i) => {
      assert.ok(Buffer.from(f).equals(Buffer.from(frames[i]!)), `frame ${i}, chunks of ${size}`)
    })
    assert.equal(d.pending, 0)
  }
})
