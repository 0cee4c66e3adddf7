/**
 * The inference precompile's ABI encoding, written out for its few types (ModelInput,
 * ModelOutput, the ModelInferenceEvent data): a general ABI library costs milliseconds per call
 * on a 256-element input, this a few microseconds. Encoding is canonical: byte for byte what
 * viem's `encodeAbiParameters` makes (input hashes and request keys commit to it). Decoding is
 * abiDecoder.ts.
 */
import type { JsonScalar, ModelInput, ModelOutput, NumberTensor, StringTensor } from './abi.ts'
import { INT128_MAX, INT128_MIN } from './int128.ts'

/** Bytes in an ABI word. */
const WORD = 32
const UINT32_MAX = 0xffffffff

/** Canonical bytes of a ModelInput, `encodeAbiParameters([modelInputParam], [input])`: what the input hash commits to. */
export function encodeModelInput(input: ModelInput): Uint8Array {
  const w = new AbiWriter(WORD + 2 * WORD + tensorsSize(input))
  w.field(w.claim(1), 0) // the offset of the tuple, which follows
  writeTensors(w, w.claim(2), input)
  return w.finish()
}

/** ABI encoding of a ModelOutput, `encodeAbiParameters([modelOutputParam], [output])`: what the precompile returns. */
export function encodeModelOutput(output: ModelOutput): Uint8Array {
  const w = new AbiWriter(WORD + 4 * WORD + tensorsSize(output) + arraySize(output.jsons, jsonScalarSize))
  w.field(w.claim(1), 0) // the offset of the tuple, which follows
  const base = w.claim(4)
  writeTensors(w, base, output)
  w.field(base, 2).array(output.jsons, writeJsonScalar)
  w.bool(base + 3 * WORD, output.is_simulation_result, 'is_simulation_result')
  return w.finish()
}

/** Data of `ModelInferenceEvent(string inferenceID, uint8 mode, string modelCID)`. */
export function encodeInferenceEvent(inferenceId: string, mode: number, modelCid: string): Uint8Array {
  const w = new AbiWriter(3 * WORD + stringSize(inferenceId) + stringSize(modelCid))
  const base = w.claim(3)
  w.field(base, 0).string(inferenceId)
  w.uint(base + WORD, mode, 0xff, 'mode')
  w.field(base, 2).string(modelCid)
  return w.finish()
}

/** Writes the `numbers` and `strings` fields, heads 0 and 1 of the tuple whose heads start at `base`. */
function writeTensors(w: AbiWriter, base: number, tensors: ModelInput): void {
  w.field(base, 0).array(tensors.numbers, writeNumberTensor)
  w.field(base, 1).array(tensors.strings, writeStringTensor)
}

function writeNumberTensor(w: AbiWriter, t: NumberTensor): void {
  const base = w.claim(3)
  w.field(base, 0).string(t.name)
  w.field(base, 1)
  const values = w.claim(1 + 2 * t.values.length)
  w.uint(values, t.values.length, UINT32_MAX, 'values length')
  t.values.forEach((n, i) => {
    w.int128(values + WORD + 2 * WORD * i, n.value, 'value')
    w.int128(values + 2 * WORD + 2 * WORD * i, n.decimals, 'decimals')
  })
  w.field(base, 2)
  const shape = w.claim(1 + t.shape.length)
  w.uint(shape, t.shape.length, UINT32_MAX, 'shape length')
  t.shape.forEach((d, i) => {
    w.uint(shape + WORD + WORD * i, d, UINT32_MAX, 'shape dimension')
  })
}

function writeStringTensor(w: AbiWriter, t: StringTensor): void {
  const base = w.claim(2)
  w.field(base, 0).string(t.name)
  w.field(base, 1).array(t.values, writeString)
}

function writeJsonScalar(w: AbiWriter, j: JsonScalar): void {
  const base = w.claim(2)
  w.field(base, 0).string(j.name)
  w.field(base, 1).string(j.value)
}

const writeString = (w: AbiWriter, s: string): void => w.string(s)

