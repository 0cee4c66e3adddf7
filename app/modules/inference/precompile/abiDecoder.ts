/**
 * The inference precompile's ABI decoding (the runModelInference call, ModelOutput), written out
 * like its encoding (abiEncoder.ts). Decoding is strict, and differs from viem's on purpose:
 * - uint8 and uint32 words must have zero high bytes and int128 words must be sign-extended
 *   (viem reads the whole word and returns an out-of-range value); bools are 0 or 1, as in viem;
 * - strings must be valid UTF-8, which is kept exactly, a leading BOM included (viem replaces
 *   invalid bytes with U+FFFD and drops a leading BOM);
 * - every offset and length must lie inside the data, and the decoded values may not add up to
 *   more bytes than the data holds, so offsets that share one region cannot amplify a small
 *   input into a huge value (viem bounds strings to 32× the data and repeated reads to 8,192).
 * Like viem (and solc), it accepts offsets that point anywhere in bounds, does not check string
 * padding, and ignores bytes after the encoding. Every failure is an Error saying what and where
 * (byte positions count from the start of the data, the selector included).
 */
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { toFunctionSelector } from 'viem'
import {
  type JsonScalar,
  type ModelInferenceRequest,
  type ModelInput,
  type ModelOutput,
  type NumberTensor,
  ogInferenceAbi,
  type StringTensor,
  type TensorNumber,
} from './abi.ts'

/** Bytes in an ABI word. */
const WORD = 32
/** The 4-byte selector of `runModelInference((uint8,string,((string,(int128,int128)[],uint32[])[],(string,string[])[])))`. */
const RUN_MODEL_INFERENCE_SELECTOR = hexToBytes(toFunctionSelector(ogInferenceAbi[0]))

/** Decodes `runModelInference` calldata: the selector, then the ModelInferenceRequest tuple. */
export function decodeInferenceCall(data: Uint8Array): ModelInferenceRequest {
  const selector = RUN_MODEL_INFERENCE_SELECTOR
  if (data.length < 4 || data[0] !== selector[0] || data[1] !== selector[1] || data[2] !== selector[2] || data[3] !== selector[3]) {
    throw new Error(`selector ${bytesToHex(data.subarray(0, 4))} is not runModelInference's ${bytesToHex(selector)}`)
  }
  const r = new AbiReader(data, 4)
  const at = r.tuple(r.follow(4, 4, 'request'), 3, 'request')
  return {
    mode: r.uint(at, 8, 'mode'),
    modelCID: r.string(r.follow(at + WORD, at, 'modelCID'), 'modelCID'),
    input: readModelInput(r, r.follow(at + 2 * WORD, at, 'input')),
  }
}

/** Decodes a ModelOutput as the precompile returns it (the inverse of encodeModelOutput). */
export function decodeModelOutput(bytes: Uint8Array): ModelOutput {
  const r = new AbiReader(bytes, 0)
  const at = r.tuple(r.follow(0, 0, 'output'), 4, 'output')
  return {
    ...readTensors(r, at),
    jsons: r.array(r.follow(at + 2 * WORD, at, 'jsons'), 'jsons', (p) => readJsonScalar(r, p)),
    is_simulation_result: r.bool(at + 3 * WORD, 'is_simulation_result'),
  }
}

function readModelInput(r: AbiReader, at: number): ModelInput {
  return readTensors(r, r.tuple(at, 2, 'input'))
}

/** Reads the `numbers` and `strings` fields, heads 0 and 1 of the tuple at `at`. */
function readTensors(r: AbiReader, at: number): { numbers: NumberTensor[]; strings: StringTensor[] } {
  return {
    numbers: r.array(r.follow(at, at, 'numbers'), 'numbers', (p) => readNumberTensor(r, p)),
    strings: r.array(r.follow(at + WORD, at, 'strings'), 'strings', (p) => readStringTensor(r, p)),
  }
}

function readNumberTensor(r: AbiReader, at: number): NumberTensor {
  r.tuple(at, 3, 'number tensor')
  const name = r.string(r.follow(at, at, 'tensor name'), 'tensor name')
  const valuesAt = r.follow(at + WORD, at, 'tensor values')
  const values: TensorNumber[] = new Array(r.length(valuesAt, 2 * WORD, 'tensor values'))
  for (let i = 0, p = valuesAt + WORD; i < values.length; i++, p += 2 * WORD) {
    values[i] = { value: r.int128(p, 'value'), decimals: r.int128(p + WORD, 'decimals') }
  }
  const shapeAt = r.follow(at + 2 * WORD, at, 'tensor shape')
  const shape: number[] = new Array(r.length(shapeAt, WORD, 'tensor shape'))
  for (let i = 0; i < shape.length; i++) shape[i] = r.uint(shapeAt + WORD + WORD * i, 32, 'shape dimension')
  return { name, values, shape }
}

function readStringTensor(r: AbiReader, at: number): StringTensor {
  r.tuple(at, 2, 'string tensor')
  return {
    name: r.string(r.follow(at, at, 'tensor name'), 'tensor name'),
    values: r.array(r.follow(at + WORD, at, 'tensor strings'), 'tensor strings', (p) => r.string(p, 'tensor string')),
  }
}

