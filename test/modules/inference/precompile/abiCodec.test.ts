import assert from 'node:assert/strict'
import { test } from 'node:test'
import { bytesToHex, concatBytes, hexToBytes } from '@ethereumjs/util'
import { decodeAbiParameters, decodeFunctionData, encodeAbiParameters, encodeFunctionData } from 'viem'
import {
  type ModelInferenceRequest,
  type ModelInput,
  type ModelOutput,
  modelInputParam,
  modelOutputParam,
  type NumberTensor,
  ogInferenceAbi,
  type StringTensor,
} from '../../../../app/modules/inference/precompile/abi.ts'
import { decodeInferenceCall, decodeModelOutput } from '../../../../app/modules/inference/precompile/abiDecoder.ts'
import { encodeInferenceEvent, encodeModelInput, encodeModelOutput } from '../../../../app/modules/inference/precompile/abiEncoder.ts'
import { INT128_MAX, INT128_MIN } from '../../../../app/modules/inference/precompile/int128.ts'

/** Deterministic pseudo-random numbers (mulberry32), so a failure names a reproducible case. */
function prng(seed: number) {
  let s = seed >>> 0
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
  const int = (n: number): number => Math.floor(next() * n)
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!
  return { int, pick }
}
type Rng = ReturnType<typeof prng>

/** Characters for generated strings; `exotic` adds ones viem's decoder changes (a lone surrogate, a BOM). */
const CHARS = ['a', 'Z', '0', '_', ' ', '\u0000', 'é', 'ß', '中', '€', '😀', '🧠', '\u07ff', '\u0800', '\uffff']
const EXOTIC_CHARS = ['\ud800', '\udfff', '\ufeff']

function randomString(rng: Rng, exotic: boolean): string {
  const length = rng.pick([0, 1, 5, 31, 32, 33, 70])
  const chars = exotic ? [...CHARS, ...EXOTIC_CHARS] : CHARS
  let s = ''
  for (let i = 0; i < length; i++) s += rng.int(3) === 0 ? rng.pick(chars) : String.fromCharCode(97 + rng.int(26))
  return s
}

function randomInt128(rng: Rng): bigint {
  switch (rng.int(6)) {
    case 0:
      return rng.pick([
        INT128_MIN,
        INT128_MAX,
        0n,
        -1n,
        1n,
        2n ** 63n,
        -(2n ** 63n),
        2n ** 63n - 1n,
        -(2n ** 63n) - 1n,
        2n ** 64n,
        -(2n ** 64n),
      ])
    case 1:
      return BigInt(rng.int(2000) - 1000)
    default: {
      let v = 0n
      for (let i = 0; i < 4; i++) v = (v << 32n) | BigInt(rng.int(2 ** 32))
      return BigInt.asIntN(rng.pick([16, 40, 64, 65, 100, 128]), v)
    }
  }
}

function randomNumberTensor(rng: Rng, exotic: boolean): NumberTensor {
  const count = rng.pick([0, 1, 3, 16, 256])
  return {
    name: randomString(rng, exotic),
    values: Array.from({ length: count }, () => ({ value: randomInt128(rng), decimals: randomInt128(rng) })),
    shape: Array.from({ length: rng.int(4) }, () => rng.pick([0, 1, 7, 256, 2 ** 31, 2 ** 32 - 1])),
  }
}

function randomStringTensor(rng: Rng, exotic: boolean): StringTensor {
  return { name: randomString(rng, exotic), values: Array.from({ length: rng.pick([0, 1, 4]) }, () => randomString(rng, exotic)) }
}

function randomInput(rng: Rng, exotic = false): ModelInput {
  return {
    numbers: Array.from({ length: rng.int(4) }, () => randomNumberTensor(rng, exotic)),
    strings: Array.from({ length: rng.int(3) }, () => randomStringTensor(rng, exotic)),
  }
}

function randomOutput(rng: Rng, exotic = false): ModelOutput {
  return {
    numbers: Array.from({ length: rng.int(3) }, () => randomNumberTensor(rng, exotic)),
    strings: Array.from({ length: rng.int(3) }, () => randomStringTensor(rng, exotic)),
    jsons: Array.from({ length: rng.int(3) }, () => ({ name: randomString(rng, exotic), value: randomString(rng, exotic) })),
    is_simulation_result: rng.int(2) === 1,
  }
}

