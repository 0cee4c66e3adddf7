import { fileURLToPath } from 'node:url'
import protobuf from 'protobufjs'

/**
 * ONNX's protobuf messages (the subset in proto/onnx/onnx.proto), read and written with
 * protobufjs: the hub reads uploaded models with them, the model builders (scripts/models)
 * write models with them.
 */
const root = protobuf.loadSync(fileURLToPath(new URL('../../proto/onnx/onnx.proto', import.meta.url)))

/** `onnx.ModelProto`. */
export const ModelProto = root.lookupType('onnx.ModelProto')

/** An int64 field as protobufjs gives it: a number, or a Long when the value needs 64 bits. */
export type Int64 = number | { toNumber(): number }

export const int64 = (v: Int64 | undefined): number => (v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber())

/** The fields of a decoded model the hub reads (camelCase, as protobufjs names them). */
export interface OnnxModelProto {
  irVersion: Int64
  graph?: OnnxGraphProto
  opsetImport: { domain: string; version: Int64 }[]
}

export interface OnnxGraphProto {
  node: { opType: string }[]
  initializer: { name: string; dims: Int64[] }[]
  input: OnnxValueInfoProto[]
  output: OnnxValueInfoProto[]
}

export interface OnnxValueInfoProto {
  name: string
  type?: {
    tensorType?: { elemType: number; shape?: { dim: { dimValue?: Int64; dimParam?: string; value?: 'dimValue' | 'dimParam' }[] } }
    sequenceType?: unknown
    mapType?: unknown
    sparseTensorType?: unknown
    optionalType?: unknown
  }
}

/** Decodes a ModelProto; throws protobufjs' error for bytes that are not one. */
export function decodeModelProto(bytes: Uint8Array): OnnxModelProto & object {
  return ModelProto.decode(bytes) as unknown as OnnxModelProto & object
}

/**
 * Encodes a ModelProto from a plain object (protobufjs' camelCase field names).
 * @example encodeModelProto({ irVersion: 7, graph: { name: 'g' }, opsetImport: [{ domain: '', version: 13 }] })
 */
export function encodeModelProto(model: Record<string, unknown>): Uint8Array {
  const bytes = ModelProto.encode(ModelProto.fromObject(model)).finish()
  // A plain Uint8Array (protobufjs hands a Buffer in Node), like every other byte array here.
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
