import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AppError } from '../../../../app/errors.ts'
import type { OnnxValueInfo } from '../../../../app/modelHub/onnxModel.ts'
import type { ModelInput } from '../../../../app/modules/inference/precompile/abi.ts'
import { exactFixedPoint, fromOnnxOutputs, toOnnxInputs } from '../../../../app/modules/inference/precompile/tensors.ts'

const features: OnnxValueInfo[] = [{ name: 'features', type: 'float32', shape: ['batch', 4] }]
const num = (value: bigint, decimals = 0n) => ({ value, decimals })
const row = (name: string, values: { value: bigint; decimals: bigint }[], shape = [1, values.length]): ModelInput => ({
  numbers: [{ name, values, shape }],
  strings: [],
})

function message(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof AppError)
    assert.equal(err.codespace, 'inference')
    return err.message
  }
  return assert.fail('expected an error')
}

test('fixed-point numbers become the nearest float of the declared type', () => {
  const feeds = toOnnxInputs(row('features', [num(15n, 1n), num(-2n), num(1n, 18n), num(123456789n, 3n)]), features)
  assert.equal(feeds.features!.type, 'float32')
  assert.deepEqual(feeds.features!.dims, [1, 4])
  assert.deepEqual([...(feeds.features!.data as Float32Array)], [1.5, -2, Math.fround(1e-18), Math.fround(123456.789)])
})

test('integer inputs take whole values only, within the element type', () => {
  const spec: OnnxValueInfo[] = [{ name: 'i', type: 'int64', shape: [2] }]
  const ok = toOnnxInputs({ numbers: [{ name: 'i', values: [num(20n, 1n), num(-(2n ** 63n))], shape: [2] }], strings: [] }, spec)
  assert.deepEqual([...(ok.i!.data as BigInt64Array)], [2n, -(2n ** 63n)])
  assert.match(
    message(() => toOnnxInputs({ numbers: [{ name: 'i', values: [num(15n, 1n), num(1n)], shape: [2] }], strings: [] }, spec)),
    /"i" is int64: value 0 \(15 with decimals 1\) is not an integer/,
  )
  const i32: OnnxValueInfo[] = [{ name: 'i', type: 'int32', shape: [1] }]
  assert.match(
    message(() => toOnnxInputs({ numbers: [{ name: 'i', values: [num(2n ** 31n)], shape: [1] }], strings: [] }, i32)),
    /value 0 \(2147483648\) is outside int32/,
  )
})

test('each malformed request names the tensor and what is wrong', () => {
  const four = [num(1n), num(2n), num(3n), num(4n)]
  assert.match(
    message(() => toOnnxInputs(row('feature', four), features)),
    /unknown input tensor "feature"; the model takes features \(float32 \[batch, 4\]\)/,
  )
  assert.match(
    message(() => toOnnxInputs({ numbers: [], strings: [] }, features)),
    /missing input tensor features \(float32 \[batch, 4\]\)/,
  )
  assert.match(
    message(() => toOnnxInputs(row('features', four, [1, 2, 2]), features)),
    /"features" has shape \[1, 2, 2\], the model expects \[batch, 4\]/,
  )
  assert.match(
    message(() => toOnnxInputs(row('features', four, [2, 4]), features)),
    /"features" has 4 values but its shape \[2, 4\] needs 8/,
  )
  assert.match(
    message(() => toOnnxInputs(row('features', [num(1n, 19n), num(2n), num(3n), num(4n)]), features)),
    /value 0 has decimals 19; allowed 0 to 18/,
  )
  const twice: ModelInput = { numbers: [row('features', four).numbers[0]!, row('features', four).numbers[0]!], strings: [] }
  assert.match(
    message(() => toOnnxInputs(twice, features)),
    /input tensor "features" is given twice/,
  )
  assert.match(
    message(() => toOnnxInputs({ numbers: [], strings: [{ name: 'features', values: ['a', 'b', 'c', 'd'] }] }, features)),
    /"features" is float32: pass it as a MultiDimensionalNumberTensor/,
  )
})

test('string tensors keep their values and take the model shape', () => {
  const feeds = toOnnxInputs({ numbers: [], strings: [{ name: 's', values: ['a', 'βγ'] }] }, [{ name: 's', type: 'string', shape: [2] }])
  assert.deepEqual(feeds.s, { type: 'string', dims: [2], data: ['a', 'βγ'] })
})

test("exact fixed point: the double's exact value, rounded half to even", () => {
  assert.equal(exactFixedPoint(0.5, 2), 50n)
  assert.equal(exactFixedPoint(0.1, 18), 100000000000000006n) // 0.1 is 0.1000000000000000055511… in binary
  assert.equal(exactFixedPoint(2.5, 0), 2n)
  assert.equal(exactFixedPoint(3.5, 0), 4n)
  assert.equal(exactFixedPoint(-2.5, 0), -2n)
  assert.equal(exactFixedPoint(Math.fround(0.39891213), 18), 398912131786346436n)
  assert.equal(exactFixedPoint(1e20, 0), 100000000000000000000n)
})

test('outputs follow the model order; floats get 18 decimals or fewer when int128 would overflow', () => {
  const declared: OnnxValueInfo[] = [
    { name: 'score', type: 'float32', shape: ['batch', 1] },
    { name: 'labels', type: 'string', shape: [2] },
    { name: 'count', type: 'int64', shape: [1] },
  ]
  const out = fromOnnxOutputs(
    {
      count: { type: 'int64', dims: [1], data: BigInt64Array.from([7n]) },
      labels: { type: 'string', dims: [2], data: ['low', 'high'] },
      score: { type: 'float32', dims: [2, 1], data: Float32Array.from([0.25, 3e30]) },
    },
    declared,
  )
  assert.equal(out.is_simulation_result, false)
  assert.deepEqual(
    out.numbers.map((t) => t.name),
    ['score', 'count'],
  )
  assert.deepEqual(out.numbers[0]!.shape, [2, 1])
  assert.deepEqual(out.numbers[0]!.values[0], { value: 250000000000000000n, decimals: 18n })
  assert.ok(out.numbers[0]!.values[1]!.decimals < 18n, 'large value gets fewer decimals')
  assert.equal(Number(out.numbers[0]!.values[1]!.value) / 10 ** Number(out.numbers[0]!.values[1]!.decimals), Math.fround(3e30))
  assert.deepEqual(out.numbers[1]!.values, [{ value: 7n, decimals: 0n }])
  assert.deepEqual(out.strings, [{ name: 'labels', values: ['low', 'high'] }])
  assert.match(
    message(() => fromOnnxOutputs({ score: { type: 'float32', dims: [1], data: Float32Array.from([Number.NaN]) } }, [declared[0]!])),
    /output "score" value 0 is NaN/,
  )
})

test('an input over the element limit is refused before anything else is checked', () => {
  const huge = { numbers: [{ name: 'features', values: Array.from({ length: 65_537 }, () => num(1n)), shape: [1, 65_537] }], strings: [] }
  assert.match(
    message(() => toOnnxInputs(huge, features)),
    /more than 65536 input elements/,
  )
})