const CASES = 150
const viemInput = (input: ModelInput) => hexToBytes(encodeAbiParameters([modelInputParam], [input as never]))
const viemOutput = (output: ModelOutput) => hexToBytes(encodeAbiParameters([modelOutputParam], [output as never]))
const viemCall = (call: ModelInferenceRequest) =>
  hexToBytes(encodeFunctionData({ abi: ogInferenceAbi, functionName: 'runModelInference', args: [call as never] }))

const EDGE_INPUTS: ModelInput[] = [
  { numbers: [], strings: [] },
  { numbers: [{ name: '', values: [], shape: [] }], strings: [{ name: '', values: [] }] },
  {
    numbers: [
      {
        name: 'x',
        values: [
          { value: INT128_MIN, decimals: INT128_MAX },
          { value: -1n, decimals: 0n },
        ],
        shape: [2],
      },
    ],
    strings: [],
  },
  { numbers: [], strings: [{ name: 'ünïcødé 中文 😀', values: ['', 'a'.repeat(32), 'b'.repeat(33), '\u{1F600}'.repeat(20)] }] },
]

test('encodeModelInput is byte-identical to viem', () => {
  const rng = prng(1)
  const inputs = [...EDGE_INPUTS, ...Array.from({ length: CASES }, () => randomInput(rng, true))]
  inputs.forEach((input, i) => {
    assert.deepEqual(encodeModelInput(input), viemInput(input), `input ${i}`)
  })
})

test('encodeModelOutput is byte-identical to viem', () => {
  const rng = prng(2)
  for (let i = 0; i < CASES; i++) {
    const output = randomOutput(rng, true)
    assert.deepEqual(encodeModelOutput(output), viemOutput(output), `output ${i}`)
  }
})

test('decodeModelOutput inverts encodeModelOutput and agrees with viem', () => {
  const rng = prng(3)
  for (let i = 0; i < CASES; i++) {
    const output = randomOutput(rng)
    const bytes = encodeModelOutput(output)
    assert.deepEqual(decodeModelOutput(bytes), output, `output ${i}`)
    assert.deepEqual(decodeModelOutput(bytes), decodeAbiParameters([modelOutputParam], bytesToHex(bytes))[0], `output ${i} vs viem`)
  }
})

test('decodeInferenceCall reads viem-encoded calldata as viem does', () => {
  const rng = prng(4)
  const calls = [...EDGE_INPUTS, ...Array.from({ length: CASES }, () => randomInput(rng))].map((input) => ({
    mode: rng.pick([0, 1, 2, 255]),
    modelCID: randomString(rng, false),
    input,
  }))
  calls.forEach((call, i) => {
    const data = viemCall(call)
    const decoded = decodeInferenceCall(data)
    assert.deepEqual(decoded, call, `call ${i}`)
    assert.deepEqual(decoded, decodeFunctionData({ abi: ogInferenceAbi, data: bytesToHex(data) }).args[0], `call ${i} vs viem`)
    assert.deepEqual(encodeModelInput(decoded.input), viemInput(call.input), `call ${i}: input hash bytes`)
  })
})

test('strict UTF-8 keeps a leading BOM, which viem drops', () => {
  const output: ModelOutput = { numbers: [], strings: [], jsons: [{ name: '\ufeffx', value: 'y' }], is_simulation_result: false }
  assert.equal(decodeModelOutput(encodeModelOutput(output)).jsons[0]!.name, '\ufeffx')
})

test('encodeInferenceEvent is byte-identical to viem', () => {
  const rng = prng(5)
  for (let i = 0; i < 50; i++) {
    const id = bytesToHex(Uint8Array.from({ length: 32 }, () => rng.int(256)))
    const mode = rng.pick([0, 1, 2, 255])
    const cid = randomString(rng, true)
    const viem = hexToBytes(encodeAbiParameters([{ type: 'string' }, { type: 'uint8' }, { type: 'string' }], [id, mode, cid]))
    assert.deepEqual(encodeInferenceEvent(id, mode, cid), viem, `event ${i}`)
  }
})

test('encoders refuse values outside their ABI types', () => {
  const tensor = (value: bigint, shape = [1]): ModelInput => ({
    numbers: [{ name: 'x', values: [{ value, decimals: 0n }], shape }],
    strings: [],
  })
  assert.throws(() => encodeModelInput(tensor(INT128_MAX + 1n)), /value .* is not an int128/)
  assert.throws(() => encodeModelInput(tensor(INT128_MIN - 1n)), /value .* is not an int128/)
  assert.throws(() => encodeModelInput(tensor(1n, [2 ** 32])), /shape dimension 4294967296 is not an integer/)
  assert.throws(() => encodeModelInput(tensor(1n, [1.5])), /shape dimension 1.5/)
  assert.throws(() => encodeInferenceEvent('0x', 256, 'cid'), /mode 256/)
})

