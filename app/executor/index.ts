/** The inference executor's public API; everything else in this folder is its inside. */
export { InferenceExecutor, type ExecutorOptions, type ExecutorStats } from './inferenceExecutor.ts'
export type { InferenceRequest, InferenceResult } from './modelRun.ts'
export type { ModelSource } from './modelSource.ts'
export { FileModelSource } from '../../test/support/fileModelSource.ts'
export type { TensorArray, TensorData, TensorType } from './tensorData.ts'
export * from './errors.ts'
