import { RLP } from '@ethereumjs/rlp'
import { bigIntToUnpaddedBytes, bytesToBigInt, bytesToHex } from '@ethereumjs/util'
import { ErrResultsTx } from '../errors.ts'
import { MAX_MODEL_GAS } from '../params.ts'
import { decodeModelOutput } from '../precompile/abiDecoder.ts'
import { requestKey } from '../types/request.ts'
import type { InferenceResult } from '../types/result.ts'

/**
 * The inference results a block carries: one tx the proposer injects at index 0 (never sent by
 * users). Bytes: "PIPR" ‖ version 1 ‖ RLP([entry…]) with entries sorted by request key, so one
 * set of results has one encoding and duplicates cannot hide.
 */
export const RESULTS_TX_MAGIC = new TextEncoder().encode('PIPR')
export const RESULTS_TX_VERSION = 1

export function isResultsTx(raw: Uint8Array): boolean {
  return raw.length >= 4 && raw[0] === 0x50 && raw[1] === 0x49 && raw[2] === 0x50 && raw[3] === 0x52
}

/** The results tx carrying `results`: each once, in key order, whatever order they come in. */
export function encodeResultsTx(results: readonly InferenceResult[]): Uint8Array {
  const rows = results
    .map((e) => ({
      key: e.key,
      fields: [
        bigIntToUnpaddedBytes(BigInt(e.mode)),
        new TextEncoder().encode(e.modelCid),
        e.inputHash,
        e.output,
        bigIntToUnpaddedBytes(e.modelGas),
        e.artefact,
      ],
    }))
    .sort((a, b) => compare(a.key, b.key))
    .map((r) => ({ fields: r.fields, payload: r.fields.reduce((n, f) => n + stringSize(f), 0) }))
  const body = rows.reduce((n, r) => n + headerSize(r.payload) + r.payload, 0)
  const out = new Uint8Array(RESULTS_TX_MAGIC.length + 1 + headerSize(body) + body)
  out.set(RESULTS_TX_MAGIC, 0)
  out[RESULTS_TX_MAGIC.length] = RESULTS_TX_VERSION
  // RLP, written in one pass into one buffer (the entries' outputs are most of the bytes).
  let at = writeHeader(out, RESULTS_TX_MAGIC.length + 1, 0xc0, body)
  for (const r of rows) {
    at = writeHeader(out, at, 0xc0, r.payload)
    for (const f of r.fields) {
      if (f.length !== 1 || f[0]! >= 0x80) at = writeHeader(out, at, 0x80, f.length)
      out.set(f, at)
      at += f.length
    }
  }
  return out
}

/** Bytes of an RLP string item. */
function stringSize(f: Uint8Array): number {
  return f.length === 1 && f[0]! < 0x80 ? 1 : headerSize(f.length) + f.length
}

/** Bytes of the RLP header of a string or list whose payload is `length` bytes. */
function headerSize(length: number): number {
  return length <= 55 ? 1 : 1 + bytesOfLength(length)
}

function bytesOfLength(length: number): number {
  let n = 0
  for (let l = length; l > 0; l = Math.floor(l / 256)) n++
  return n
}

/** Writes an RLP header (`base` 0x80 for a string, 0xc0 for a list) at `at`; returns the next offset. */
function writeHeader(out: Uint8Array, at: number, base: number, length: number): number {
  if (length <= 55) {
    out[at] = base + length
    return at + 1
  }
  const n = bytesOfLength(length)
  out[at] = base + 55 + n
  for (let i = n, l = length; i > 0; i--, l = Math.floor(l / 256)) out[at + i] = l % 256
  return at + 1 + n
}

/**
 * Decodes and checks a results tx: version, canonical encoding, strictly increasing keys (no
 * duplicates), well-formed fields, outputs that decode as ModelOutput, gas within the cap.
 * Throws ErrResultsTx saying what is wrong.
 */
export function decodeResultsTx(raw: Uint8Array): InferenceResult[] {
  if (!isResultsTx(raw)) throw ErrResultsTx.with('missing the PIPR prefix')
  if (raw[4] !== RESULTS_TX_VERSION) throw ErrResultsTx.with(`version ${raw[4]}, expected ${RESULTS_TX_VERSION}`)
  let items: unknown
  try {
    items = RLP.decode(raw.subarray(5))
  } catch (err) {
    throw ErrResultsTx.with(`not RLP: ${(err as Error).message}`)
  }
  if (!Array.isArray(items)) throw ErrResultsTx.with('body is not a list')
  const out: InferenceResult[] = []
  items.forEach((item, i) => {
    if (!Array.isArray(item) || item.length !== 6 || item.some((f) => !(f instanceof Uint8Array))) {
      throw ErrResultsTx.with(`entry ${i} is not a list of 6 byte strings`)
    }
    const [mode, cid, inputHash, output, gas, artefact] = item as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array]
    if (inputHash.length !== 32) throw ErrResultsTx.with(`entry ${i}: input hash is ${inputHash.length} bytes`)
    const modelGas = bytesToBigInt(gas)
    if (modelGas > MAX_MODEL_GAS) throw ErrResultsTx.with(`entry ${i}: model gas ${modelGas} above the cap ${MAX_MODEL_GAS}`)
    let modelCid: string
    try {
      modelCid = new TextDecoder('utf-8', { fatal: true }).decode(cid)
    } catch {
      throw ErrResultsTx.with(`entry ${i}: model CID is not UTF-8`)
    }
    try {
      const decoded = decodeModelOutput(output)
      if (decoded.is_simulation_result) throw new Error('flagged as a simulation result')
    } catch (err) {
      throw ErrResultsTx.with(`entry ${i}: output is not a ModelOutput (${(err as Error).message.split('\n')[0]})`)
    }
    const modeNumber = Number(bytesToBigInt(mode))
    const key = requestKey(modeNumber, modelCid, inputHash)
    if (out.length > 0 && compare(out[out.length - 1]!.key, key) >= 0) {
      throw ErrResultsTx.with(`entry ${i} is a duplicate or out of order (entries are sorted by request key)`)
    }
    out.push({ key, keyHex: bytesToHex(key), mode: modeNumber, modelCid, inputHash, output, modelGas, artefact })
  })
  if (Buffer.compare(encodeResultsTx(out), raw) !== 0) throw ErrResultsTx.with('not canonically encoded')
  return out
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}
