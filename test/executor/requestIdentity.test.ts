import { test } from 'node:test'
import assert from 'node:assert/strict'
import { requestIdentity } from '../../app/executor/requestIdentity.ts'
import type { InferenceRequest } from '../../app/executor/modelRun.ts'
import type { TensorData } from '../../app/executor/tensorData.ts'

const f32 = (dims: number[], values: ArrayLike<number>): TensorData => ({ type: 'float32', dims, data: new Float32Array(values) })
const key = (req: InferenceRequest): string => requestIdentity(req).key

test('the key depends on bytes, not on objects or on the order inputs are listed in', () => {
  const a = key({ modelCid: 'm', inputs: { x: f32([1, 2], [1, 2]), y: f32([1], [3]) } })
  assert.equal(key({ modelCid: 'm', inputs: { y: f32([1], [3]), x: f32([1, 2], [1, 2]) } }), a)
  // A view into a bigger buffer (at an odd offset, too) counts only its own bytes.
  const big = new Float32Array([9, 1, 2, 9])
  assert.equal(key({ modelCid: 'm', inputs: { x: { type: 'float32', dims: [1, 2], data: big.subarray(1, 3) }, y: f32([1], [3]) } }), a)
})

test('model, name, element type, dims, any data byte or string content change the key', () => {
  const base = key({ modelCid: 'm', inputs: { x: f32([1, 2], [1, 2]) } })
  const variants = [
    key({ modelCid: 'n', inputs: { x: f32([1, 2], [1, 2]) } }),
    key({ modelCid: 'm', inputs: { z: f32([1, 2], [1, 2]) } }),
    key({ modelCid: 'm', inputs: { x: f32([2, 1], [1, 2]) } }),
    key({ modelCid: 'm', inputs: { x: f32([1, 2], [1, 2.0000002]) } }),
    key({ modelCid: 'm', inputs: { x: { type: 'int32', dims: [1, 2], data: new Int32Array(new Float32Array([1, 2]).buffer) } } }),
    key({ modelCid: 'm', inputs: { x: f32([1, 2], [1, 2]), y: f32([0], []) } }),
  ]
  assert.equal(new Set([base, ...variants]).size, variants.length + 1)
  // bool and uint8 share a byte layout but not a meaning.
  const b = (type: 'bool' | 'uint8'): string => key({ modelCid: 'm', inputs: { b: { type, dims: [1], data: new Uint8Array([1]) } } })
  assert.notEqual(b('uint8'), b('bool'))
  // Strings are length-prefixed: ['ab', 'c'] and ['a', 'bc'] differ.
  const s = (data: string[]): string => key({ modelCid: 'm', inputs: { s: { type: 'string', dims: [2], data } } })
  assert.notEqual(s(['ab', 'c']), s(['a', 'bc']))
  assert.equal(s(['é', '🌍']), s(['é', '🌍']))
})

test('large inputs are keyed by a hash, still byte-exact in what they distinguish', () => {
  const values = Array.from({ length: 4096 }, (_, i) => i)
  const a = key({ modelCid: 'm', inputs: { x: f32([1, 4096], values) } })
  assert.equal(a.length, 45, 'a sha-256, not the 16 kB encoding')
  assert.equal(key({ modelCid: 'm', inputs: { x: f32([1, 4096], values) } }), a)
  const changed = values.slice()
  changed[4095] = -1
  assert.notEqual(key({ modelCid: 'm', inputs: { x: f32([1, 4096], changed) } }), a)
  // Bigger than the reused buffer: still works, and small keys after it are unaffected.
  const huge = key({ modelCid: 'm', inputs: { x: { type: 'float64', dims: [1, 20000], data: new Float64Array(20000) } } })
  assert.notEqual(huge, a)
  assert.equal(key({ modelCid: 'm', inputs: { x: f32([1, 2], [1, 2]) } }), key({ modelCid: 'm', inputs: { x: f32([1, 2], [1, 2]) } }))
})

test('the signature ignores the first dim and nothing else; rows is the shared first dim', () => {
  const id = (inputs: Record<string, TensorData>) => requestIdentity({ modelCid: 'm', inputs })
  const f = (dims: number[]): TensorData => ({ type: 'float32', dims, data: new Float32Array(dims.reduce((a, b) => a * b, 1)) })
  assert.equal(id({ x: f([1, 4, 2]) }).signature, id({ x: f([7, 4, 2]) }).signature)
  assert.notEqual(id({ x: f([1, 4, 2]) }).signature, id({ x: f([1, 2, 4]) }).signature)
  assert.notEqual(id({ x: f([1, 4]) }).signature, id({ x: { type: 'float64', dims: [1, 4], data: new Float64Array(4) } }).signature)
  assert.notEqual(id({ x: f([1, 4]) }).signature, id({ y: f([1, 4]) }).signature)
  assert.equal(id({ a: f([3, 2]), b: f([3]) }).rows, 3)
  assert.equal(id({ a: f([3, 2]), b: f([2, 3]) }).rows, undefined)
  assert.equal(id({ a: f([]) }).rows, undefined)
  assert.equal(id({}).rows, undefined)
})
