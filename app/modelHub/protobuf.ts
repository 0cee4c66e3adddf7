/**
 * Just enough protobuf wire format for ONNX models (https://protobuf.dev/programming-guides/encoding/):
 * a writer that builds messages field by field and a reader that walks fields. ONNX files are
 * plain protobuf `ModelProto`s; a generic reader keeps unknown fields from breaking parsing.
 */

export const WIRE_VARINT = 0
export const WIRE_I64 = 1
export const WIRE_LEN = 2
export const WIRE_I32 = 5

export class ProtoWriter {
  private chunks: Uint8Array[] = []
  private size = 0

  private push(b: Uint8Array): void {
    this.chunks.push(b)
    this.size += b.length
  }

  private tag(field: number, wire: number): void {
    this.rawVarint(BigInt(field * 8 + wire))
  }

  private rawVarint(n: bigint): void {
    // Negative int64s are encoded as their 64-bit two's complement (10 bytes).
    let v = n < 0n ? n + (1n << 64n) : n
    const out: number[] = []
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80)
      v >>= 7n
    }
    out.push(Number(v))
    this.push(Uint8Array.from(out))
  }

  int(field: number, n: number | bigint): this {
    this.tag(field, WIRE_VARINT)
    this.rawVarint(BigInt(n))
    return this
  }

  float(field: number, x: number): this {
    this.tag(field, WIRE_I32)
    const b = new Uint8Array(4)
    new DataView(b.buffer).setFloat32(0, x, true)
    this.push(b)
    return this
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, WIRE_LEN)
    this.rawVarint(BigInt(b.length))
    this.push(b)
    return this
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s))
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const w = new ProtoWriter()
    build(w)
    return this.bytes(field, w.finish())
  }

  /** Packed repeated varints (proto3 default for repeated scalars). */
  packedInts(field: number, values: readonly (number | bigint)[]): this {
    const w = new ProtoWriter()
    for (const v of values) w.rawVarint(BigInt(v))
    return this.bytes(field, w.finish())
  }

  packedFloats(field: number, values: ArrayLike<number>): this {
    const b = new Uint8Array(values.length * 4)
    const dv = new DataView(b.buffer)
    for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i], true)
    return this.bytes(field, b)
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size)
    let o = 0
    for (const c of this.chunks) {
      out.set(c, o)
      o += c.length
    }
    return out
  }
}

/** One field as read from the wire. */
export interface ProtoField {
  field: number
  wire: number
  /** Varint value (WIRE_VARINT). */
  int: bigint
  /** Payload (WIRE_LEN), or the 4/8 raw bytes of fixed-width fields. */
  bytes: Uint8Array
}

/** Thrown for bytes that are not a well-formed protobuf message. */
export class ProtoError extends Error {}

/** Every field of a message, in wire order. */
export function readFields(buf: Uint8Array): ProtoField[] {
  const out: ProtoField[] = []
  let pos = 0
  const varint = (): bigint => {
    let result = 0n
    let shift = 0n
    for (;;) {
      if (pos >= buf.length) throw new ProtoError('truncated varint')
      const b = buf[pos++]
      result |= BigInt(b & 0x7f) << shift
      if (b < 0x80) return result
      shift += 7n
      if (shift > 63n) throw new ProtoError('varint longer than 10 bytes')
    }
  }
  while (pos < buf.length) {
    const key = varint()
    const field = Number(key >> 3n)
    const wire = Number(key & 7n)
    if (field === 0) throw new ProtoError('field number 0')
    const empty = new Uint8Array(0)
    switch (wire) {
      case WIRE_VARINT:
        out.push({ field, wire, int: varint(), bytes: empty })
        break
      case WIRE_I64:
      case WIRE_I32: {
        const n = wire === WIRE_I64 ? 8 : 4
        if (pos + n > buf.length) throw new ProtoError('truncated fixed-width field')
        out.push({ field, wire, int: 0n, bytes: buf.subarray(pos, pos + n) })
        pos += n
        break
      }
      case WIRE_LEN: {
        const len = Number(varint())
        if (pos + len > buf.length) throw new ProtoError(`field ${field} runs past the end of its message`)
        out.push({ field, wire, int: 0n, bytes: buf.subarray(pos, pos + len) })
        pos += len
        break
      }
      default:
        throw new ProtoError(`unsupported wire type ${wire} (field ${field})`)
    }
  }
  return out
}

/** Signed value of an int64 varint field. */
export function int64(f: ProtoField): bigint {
  return f.int >= 1n << 63n ? f.int - (1n << 64n) : f.int
}

/** Values of a repeated varint field, packed or not. */
export function repeatedInts(fields: ProtoField[], field: number): bigint[] {
  const out: bigint[] = []
  for (const f of fields) {
    if (f.field !== field) continue
    if (f.wire === WIRE_VARINT) out.push(int64(f))
    else if (f.wire === WIRE_LEN) for (const inner of readPackedVarints(f.bytes)) out.push(inner >= 1n << 63n ? inner - (1n << 64n) : inner)
  }
  return out
}

function readPackedVarints(buf: Uint8Array): bigint[] {
  const out: bigint[] = []
  let pos = 0
  while (pos < buf.length) {
    let result = 0n
    let shift = 0n
    for (;;) {
      if (pos >= buf.length) throw new ProtoError('truncated packed varint')
      const b = buf[pos++]
      result |= BigInt(b & 0x7f) << shift
      if (b < 0x80) break
      shift += 7n
    }
    out.push(result)
  }
  return out
}

export const text = (b: Uint8Array): string => new TextDecoder().decode(b)
