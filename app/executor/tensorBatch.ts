import { ARRAY_OF_TYPE, elementCount, type TensorArray, type TensorData } from './tensorData.ts'

/**
 * Stacking requests along dim 0 into one session run, and cutting the outputs back: the rows of
 * request i are rows [offset_i, offset_i + rows_i) of every input and every output.
 */

/**
 * One set of inputs holding every part's rows in order. The parts must share a signature.
 * @example concatRows([{ x: row1 }, { x: row2 }]).x.dims // [2, …row1.dims.slice(1)]
 */
export function concatRows(parts: readonly Record<string, TensorData>[]): Record<string, TensorData> {
  const out: Record<string, TensorData> = {}
  for (const name in parts[0]) {
    const first = parts[0]![name]!
    let rows = 0
    for (const p of parts) rows += p[name]!.dims[0]!
    const dims = [rows, ...first.dims.slice(1)]
    if (first.type === 'string') {
      const data: string[] = []
      for (const p of parts) for (const s of p[name]!.data as string[]) data.push(s)
      out[name] = { type: 'string', dims, data }
    } else {
      const data = new ARRAY_OF_TYPE[first.type](elementCount(dims))
      let o = 0
      for (const p of parts) {
        const d = p[name]!.data as Exclude<TensorArray, string[]>
        ;(data as Uint8Array).set(d as Uint8Array, o)
        o += d.length
      }
      out[name] = { type: first.type, dims, data }
    }
  }
  return out
}

/** True when every output has one row per batched row, so the outputs can be cut back into requests. */
export function splittable(outputs: Record<string, TensorData>, totalRows: number): boolean {
  for (const name in outputs) {
    const dims = outputs[name]!.dims
    if (dims.length === 0 || dims[0] !== totalRows) return false
  }
  return true
}

/**
 * Rows [start, start + rows) of a tensor: a copy (`copy`), or a view of its data where it can
 * be one (string arrays are always copied).
 * @example sliceRows({ type: 'float32', dims: [3, 2], data }, 1, 2, true).dims // [2, 2]
 */
export function sliceRows(t: TensorData, start: number, rows: number, copy: boolean): TensorData {
  let rowSize = 1
  for (let i = 1; i < t.dims.length; i++) rowSize *= t.dims[i]!
  const dims = t.dims.slice()
  dims[0] = rows
  const from = start * rowSize
  const to = from + rows * rowSize
  const data = copy || Array.isArray(t.data) ? t.data.slice(from, to) : t.data.subarray(from, to)
  return { type: t.type, dims, data }
}