// ── malformed data ──

/**
 * A small call, 4 + 672 bytes. Positions below count from after the selector:
 *   0 request offset · 32 mode · 64 modelCID offset · 96 input offset · 128 'm' ·
 *   192 numbers offset · 224 strings offset · 256 numbers length (1) · 288 tensor offset ·
 *   320 name / 352 values / 384 shape offsets · 416 'x' · 480 values length (1) ·
 *   512 value (-5) · 544 decimals (3) · 576 shape length (1) · 608 dimension (1) · 640 strings length (0)
 */
const SMALL_CALL: ModelInferenceRequest = {
  mode: 0,
  modelCID: 'm',
  input: { numbers: [{ name: 'x', values: [{ value: -5n, decimals: 3n }], shape: [1] }], strings: [] },
}
const SMALL = viemCall(SMALL_CALL)

/** SMALL with the 32-byte word at `pos` (after the selector) changed by `edit`. */
function withWord(pos: number, edit: (word: Uint8Array) => void): Uint8Array {
  const data = SMALL.slice()
  edit(data.subarray(4 + pos, 4 + pos + 32))
  return data
}
const setWord = (pos: number, value: bigint) =>
  withWord(pos, (w) => w.set(hexToBytes(`0x${BigInt.asUintN(256, value).toString(16).padStart(64, '0')}`)))

test('the malformed-data layout is as documented', () => {
  assert.equal(SMALL.length, 4 + 672)
  assert.deepEqual(decodeInferenceCall(SMALL), SMALL_CALL)
  assert.equal(decodeInferenceCall(setWord(512, -6n)).input.numbers[0]!.values[0]!.value, -6n)
  assert.deepEqual(decodeInferenceCall(setWord(608, 9n)).input.numbers[0]!.shape, [9])
})

test('truncated data is refused at every length', () => {
  for (let n = 0; n < SMALL.length; n++) assert.throws(() => decodeInferenceCall(SMALL.subarray(0, n)), Error, `length ${n}`)
  assert.throws(() => decodeInferenceCall(SMALL.subarray(0, 4)), /request offset at byte 4 runs past the end of the data \(4 bytes\)/)
  assert.throws(() => decodeInferenceCall(SMALL.subarray(0, 4 + 600)), /runs past the end|needs more than|points outside the data/)
  const output = encodeModelOutput({ numbers: [], strings: [], jsons: [{ name: 'n', value: 'v' }], is_simulation_result: false })
  // The output ends in the string 'v': only its padding may go missing (as in viem and solc).
  const unpadded = output.length - 31
  for (let n = 0; n < unpadded; n++) assert.throws(() => decodeModelOutput(output.subarray(0, n)), Error, `output length ${n}`)
  assert.deepEqual(decodeModelOutput(output.subarray(0, unpadded)), decodeModelOutput(output))
})

