import type { OnnxElementType, OnnxValueInfo } from './onnxModel.ts'

/** A model input or output: name, element type, shape (string = symbolic dim, -1 = unknown). */
export interface ModelTensorInfo {
  name: string
  type: OnnxElementType
  shape: (number | string)[]
}

/** What the hub knows about a stored model; saved as `<dir>/<cid>.json` and served by the REST API. */
export interface ModelMetadata {
  /** CIDv1 (raw, sha2-256) of the .onnx bytes, base32. */
  cid: string
  /** Size of the .onnx file in bytes. */
  size: number
  irVersion: number
  /** Opset of the default ONNX domain. */
  opset: number
  inputs: ModelTensorInfo[]
  outputs: ModelTensorInfo[]
  /** True when every input and output has a symbolic/unknown first dim: requests can be batched. */
  batchable: boolean
  /** Mean single-inference time measured at upload on this node (µs), zeros/empty strings as input, batch 1. */
  costMicros: number
  /** Total elements of all initializers. */
  parameters: number
  /** Operator types the graph uses, sorted. */
  ops: string[]
}

/** A dim that a batch can fill: symbolic (`"batch"`) or unknown (-1). */
export function isBatchDim(dim: number | string | undefined): boolean {
  return typeof dim === 'string' || dim === -1
}

/**
 * Whether requests to a model can be stacked along the first dim: every input and output has
 * one, and it is symbolic or unknown. A model without inputs has nothing to batch.
 * @example isBatchable([{ name: 'x', type: 'float32', shape: ['batch', 4] }], [{ name: 'y', type: 'float32', shape: ['batch', 1] }]) // true
 */
export function isBatchable(inputs: readonly OnnxValueInfo[], outputs: readonly OnnxValueInfo[]): boolean {
  if (inputs.length === 0 || outputs.length === 0) return false
  return [...inputs, ...outputs].every((v) => v.shape.length > 0 && isBatchDim(v.shape[0]))
}

/** A short human-readable shape, e.g. `[batch, 4]`. */
export function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.map((d) => (d === -1 ? '?' : String(d))).join(', ')}]`
}
