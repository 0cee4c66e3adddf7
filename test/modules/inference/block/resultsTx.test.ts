import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { RLP } from '@ethereumjs/rlp'
import { bigIntToUnpaddedBytes, bytesToHex } from '@ethereumjs/util'
import { initCrypto } from '../../../../app/crypto.ts'
import {
  decodeResultsTx,
  encodeResultsTx,
  RESULTS_TX_MAGIC,
  RESULTS_TX_VERSION,
} from '../../../../app/modules/inference/block/resultsTx.ts'
import { encodeModelOutput } from '../../../../app/modules/inference/precompile/abiEncoder.ts'
import { requestKey } from '../../../../app/modules/inference/types/request.ts'
import type { InferenceResult } from '../../../../app/modules/inference/types/result.ts'

before(() => initCrypto())

/** Deterministic pseudo-random bytes (xorshift). */
function bytes(seed: number, n: number): Uint8Array {
  let x = seed || 1
  return Uint8Array.from({ length: n }, () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return x & 0xff
  })
}

/** A result with its key. */
function keyed(e: Omit<InferenceResult, 'key' | 'keyHex'>): InferenceResult {
  const key = requestKey(e.mode, e.modelCid, e.inputHash)
  return { ...e, key, keyHex: bytesToHex(key) }
}

/** The results tx as the RLP library writes it: the reference the one-pass encoder must match. */
function reference(entries: InferenceResult[]): Uint8Array {
  const sorted = [...entries].sort((a, b) => Buffer.compare(a.key, b.key))
  const body = RLP.encode(
    sorted.map((e) => [
      bigIntToUnpaddedBytes(BigInt(e.mode)),
      new TextEncoder().encode(e.modelCid),
      e.inputHash,
      e.output,
      bigIntToUnpaddedBytes(e.modelGas),
      e.artefact,
    ]),
  )
  return Uint8Array.from([...RESULTS_TX_MAGIC, RESULTS_TX_VERSION, ...body])
}

test('the results tx encoder writes exactly the RLP of its entries, for every item length class', () => {
  // Item lengths around the RLP boundaries: empty, one byte below/above 0x80, 55/56 bytes,
  // 255/256 and 65,535/65,536 bytes (one, two and three length bytes).
  const lengths = [0, 1, 2, 55, 56, 255, 256, 65_535, 65_536]
  for (const [i, len] of lengths.entries()) {
    const entries = [0, 1, 2].map((j) =>
      keyed({
        mode: j % 3,
        modelCid: `bafk${'x'.repeat(i * 7 + j)}`,
        inputHash: bytes(i * 10 + j + 1, 32),
        output: len === 1 ? Uint8Array.of(j === 0 ? 0x7f : 0x80) : bytes(i * 100 + j + 1, len),
        modelGas: BigInt(j) * 1_000_003n,
        artefact: bytes(i + j + 7, j === 2 ? len : 0),
      }),
    )
    assert.ok(Buffer.from(encodeResultsTx(entries)).equals(Buffer.from(reference(entries))), `items of ${len} bytes`)
  }
})

test('decoding a results tx gives back its entries sorted by key; another version is refused', () => {
  const output = encodeModelOutput({
    numbers: [{ name: 'y', values: [{ value: -5n, decimals: 2n }], shape: [1, 1] }],
    strings: [],
    jsons: [],
    is_simulation_result: false,
  })
  const entries = [1, 2, 3].map((s) =>
    keyed({ mode: 0, modelCid: 'bafkreiabc', inputHash: bytes(s, 32), output, modelGas: 100n, artefact: new Uint8Array(0) }),
  )
  const raw = encodeResultsTx(entries)
  const decoded = decodeResultsTx(raw)
  assert.equal(decoded.length, 3)
  assert.deepEqual(
    decoded.map((d) => d.keyHex),
    [...decoded.map((d) => d.keyHex)].sort(),
  )
  assert.ok(Buffer.from(encodeResultsTx(decoded)).equals(Buffer.from(raw)), 'decode then encode gives the same bytes')
  assert.throws(() => decodeResultsTx(Uint8Array.from([...raw.subarray(0, 4), 2, ...raw.subarray(5)])), /version 2/)
})
