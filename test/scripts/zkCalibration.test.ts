/**
 * The ZK setup's calibration data (scripts/zk/calibrationData.ts), without EZKL: the circuit's
 * shapes, the deterministic generated samples, and every refusal of a user's calibration file.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  type CircuitShape,
  circuitShape,
  firstSample,
  GENERATED_SAMPLES,
  generatedCalibration,
  parseCalibration,
} from '../../scripts/zk/calibrationData.ts'
import { ZkSetupError } from '../../scripts/zk/zkSetupError.ts'

const shape: CircuitShape = circuitShape([
  { name: 'features', type: 'float32', shape: ['batch', 4] },
  { name: 'flags', type: 'int64', shape: ['batch', 2] },
])

test('circuitShape sets every symbolic dim to 1 and lists it once for EZKL', () => {
  assert.deepEqual(shape.variables, [['batch', 1]])
  assert.deepEqual(
    shape.inputs.map((i) => [i.name, i.shape, i.size]),
    [
      ['features', [1, 4], 4],
      ['flags', [1, 2], 2],
    ],
  )
  assert.deepEqual(circuitShape([{ name: 's', type: 'float32', shape: [] }]).inputs[0]?.size, 1, 'a scalar is one number')
})

test('generated calibration data is deterministic, 8 samples per input, floats in [-1, 1] and small integers', () => {
  const a = generatedCalibration(shape)
  assert.deepEqual(a, generatedCalibration(shape))
  assert.equal(GENERATED_SAMPLES, 8)
  assert.equal(a.input_data[0]?.length, 4 * 8)
  assert.equal(a.input_data[1]?.length, 2 * 8)
  assert.ok(a.input_data[0]!.every((v) => v >= -1 && v <= 1))
  assert.ok(new Set(a.input_data[0]).size > 8, 'varied')
  assert.ok(a.input_data[1]!.every((v) => Number.isInteger(v) && v >= -8 && v <= 8))
  assert.deepEqual(firstSample(a, shape).input_data, [a.input_data[0]!.slice(0, 4), a.input_data[1]!.slice(0, 2)])
  const bools = generatedCalibration(circuitShape([{ name: 'b', type: 'bool', shape: [3] }]))
  assert.ok(bools.input_data[0]!.every((v) => v === 0 || v === 1))
})

test('a calibration file in EZKL’s input format with whole samples is taken as is', () => {
  const text = JSON.stringify({
    input_data: [
      [1, 2, 3, 4, 5, 6, 7, 8],
      [0, 1, 1, 0],
    ],
  })
  assert.deepEqual(parseCalibration(text, shape, 'cal.json'), JSON.parse(text))
})

test('every bad calibration file is refused with what is wrong', () => {
  const cases: [string, string, RegExp][] = [
    ['not JSON', '{input', /^cal\.json: not JSON \(/],
    [
      'no input_data',
      '{"inputs": []}',
      /^cal\.json: expected EZKL's input format \{"input_data": \[\[…4·n numbers for "features"…\], \[…2·n numbers for "flags"…\]\]\}$/,
    ],
    ['an array', '[[1, 2, 3, 4]]', /expected EZKL's input format/],
    [
      'one list for two inputs',
      '{"input_data": [[1, 2, 3, 4]]}',
      /^cal\.json: input_data has 1 lists, the model has 2 inputs \(features, flags\)$/,
    ],
    ['an empty list', '{"input_data": [[], [1, 2]]}', /^cal\.json: input_data\[0\] \("features"\) must be a non-empty list of numbers$/],
    [
      'a string value',
      '{"input_data": [[1, 2, "3", 4], [1, 2]]}',
      /^cal\.json: input_data\[0\]\[2\] \("features"\) is "3", not a finite number$/,
    ],
    ['a null value', '{"input_data": [[1, 2, 3, 4], [null, 2]]}', /input_data\[1\]\[0\] \("flags"\) is null, not a finite number/],
    [
      'part of a sample',
      '{"input_data": [[1, 2, 3, 4, 5], [1, 2]]}',
      /^cal\.json: input_data\[0\] \("features", shape \[1, 4\]\) has 5 numbers, not a whole number of samples of 4$/,
    ],
    [
      'different sample counts',
      '{"input_data": [[1, 2, 3, 4], [1, 2, 3, 4]]}',
      /^cal\.json: the inputs have different numbers of samples \(1, 2\)$/,
    ],
  ]
  for (const [what, text, message] of cases) {
    assert.throws(
      () => parseCalibration(text, shape, 'cal.json'),
      (err: unknown) => err instanceof ZkSetupError && err.kind === 'badCalibration' && message.test(err.message),
      what,
    )
  }
})
