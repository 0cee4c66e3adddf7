import type * as ort from 'onnxruntime-node'
import type { TensorData } from './tensorData.ts'

/**
 * Which input of a failed run does not fit the model, and how: onnxruntime's messages do not
 * always name the input (a wrong element type says only "Unexpected input data type"), so the
 * executor finds it from the session's declared inputs and puts its name on the error.
 * @example inputMismatch(session.inputMetadata, feeds) // { name: 'x', detail: 'got float64 [1, 16], the model takes float32 [batch, 16]' }
 */
export function inputMismatch(
  declared: readonly ort.InferenceSession.ValueMetadata[],
  feeds: Record<string, TensorData>,
): { name: string; detail: string } | undefined {
  const takes = (m: ort.InferenceSession.ValueMetadata): string =>
    m.isTensor ? `${m.type} [${m.shape.map((d) => (typeof d === 'number' && d < 0 ? '?' : String(d))).join(', ')}]` : 'a non-tensor value'
  const got = (t: TensorData): string => `${t.type} [${t.dims.join(', ')}]`
  const names = new Set(declared.map((m) => m.name))
  for (const name in feeds) {
    if (!names.has(name))
      return { name, detail: `the model has no such input; it takes ${declared.map((m) => `${m.name}: ${takes(m)}`).join(', ')}` }
  }
  for (const m of declared) {
    const t = feeds[m.name]
    if (t === undefined) return { name: m.name, detail: `missing; the model takes ${takes(m)}` }
    if (!m.isTensor) continue
    const fits =
      t.type === m.type &&
      (m.shape.length === 0 ||
        (m.shape.length === t.dims.length && m.shape.every((d, i) => typeof d !== 'number' || d < 0 || d === t.dims[i])))
    if (!fits) return { name: m.name, detail: `got ${got(t)}, the model takes ${takes(m)}` }
  }
  return undefined
}
