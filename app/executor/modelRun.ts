import { type TensorData, tensorProblem } from './tensorData.ts'

/** One run of a model: the model (by CID) and its named input tensors. */
export interface ModelRun {
  modelCid: string
  inputs: Record<string, TensorData>
}

/** The outputs of one run, and what it took to compute them. */
export interface ModelRunOutput {
  outputs: Record<string, TensorData>
  /** µs the session run took (shared by a batch: every run in it reports the same session run). */
  micros: number
  /** Runs that shared the session run (1 when the run went alone). */
  batchSize: number
}

/** What is wrong with a run before any model sees it, or undefined. */
export function runProblem(run: ModelRun): string | undefined {
  if (run === null || typeof run !== 'object') return 'a model run must be { modelCid, inputs }'
  if (typeof run.modelCid !== 'string' || run.modelCid.length === 0) return 'a model run needs a modelCid'
  if (run.inputs === null || typeof run.inputs !== 'object') return `model ${run.modelCid}: inputs must be an object of named tensors`
  for (const name in run.inputs) {
    const p = tensorProblem(run.inputs[name] as TensorData)
    if (p) return `model ${run.modelCid}: input "${name}" ${p}`
  }
  return undefined
}