// Sizes of encodings, so that the writer allocates once.
const tensorsSize = (t: ModelInput): number => arraySize(t.numbers, numberTensorSize) + arraySize(t.strings, stringTensorSize)
/** Three heads, the name, and two arrays of static items (a length word each). */
const numberTensorSize = (t: NumberTensor): number => 5 * WORD + stringSize(t.name) + 2 * WORD * t.values.length + WORD * t.shape.length
const stringTensorSize = (t: StringTensor): number => 2 * WORD + stringSize(t.name) + arraySize(t.values, stringSize)
const jsonScalarSize = (j: JsonScalar): number => 2 * WORD + stringSize(j.name) + stringSize(j.value)
const stringSize = (s: string): number => WORD + padToWord(utf8Length(s))
const padToWord = (n: number): number => Math.ceil(n / WORD) * WORD

/** Size of a dynamic array of dynamic items: its length, a head per item, and the items. */
function arraySize<T>(items: readonly T[], itemSize: (item: T) => number): number {
  let size = WORD * (1 + items.length)
  for (const item of items) size += itemSize(item)
  return size
}

/** UTF-8 length of a string as TextEncoder encodes it (a lone surrogate becomes U+FFFD: 3 bytes). */
function utf8Length(s: string): number {
  let length = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) length += 1
    else if ((c & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      length += 2 // a surrogate pair: 4 bytes for 2 code units
      i++
    } else length += 2
  }
  return length
}

const utf8Encoder = new TextEncoder()

/**
 * Writes an ABI encoding into a zeroed buffer of its exact size: heads at positions the caller
 * claims, tails appended in order (the canonical layout).
 */
class AbiWriter {
  readonly bytes: Uint8Array
  private readonly view: DataView
  /** The end of what is written: where the next tail goes. */
  private end = 0

  constructor(size: number) {
    this.bytes = new Uint8Array(size)
    this.view = new DataView(this.bytes.buffer)
  }

  /** Claims `words` words at the end (heads, or static items); returns where they start. */
  claim(words: number): number {
    const at = this.end
    this.end += words * WORD
    return at
  }

  /** Starts the tail of field `index` of the tuple (or array) whose heads start at `base`: points its head at the end. */
  field(base: number, index: number): this {
    this.view.setUint32(base + WORD * index + WORD - 4, this.end - base)
    return this
  }

  uint(at: number, value: number, max: number, what: string): void {
    if (value >>> 0 !== value || value > max) throw new Error(`${what} ${value} is not an integer from 0 to ${max}`)
    this.view.setUint32(at + WORD - 4, value)
  }

  int128(at: number, value: bigint, what: string): void {
    if (typeof value !== 'bigint') throw new Error(`${what} ${value} is not an int128 bigint`)
    const v = this.view
    let signBytes = WORD - 8 // the bytes above the low 64 bits that repeat the sign
    if (BigInt.asIntN(64, value) !== value) {
      if (value < INT128_MIN || value > INT128_MAX) throw new Error(`${what} ${value} is not an int128 bigint`)
      v.setBigInt64(at + 16, value >> 64n)
      signBytes = 16
    }
    if (value < 0n) for (let i = at; i < at + signBytes; i += 4) v.setInt32(i, -1) // faster than fill() on a few bytes
    v.setBigUint64(at + WORD - 8, value) // the low 64 bits, two's complement
  }

  bool(at: number, value: boolean, what: string): void {
    if (typeof value !== 'boolean') throw new Error(`${what} ${value} is not a boolean`)
    this.bytes[at + WORD - 1] = value ? 1 : 0
  }

  /** Appends a string: its length, then its UTF-8 bytes padded to a word. */
  string(value: string): void {
    const start = this.end + WORD
    let i = 0
    for (; i < value.length; i++) {
      const c = value.charCodeAt(i)
      if (c >= 0x80) break
      this.bytes[start + i] = c
    }
    let length = i
    if (i < value.length) length += utf8Encoder.encodeInto(value.slice(i), this.bytes.subarray(start + i)).written
    this.view.setUint32(start - 4, length)
    this.end = start + padToWord(length)
  }

  /** Appends a dynamic array of dynamic items: its length, a head per item, then each item. */
  array<T>(items: readonly T[], writeItem: (w: AbiWriter, item: T) => void): void {
    const at = this.claim(1 + items.length)
    this.uint(at, items.length, UINT32_MAX, 'array length')
    const heads = at + WORD
    items.forEach((item, i) => {
      this.field(heads, i)
      writeItem(this, item)
    })
  }

  finish(): Uint8Array {
    if (this.end !== this.bytes.length) throw new Error(`ABI encoder wrote ${this.end} bytes of the ${this.bytes.length} it sized`)
    return this.bytes
  }
}
