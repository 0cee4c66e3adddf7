import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as ort from 'onnxruntime-node'
import { OnnxParseError, parseOnnxModel } from '../../app/modelHub/onnxModel.ts'
import { OnnxBuilder } from '../../scripts/models/onnxBuilder.ts'

function tinyMlp(): Uint8Array {
  const m = new OnnxBuilder({ opset: 13 })
  m.input('features', 'float32', ['batch', 2]).output('y', 'float32', ['batch', 1])
  m.initializer('w', [2, 1], [0.5, -0.25])
  m.initializer('b', [1], [0.125])
  m.node('MatMul', ['features', 'w'], ['z']).node('Add', ['z', 'b'], ['y'])
  return m.build()
}

test('a model built in code parses back and runs in onnxruntime-node with the expected result', async () => {
  const bytes = tinyMlp()
  const info = parseOnnxModel(bytes)
  assert.equal(info.opset, 13)
  assert.equal(info.irVersion, 7)
  assert.deepEqual(info.inputs, [{ name: 'features', type: 'float32', shape: ['batch', 2] }])
  assert.deepEqual(info.outputs, [{ name: 'y', type: 'float32', shape: ['batch', 1] }])
  assert.deepEqual(info.ops, ['Add', 'MatMul'])
  assert.equal(info.parameters, 3)
  const session = await ort.InferenceSession.create(bytes)
  const out = await session.run({ features: new ort.Tensor('float32', new Float32Array([2, 4]), [1, 2]) })
  assert.deepEqual([...(out.y!.data as Float32Array)], [0.5 * 2 - 0.25 * 4 + 0.125])
})

test('garbage and truncated bytes are refused with an OnnxParseError', () => {
  assert.throws(() => parseOnnxModel(new TextEncoder().encode('definitely not onnx')), OnnxParseError)
  const bytes = tinyMlp()
  assert.throws(() => parseOnnxModel(bytes.subarray(0, bytes.length - 7)), OnnxParseError)
  assert.throws(() => parseOnnxModel(new Uint8Array([0x08, 0x07])), /graph \(field 7\) are required/)
})
