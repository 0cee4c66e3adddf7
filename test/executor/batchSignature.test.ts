import assert from 'node:assert/strict'
import { test } from 'node:test'
import { batchShape } from '../../app/executor/batchSignature.ts'
import type { TensorData } from '../../app/executor/tensorData.ts'

test('the signature ignores the first dim and nothing else; rows is the shared first dim', () => {
  const id = (inputs: Record<string, TensorData>) => batchShape({ modelCid: 'm', inputs })
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

test('the signature does not depend on the order inputs are listed in, and names cannot run into each other', () => {
  const f = (dims: number[]): TensorData => ({ type: 'float32', dims, data: new Float32Array(dims.reduce((a, b) => a * b, 1)) })
  assert.equal(
    batchShape({ modelCid: 'm', inputs: { a: f([1, 2]), b: f([1, 3]) } }).signature,
    batchShape({ modelCid: 'm', inputs: { b: f([1, 3]), a: f([1, 2]) } }).signature,
  )
  assert.notEqual(
    batchShape({ modelCid: 'm', inputs: { ab: f([1, 2]) } }).signature,
    batchShape({ modelCid: 'm', inputs: { a: f([1, 2]), b: f([1]) } }).signature,
  )
})
