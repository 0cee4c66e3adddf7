import { AppError, type ErrorKind, register } from '../errors.ts'

/**
 * Errors of the inference executor: codespace `executor`. Callers tell them apart by code:
 * queue-full and timeout are worth retrying later, the others are about the model or the input.
 * (The inference module turns them into its own `inference failed` with this message.)
 */
const CODESPACE = 'executor'

export const ErrModelMissing = register(CODESPACE, 1, 'the model source has no such model')
export const ErrQueueFull = register(CODESPACE, 2, 'inference queue is full')
export const ErrRunTimeout = register(CODESPACE, 3, 'model run timed out')
export const ErrSessionCreate = register(CODESPACE, 4, 'onnxruntime cannot create a session for the model')
export const ErrRunFailed = register(CODESPACE, 5, 'model run failed')
export const ErrRunInput = register(CODESPACE, 6, 'invalid model run input')
export const ErrWorkerCrashed = register(CODESPACE, 7, 'inference worker crashed')
export const ErrExecutorClosed = register(CODESPACE, 8, 'inference executor is closed')
export const ErrModelSource = register(CODESPACE, 9, 'cannot look up the model')

/**
 * An error of a registered kind with a whole sentence as its message (`kind.with` would prefix
 * the kind's description, which these sentences already say in their own words).
 * @example throw executorError(ErrModelMissing, `unknown model ${cid}`)
 */
export function executorError(kind: ErrorKind, message: string, cause?: unknown): AppError {
  return new AppError(kind.codespace, kind.code, message, cause === undefined ? undefined : { cause })
}