test('a wrong selector is refused', () => {
  const data = SMALL.slice()
  data[0]! ^= 1
  assert.throws(() => decodeInferenceCall(data), /selector 0x.* is not runModelInference's 0x/)
  assert.throws(() => decodeInferenceCall(new Uint8Array(0)), /selector 0x is not runModelInference's/)
})

test('offsets outside the data are refused', () => {
  assert.throws(() => decodeInferenceCall(setWord(0, 2n ** 255n)), /request offset at byte 4 points outside the data \(above 2\^32/)
  assert.throws(() => decodeInferenceCall(setWord(0, 672n)), /request offset at byte 4 points outside the data \(676, data is 676 bytes\)/)
  assert.throws(() => decodeInferenceCall(setWord(352, 10_000n)), /tensor values offset at byte 356 points outside the data/)
  assert.throws(() => decodeInferenceCall(setWord(288, -32n)), /numbers offset at byte 292 points outside the data \(above 2\^32/)
})

test('absurd lengths are refused before anything is allocated', () => {
  assert.throws(
    () => decodeInferenceCall(setWord(256, 2n ** 32n - 1n)),
    /numbers length at byte 260 \(4294967295\) needs more than the 384 bytes that follow/,
  )
  assert.throws(() => decodeInferenceCall(setWord(256, 2n ** 200n)), /numbers length at byte 260 \(above 2\^32\)/)
  assert.throws(() => decodeInferenceCall(setWord(480, 3n)), /tensor values length at byte 484 \(3\) needs more than/)
  assert.throws(() => decodeInferenceCall(setWord(416, 1000n)), /tensor name length at byte 420/)
})

test('integers that do not fit their type are refused', () => {
  assert.throws(() => decodeInferenceCall(withWord(32, (w) => (w[30] = 1))), /mode at byte 36 does not fit in uint8/)
  assert.throws(() => decodeInferenceCall(withWord(32, (w) => (w[0] = 1))), /mode at byte 36 does not fit in uint8/)
  assert.throws(() => decodeInferenceCall(withWord(608, (w) => (w[27] = 1))), /shape dimension at byte 612 does not fit in uint32/)
  // -5 with a zero top byte, and 3 with a 0xff one: neither is sign-extended
  assert.throws(() => decodeInferenceCall(withWord(512, (w) => (w[0] = 0))), /value at byte 516 is not a sign-extended int128/)
  assert.throws(() => decodeInferenceCall(withWord(544, (w) => (w[15] = 0xff))), /decimals at byte 548 is not a sign-extended int128/)
  // bit 127 set with zero high bytes: 2^127 is not an int128
  assert.throws(() => decodeInferenceCall(setWord(544, 2n ** 127n)), /decimals at byte 548 is not a sign-extended int128/)
  assert.equal(decodeInferenceCall(setWord(544, INT128_MIN)).input.numbers[0]!.values[0]!.decimals, INT128_MIN)
})

test('a bool other than 0 or 1 is refused', () => {
  const output = encodeModelOutput({ numbers: [], strings: [], jsons: [], is_simulation_result: true })
  const bad = output.slice()
  bad[32 + 96 + 31] = 2
  assert.throws(() => decodeModelOutput(bad), /is_simulation_result at byte 128 is not a bool \(0 or 1\)/)
  bad[32 + 96 + 31] = 1
  bad[32 + 96] = 1
  assert.throws(() => decodeModelOutput(bad), /is not a bool/)
})

test('invalid UTF-8 is refused', () => {
  for (const bytes of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe4, 0xb8], [0xf4, 0x90, 0x80, 0x80]]) {
    const data = setWord(128, BigInt(bytes.length))
    data.set(bytes, 4 + 160)
    assert.throws(() => decodeInferenceCall(data), /modelCID at byte 132 is not valid UTF-8/, `bytes ${bytes}`)
  }
})

test('offsets that overlap to amplify the data are refused; canonical data of any size is not', () => {
  // 300 tensors whose heads all point at one tensor of 200 values: 23 KB that would decode to 60,000 values.
  const shared = encodeModelInput({
    numbers: [{ name: 'x', values: Array.from({ length: 200 }, () => ({ value: 1n, decimals: 0n })), shape: [200] }],
    strings: [],
  })
  const tensor = shared.subarray(5 * 32, shared.length - 32) // after wrapper offset, input heads, numbers length and head; before the strings length
  const count = 300
  const heads = 32 * count
  const word = (x: number) => hexToBytes(`0x${x.toString(16).padStart(64, '0')}`)
  const call = concatBytes(
    SMALL.subarray(0, 4),
    ...[0x20, 0, 0x60, 0x80, 0].map(word), // request offset; mode, modelCID and input offsets; modelCID '' (input at 160)
    ...[0x40, 0x40 + 32 + heads + tensor.length, count].map(word), // input: numbers and strings offsets, numbers length
    ...Array.from({ length: count }, () => word(heads)), // every head points at the one tensor after the heads
    tensor,
    word(0), // strings: none
  )
  assert.throws(() => decodeInferenceCall(call), /decodes to more bytes than it holds: offsets make parts of it overlap/)
  const big = {
    mode: 0,
    modelCID: 'c',
    input: { numbers: Array.from({ length: 40 }, () => randomNumberTensor(prng(6), false)), strings: [] },
  }
  assert.deepEqual(decodeInferenceCall(viemCall(big)), big)
})

test('non-canonical but in-bounds encodings decode as in viem: trailing bytes, tails out of order', () => {
  const trailing = new Uint8Array([...SMALL, 1, 2, 3])
  assert.deepEqual(decodeInferenceCall(trailing), SMALL_CALL)
  // Point modelCID at a copy of its tail appended at the end.
  const moved = new Uint8Array([...setWord(64, 672n - 32n), ...SMALL.subarray(4 + 128, 4 + 192)])
  assert.deepEqual(decodeInferenceCall(moved), SMALL_CALL)
  assert.deepEqual(decodeInferenceCall(moved), decodeFunctionData({ abi: ogInferenceAbi, data: bytesToHex(moved) }).args[0])
})
