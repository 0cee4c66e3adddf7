import { hash } from 'node:crypto'
import type { InferenceRequest } from './modelRun.ts'
import { TYPE_CODE, type TensorArray } from './tensorData.ts'

/** What the executor needs to know to deduplicate and batch a request. */
export interface RequestIdentity {
  /** Equal exactly when two requests are byte-identical (same model, same inputs). */
  key: string
  /**
   * Equal when two requests to the same model can be stacked along dim 0: same input names,
   * element types and dims except the first.
   */
  signature: string
  /** The first dim all inputs share (the rows the request adds to a batch); undefined when they do not share one. */
  rows: number | undefined
}

/** Encodings up to this size are the key themselves; longer ones are keyed by their sha-256. */
const EXACT_KEY_BYTES = 512

/** Reused for every request: this runs hundreds of thousands of times a second. */
let scratch = withViews(Buffer.allocUnsafe(64 * 1024))

interface Scratch {
  buf: Buffer
  /** For lengths and dims: DataView accessors are inlined, Buffer's write methods are not. */
  dv: DataView
  /** Typed views of `buf`, so numeric data is copied in with `set` (a memcpy) without making a view of the caller's array. */
  views: Record<Exclude<keyof typeof TYPE_CODE, 'string'>, NumericArray>
}

function withViews(buf: Buffer): Scratch {
  const ab = buf.buffer
  const b = buf.byteOffset
  const n = (bytes: number): number => Math.floor((buf.length - (b % 8)) / bytes)
  return {
    buf,
    dv: new DataView(ab, b, buf.length),
    views: {
      float32: new Float32Array(ab, b, n(4)),
      float64: new Float64Array(ab, b, n(8)),
      int8: new Int8Array(ab, b, buf.length),
      int16: new Int16Array(ab, b, n(2)),
      int32: new Int32Array(ab, b, n(4)),
      int64: new BigInt64Array(ab, b, n(8)),
      uint8: new Uint8Array(ab, b, buf.length),
      uint16: new Uint16Array(ab, b, n(2)),
      uint32: new Uint32Array(ab, b, n(4)),
      uint64: new BigUint64Array(ab, b, n(8)),
      bool: new Uint8Array(ab, b, buf.length),
    },
  }
}

/**
 * Key, batch signature and rows of a request, from one canonical encoding:
 *
 *     marker · cid · n · [name · type · rank · dims[1..]]×n · [dims[0]]×n · [data]×n
 *
 * inputs sorted by name, strings length-prefixed UTF-8, numbers little-endian. The part from the
 * input count to the last `dims[1..]` is the signature, so it costs no extra string building. A
 * small encoding is its own key (exact, and cheaper than hashing); a larger one is keyed by its
 * sha-256 — a cryptographic hash, because a collision would hand one transaction another's
 * result. Keys never leave this process, so the platform's byte order does not matter.
 * @example requestIdentity({ modelCid: 'bafk…', inputs: { x: { type: 'float32', dims: [1, 2], data: new Float32Array([1, 2]) } } }).rows // 1
 */
export function requestIdentity(req: InferenceRequest): RequestIdentity {
  const names = Object.keys(req.inputs)
  if (names.length > 1) names.sort()
  let size = 9 + 3 * req.modelCid.length
  for (const name of names) {
    const t = req.inputs[name]
    size += 32 + 3 * name.length + 8 * t.dims.length
    if (t.type === 'string') for (const s of t.data as string[]) size += 4 + 3 * s.length
    else size += (t.data as NumericArray).byteLength
  }
  let sc = scratch
  if (size > sc.buf.length) {
    sc = withViews(Buffer.allocUnsafe(2 ** Math.ceil(Math.log2(size))))
    // Keep it for the next ones, unless it is giant.
    if (sc.buf.length <= 16 * 1024 * 1024) scratch = sc
  }
  return encode(req, names, sc)
}

type NumericArray = Exclude<TensorArray, string[]>

/**
 * The last model CID and signature seen, encoded: consecutive requests are mostly to the same
 * model with the same shapes, and copying their bytes (or reusing the string) is cheaper than
 * encoding them again.
 */
let lastCid = ''
let lastCidBytes = Buffer.alloc(0)
let lastSignature = ''
let lastSignatureBytes = Buffer.alloc(0)

function encode(req: InferenceRequest, names: string[], sc: Scratch): RequestIdentity {
  const buf = sc.buf
  buf[0] = 0x3d // '=': a key that is the encoding itself
  let o: number
  if (req.modelCid === lastCid) {
    buf.set(lastCidBytes, 1)
    o = 1 + lastCidBytes.length
  } else {
    o = text(sc, 1, req.modelCid)
    lastCid = req.modelCid
    lastCidBytes = Buffer.from(buf.subarray(1, o))
  }
  const signatureStart = o
  sc.dv.setUint32(o, names.length, true)
  o += 4
  let rows: number | undefined
  let stackable = names.length > 0
  for (const name of names) {
    const t = req.inputs[name]
    o = text(sc, o, name)
    buf[o++] = TYPE_CODE[t.type]
    sc.dv.setUint32(o, t.dims.length, true)
    o += 4
    for (let i = 1; i < t.dims.length; i++) {
      sc.dv.setFloat64(o, t.dims[i], true)
      o += 8
    }
    if (t.dims.length === 0) stackable = false
    else if (rows === undefined) rows = t.dims[0]
    else if (rows !== t.dims[0]) stackable = false
  }
  const length = o - signatureStart
  let signature = lastSignature
  if (!sameBytes(buf, signatureStart, lastSignatureBytes, length)) {
    signature = lastSignature = buf.toString('latin1', signatureStart, o)
    lastSignatureBytes = Buffer.from(buf.subarray(signatureStart, o))
  }
  for (const name of names) {
    const dims = req.inputs[name].dims
    sc.dv.setFloat64(o, dims.length > 0 ? dims[0] : -1, true)
    o += 8
  }
  for (const name of names) {
    const t = req.inputs[name]
    if (t.type === 'string') {
      for (const s of t.data as string[]) o = text(sc, o, s)
    } else {
      // Align to the element size (zeroed padding keeps the encoding canonical) and memcpy.
      const a = t.data as NumericArray
      const size = a.BYTES_PER_ELEMENT
      while (o % size !== 0) buf[o++] = 0
      ;(sc.views[t.type] as Uint8Array).set(a as Uint8Array, o / size)
      o += a.byteLength
    }
  }
  const key = o <= EXACT_KEY_BYTES ? buf.toString('latin1', 0, o) : `#${hash('sha256', buf.subarray(1, o), 'base64')}`
  return { key, signature, rows: stackable ? rows : undefined }
}

/** A length-prefixed UTF-8 string at `o` (the caller sized the buffer); returns the offset after it. */
function text(sc: Scratch, o: number, s: string): number {
  // Short ASCII strings (names, most CIDs) byte by byte: cheaper than a call into C++.
  if (s.length <= 64) {
    let ascii = true
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i)
      if (c >= 0x80) {
        ascii = false
        break
      }
      sc.buf[o + 4 + i] = c
    }
    if (ascii) {
      sc.dv.setUint32(o, s.length, true)
      return o + 4 + s.length
    }
  }
  const n = sc.buf.write(s, o + 4, 'utf8')
  sc.dv.setUint32(o, n, true)
  return o + 4 + n
}

/** Whether buf[start, start + length) equals `other` (short: a loop beats a call into C++). */
function sameBytes(buf: Buffer, start: number, other: Buffer, length: number): boolean {
  if (other.length !== length) return false
  for (let i = 0; i < length; i++) if (buf[start + i] !== other[i]) return false
  return true
}