function readJsonScalar(r: AbiReader, at: number): JsonScalar {
  r.tuple(at, 2, 'json')
  return {
    name: r.string(r.follow(at, at, 'json name'), 'json name'),
    value: r.string(r.follow(at + WORD, at, 'json value'), 'json value'),
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
/** Strings up to this many bytes that are ASCII are built directly, skipping TextDecoder's call cost. */
const SHORT_STRING = 64

/**
 * Reads an ABI encoding, checking every word it reads against the data's end, and counting what
 * it decodes against a budget of the data's size (a canonical encoding reads each byte once).
 */
class AbiReader {
  private readonly view: DataView
  private budget: number

  /** `start`: where the encoding begins (after a selector). */
  constructor(
    private readonly data: Uint8Array,
    start: number,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength)
    this.budget = data.length - start
  }

  /** Checks the heads of a tuple at `at`; returns `at`. */
  tuple(at: number, heads: number, what: string): number {
    this.inBounds(at, heads * WORD, what)
    this.spend(heads * WORD)
    return at
  }

  /** Where the offset in the head word at `head` points: `base` + the offset, a tail's first word, which must be in the data. */
  follow(head: number, base: number, what: string): number {
    const offset = this.small(head, `${what} offset`)
    const at = base + offset
    if (offset < 0 || at + WORD > this.data.length) {
      throw new Error(
        `${what} offset at byte ${head} points outside the data (${offset < 0 ? 'above 2^32' : at}, data is ${this.data.length} bytes)`,
      )
    }
    return at
  }

  /** The length word at `at` of an array (or string) of items of `itemSize` bytes, which must all be in the data. */
  length(at: number, itemSize: number, what: string): number {
    const length = this.small(at, `${what} length`)
    const room = this.data.length - at - WORD
    if (length < 0 || length * itemSize > room) {
      throw new Error(`${what} length at byte ${at} (${length < 0 ? 'above 2^32' : length}) needs more than the ${room} bytes that follow`)
    }
    this.spend(WORD + length * itemSize)
    return length
  }

  /** A dynamic array at `at` of dynamic items: its length, then a head per item pointing at the item. */
  array<T>(at: number, what: string, readItem: (at: number) => T): T[] {
    const items: T[] = new Array(this.length(at, WORD, what))
    const heads = at + WORD
    for (let i = 0; i < items.length; i++) items[i] = readItem(this.follow(heads + WORD * i, heads, what))
    return items
  }

  /** A string whose length word is at `at`: strict UTF-8. */
  string(at: number, what: string): string {
    const start = at + WORD
    const end = start + this.length(at, 1, what)
    const data = this.data
    if (end - start <= SHORT_STRING) {
      let ascii = true
      for (let i = start; i < end && ascii; i++) ascii = data[i]! < 0x80
      if (ascii) return String.fromCharCode.apply(null, data.subarray(start, end) as unknown as number[])
    }
    try {
      return strictUtf8.decode(data.subarray(start, end))
    } catch {
      throw new Error(`${what} at byte ${at} is not valid UTF-8`)
    }
  }

  /** The word at `at` as an unsigned integer of `bits` ≤ 32 bits. */
  uint(at: number, bits: number, what: string): number {
    const value = this.small(at, what)
    if (value < 0 || (bits < 32 && value >>> bits !== 0)) throw new Error(`${what} at byte ${at} does not fit in uint${bits}`)
    return value
  }

  bool(at: number, what: string): boolean {
    const value = this.small(at, what)
    if (value !== 0 && value !== 1) throw new Error(`${what} at byte ${at} is not a bool (0 or 1)`)
    return value === 1
  }

  /** The int128 at `at`: its top 16 bytes must repeat its sign bit. */
  int128(at: number, what: string): bigint {
    this.inBounds(at, WORD, what)
    const v = this.view
    const sign = v.getInt32(at + 16) >> 31 // 0 or -1
    if (v.getInt32(at) !== sign || v.getInt32(at + 4) !== sign || v.getInt32(at + 8) !== sign || v.getInt32(at + 12) !== sign) {
      throw new Error(`${what} at byte ${at} is not a sign-extended int128`)
    }
    if (v.getInt32(at + 16) === sign && v.getInt32(at + 20) === sign && v.getInt32(at + 24) >> 31 === sign) return v.getBigInt64(at + 24)
    return (v.getBigInt64(at + 16) << 64n) | v.getBigUint64(at + 24)
  }

  /** The word at `at` as a number if it is below 2^32, else -1. */
  private small(at: number, what: string): number {
    this.inBounds(at, WORD, what)
    const v = this.view
    for (let i = at; i < at + WORD - 4; i += 4) if (v.getUint32(i) !== 0) return -1
    return v.getUint32(at + WORD - 4)
  }

  private inBounds(at: number, size: number, what: string): void {
    if (at + size > this.data.length) throw new Error(`${what} at byte ${at} runs past the end of the data (${this.data.length} bytes)`)
  }

  private spend(bytes: number): void {
    this.budget -= bytes
    if (this.budget < 0) throw new Error('the ABI data decodes to more bytes than it holds: offsets make parts of it overlap')
  }
}
