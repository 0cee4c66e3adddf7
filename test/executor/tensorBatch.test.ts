import assert from 'node:assert/strict'
import { test } from 'node:test'
import { concatRows, sliceRows, splittable } from '../../app/executor/tensorBatch.ts'
import type { TensorData } from '../../app/executor/tensorData.ts'

test('concatRows stacks numbers and strings along dim 0; sliceRows cuts rows back out', () => {
  const parts = [
    { x: { type: 'int64', dims: [1, 2], data: new BigInt64Array([1n, 2n]) }, s: { type: 'string', dims: [1], data: ['a'] } },
    { x: { type: 'int64', dims: [2, 2], data: new BigInt64Array([3n, 4n, 5n, 6n]) }, s: { type: 'string', dims: [2], data: ['b', 'c'] } },
  ] satisfies Record<string, TensorData>[]
  const batch = concatRows(parts)
  assert.deepEqual(batch.x!.dims, [3, 2])
  assert.deepEqual([...batch.x!.data], [1n, 2n, 3n, 4n, 5n, 6n])
  assert.ok(batch.x!.data instanceof BigInt64Array)
  assert.deepEqual(batch.s, { type: 'string', dims: [3], data: ['a', 'b', 'c'] })
  const second = sliceRows(batch.x!, 1, 2, true)
  assert.deepEqual(second.dims, [2, 2])
  assert.deepEqual([...second.data], [3n, 4n, 5n, 6n])
  assert.deepEqual(sliceRows(batch.s, 1, 2, false), { type: 'string', dims: [2], data: ['b', 'c'] })
  // A copy owns its data; a view shares the batch's.
  ;(second.data as BigInt64Array)[0] = 99n
  assert.equal((batch.x!.data as BigInt64Array)[2], 3n)
  const view = sliceRows(batch.x!, 0, 1, false)
  ;(view.data as BigInt64Array)[0] = 42n
  assert.equal((batch.x!.data as BigInt64Array)[0], 42n)
  assert.deepEqual(batch.x!.dims, [3, 2], 'the batch tensor’s dims are not touched')
})

test('splittable: every output must have one row per batched row', () => {
  const f = (dims: number[]): TensorData => ({ type: 'float32', dims, data: new Float32Array(dims.reduce((a, b) => a * b, 1)) })
  assert.equal(splittable({ y: f([3, 1]), z: f([3]) }, 3), true)
  assert.equal(splittable({ y: f([3, 1]), z: f([1, 3]) }, 3), false)
  assert.equal(splittable({ y: f([]) }, 1), false)
})
