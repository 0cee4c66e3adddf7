/**
 * Tensors as the executor takes and returns them: plain data (element type, dims, a typed array
 * or string[]), so they cross worker threads by structured clone and hash canonically.
 */

export type TensorType =
  | 'float32'
  | 'float64'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool'
  | 'string'

export type TensorArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | string[]

export interface TensorData {
  type: TensorType
  dims: number[]
  data: TensorArray
}

/** A typed-array constructor; `bool` is stored one byte per element, as onnxruntime does. */
type NumericArrayConstructor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int8ArrayConstructor
  | Int16ArrayConstructor
  | Int32ArrayConstructor
  | BigInt64ArrayConstructor
  | Uint8ArrayConstructor
  | Uint16ArrayConstructor
  | Uint32ArrayConstructor
  | BigUint64ArrayConstructor

export const ARRAY_OF_TYPE: Readonly<Record<Exclude<TensorType, 'string'>, NumericArrayConstructor>> = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
}

/** Stable small number per type, used in the canonical request encoding. */
export const TYPE_CODE: Readonly<Record<TensorType, number>> = {
  float32: 1,
  float64: 2,
  int8: 3,
  int16: 4,
  int32: 5,
  int64: 6,
  uint8: 7,
  uint16: 8,
  uint32: 9,
  uint64: 10,
  bool: 11,
  string: 12,
}

/** Number of elements of a tensor with these dims (1 for a scalar). */
export function elementCount(dims: readonly number[]): number {
  let n = 1
  for (const d of dims) n *= d
  return n
}

/**
 * What is wrong with a tensor's own description (not whether the model accepts it), or
 * undefined when type, array kind, dims and element count agree.
 * @example tensorProblem({ type: 'float32', dims: [1, 2], data: new Float32Array(3) }) // 'dims [1, 2] hold 2 elements but the data has 3'
 */
export function tensorProblem(t: TensorData): string | undefined {
  if (t === null || typeof t !== 'object') return 'is not a tensor ({ type, dims, data })'
  if (!(t.type in TYPE_CODE)) return `has unsupported element type "${String(t.type)}"; supported: ${Object.keys(TYPE_CODE).join(', ')}`
  if (!Array.isArray(t.dims) || !t.dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    return `dims must be an array of non-negative integers, got ${JSON.stringify(t.dims)}`
  }
  if (t.type === 'string') {
    if (!Array.isArray(t.data) || !t.data.every((s) => typeof s === 'string')) return 'is a string tensor: data must be a string[]'
  } else {
    const expected = ARRAY_OF_TYPE[t.type]
    if (!(t.data instanceof expected)) {
      return `is ${t.type}: data must be a ${expected.name}, got ${t.data?.constructor?.name ?? typeof t.data}`
    }
  }
  const n = elementCount(t.dims)
  if (t.data.length !== n) return `dims [${t.dims.join(', ')}] hold ${n} elements but the data has ${t.data.length}`
  return undefined
}
