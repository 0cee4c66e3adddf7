import type { TensorArray, TensorData, TensorType } from '../../../executor/tensorData.ts'
import type { OnnxElementType, OnnxValueInfo } from '../../../modelHub/onnxModel.ts'
import { ErrInvalidInput, ErrInvalidOutput } from '../errors.ts'
import { FLOAT_OUTPUT_DECIMALS, MAX_DECIMALS, MAX_INPUT_ELEMENTS } from '../params.ts'
import type { ModelInput, ModelOutput, NumberTensor } from './abi.ts'
import { INT128_MAX, INT128_MIN } from './int128.ts'

/**
 * TensorLib (the precompile's ABI) ⇄ onnxruntime tensors, checked against the model's declared
 * inputs and outputs. Numbers are `value × 10^-decimals`; floats are converted exactly.
 */

export type { TensorArray, TensorData } from '../../../executor/tensorData.ts'

const INTEGER_RANGES: Partial<Record<OnnxElementType, [bigint, bigint]>> = {
  int8: [-(2n ** 7n), 2n ** 7n - 1n],
  int16: [-(2n ** 15n), 2n ** 15n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint8: [0n, 2n ** 8n - 1n],
  uint16: [0n, 2n ** 16n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  bool: [0n, 1n],
}
const FLOATS = new Set<OnnxElementType>(['float32', 'float64'])

const describe = (v: OnnxValueInfo): string => `${v.name} (${v.type} [${v.shape.join(', ')}])`

/**
 * The onnxruntime feeds for a request, or an ErrInvalidInput naming the tensor and what is
 * wrong with it (unknown or missing name, shape, count, decimals, type, range).
 */
export function toOnnxInputs(input: ModelInput, declared: OnnxValueInfo[]): Record<string, TensorData> {
  const byName = new Map(declared.map((d) => [d.name, d]))
  const expected = () => declared.map(describe).join(', ')
  const feeds: Record<string, TensorData> = {}
  let elements = 0
  const take = (name: string, kind: 'number' | 'string', shape: readonly number[], count: number): OnnxValueInfo => {
    const spec = byName.get(name)
    if (!spec) throw ErrInvalidInput.with(`unknown input tensor "${name}"; the model takes ${expected()}`)
    if (name in feeds) throw ErrInvalidInput.with(`input tensor "${name}" is given twice`)
    elements += count
    if (elements > MAX_INPUT_ELEMENTS) throw ErrInvalidInput.with(`more than ${MAX_INPUT_ELEMENTS} input elements`)
    if ((spec.type === 'string') !== (kind === 'string')) {
      throw ErrInvalidInput.with(
        `input tensor "${name}" is ${spec.type}: pass it as a ${spec.type === 'string' ? 'StringTensor' : 'MultiDimensionalNumberTensor'}`,
      )
    }
    checkShape(spec, shape, count)
    return spec
  }
  for (const t of input.numbers) {
    const spec = take(t.name, 'number', t.shape, t.values.length)
    feeds[t.name] = { type: spec.type as TensorType, dims: [...t.shape], data: numbersToArray(t, spec.type) }
  }
  for (const t of input.strings) {
    // A StringTensor carries no shape: it is a vector, or the model's shape with its batch dim 1.
    const spec = byName.get(t.name)
    const shape = spec ? inferStringShape(spec, t.values.length) : [t.values.length]
    take(t.name, 'string', shape, t.values.length)
    feeds[t.name] = { type: 'string', dims: shape, data: [...t.values] }
  }
  const missing = declared.filter((d) => !(d.name in feeds))
  if (missing.length > 0)
    throw ErrInvalidInput.with(`missing input tensor${missing.length > 1 ? 's' : ''} ${missing.map(describe).join(', ')}`)
  return feeds
}

function inferStringShape(spec: OnnxValueInfo, count: number): number[] {
  if (spec.shape.length <= 1) return [count]
  return spec.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? 1 : count))
}

function checkShape(spec: OnnxValueInfo, shape: readonly number[], count: number): void {
  const want = `[${spec.shape.join(', ')}]`
  if (spec.shape.length > 0 && shape.length !== spec.shape.length) {
    throw ErrInvalidInput.with(`input tensor "${spec.name}" has shape [${shape.join(', ')}], the model expects ${want}`)
  }
  shape.forEach((d, i) => {
    const m = spec.shape[i]
    if (d < 1) throw ErrInvalidInput.with(`input tensor "${spec.name}" has a zero dimension in shape [${shape.join(', ')}]`)
    if (typeof m === 'number' && m > 0 && m !== d) {
      throw ErrInvalidInput.with(`input tensor "${spec.name}" has shape [${shape.join(', ')}], the model expects ${want}`)
    }
  })
  const product = shape.reduce((n, d) => n * d, 1)
  if (product !== count) {
    throw ErrInvalidInput.with(`input tensor "${spec.name}" has ${count} values but its shape [${shape.join(', ')}] needs ${product}`)
  }
}

