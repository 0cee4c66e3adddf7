/** The inference executor's public API; everything else in this folder is its inside. */
import type { InferenceExecutor } from './inferenceExecutor.ts'

export * from './errors.ts'
export type { ExecutorOptions, ExecutorStats } from './executorOptions.ts'
export { InferenceExecutor } from './inferenceExecutor.ts'
export type { ModelRun, ModelRunOutput } from './modelRun.ts'
export type { ModelSource } from './modelSource.ts'
export type { TensorArray, TensorData, TensorType } from './tensorData.ts'

/** What the chain uses of an executor: runs, stats for pipe_stats, and closing it. */
export type ModelExecutor = Pick<InferenceExecutor, 'run' | 'stats' | 'close'>