function numbersToArray(t: NumberTensor, type: OnnxElementType): TensorArray {
  const n = t.values.length
  const decimals = t.values.map(({ decimals }, i) => {
    if (decimals < 0n || decimals > BigInt(MAX_DECIMALS)) {
      throw ErrInvalidInput.with(`input tensor "${t.name}" value ${i} has decimals ${decimals}; allowed 0 to ${MAX_DECIMALS}`)
    }
    return Number(decimals)
  })
  if (FLOATS.has(type)) {
    const out = type === 'float32' ? new Float32Array(n) : new Float64Array(n)
    // "<value>e-<decimals>" parses to the correctly rounded double; Float32Array rounds again.
    t.values.forEach(({ value }, i) => {
      out[i] = Number.parseFloat(`${value}e-${decimals[i]}`)
    })
    return out
  }
  const range = INTEGER_RANGES[type]
  if (!range) throw ErrInvalidInput.with(`input tensor "${t.name}" has element type ${type}, which the precompile cannot fill`)
  const ints = t.values.map(({ value }, i) => {
    const scale = 10n ** BigInt(decimals[i]!)
    if (value % scale !== 0n) {
      throw ErrInvalidInput.with(
        `input tensor "${t.name}" is ${type}: value ${i} (${value} with decimals ${decimals[i]}) is not an integer`,
      )
    }
    const v = value / scale
    if (v < range[0] || v > range[1]) throw ErrInvalidInput.with(`input tensor "${t.name}" value ${i} (${v}) is outside ${type}`)
    return v
  })
  switch (type) {
    case 'int64':
      return BigInt64Array.from(ints)
    case 'uint64':
      return BigUint64Array.from(ints)
    case 'int32':
      return Int32Array.from(ints, Number)
    case 'int16':
      return Int16Array.from(ints, Number)
    case 'int8':
      return Int8Array.from(ints, Number)
    case 'uint32':
      return Uint32Array.from(ints, Number)
    case 'uint16':
      return Uint16Array.from(ints, Number)
    default:
      return Uint8Array.from(ints, Number) // uint8, bool
  }
}

/**
 * The precompile's ModelOutput for onnxruntime's outputs, in the model's output order. Floats
 * become exact fixed-point numbers with {@link FLOAT_OUTPUT_DECIMALS} decimals (fewer if int128
 * would overflow); NaN and infinities are refused.
 */
export function fromOnnxOutputs(outputs: Record<string, TensorData>, declared: OnnxValueInfo[]): ModelOutput {
  const out: ModelOutput = { numbers: [], strings: [], jsons: [], is_simulation_result: false }
  for (const spec of declared) {
    const t = outputs[spec.name]
    if (!t) throw ErrInvalidOutput.with(`the model did not return output "${spec.name}"`)
    if (t.type === 'string') {
      out.strings.push({ name: spec.name, values: [...(t.data as string[])] })
      continue
    }
    const values = Array.from(t.data as ArrayLike<number | bigint>, (x, i) => {
      if (typeof x === 'bigint') return { value: x, decimals: 0n }
      if (FLOATS.has(t.type)) return floatToNumber(x, spec.name, i)
      return { value: BigInt(x), decimals: 0n }
    })
    out.numbers.push({ name: spec.name, values, shape: t.dims })
  }
  return out
}

function floatToNumber(x: number, name: string, index: number): { value: bigint; decimals: bigint } {
  if (!Number.isFinite(x)) throw ErrInvalidOutput.with(`output "${name}" value ${index} is ${x}, which TensorLib cannot carry`)
  for (let d = FLOAT_OUTPUT_DECIMALS; d >= 0; d--) {
    const value = exactFixedPoint(x, d)
    if (value >= INT128_MIN && value <= INT128_MAX) return { value, decimals: BigInt(d) }
  }
  throw ErrInvalidOutput.with(`output "${name}" value ${index} (${x}) does not fit int128`)
}

/**
 * round(x × 10^decimals), computed exactly from the double's bits (round half to even), so the
 * same float gives the same number everywhere.
 */
export function exactFixedPoint(x: number, decimals: number): bigint {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, x)
  const bits = view.getBigUint64(0)
  const negative = bits >> 63n === 1n
  const exponentBits = Number((bits >> 52n) & 0x7ffn)
  let mantissa = bits & ((1n << 52n) - 1n)
  let exponent: number
  if (exponentBits === 0) exponent = -1074
  else {
    mantissa |= 1n << 52n
    exponent = exponentBits - 1075
  }
  const scaled = mantissa * 10n ** BigInt(decimals)
  let value: bigint
  if (exponent >= 0) value = scaled << BigInt(exponent)
  else {
    const shift = BigInt(-exponent)
    const q = scaled >> shift
    const r = scaled - (q << shift)
    const half = 1n << (shift - 1n)
    value = r > half || (r === half && (q & 1n) === 1n) ? q + 1n : q
  }
  return negative ? -value : value
}
