import { AppError, register, type ErrorKind } from '../errors.ts'

/**
 * Errors of the inference executor: codespace `inference`, codes 30–49. Callers (the inference
 * mempool, RPC) tell them apart by code: queue-full and timeout are worth retrying later, the
 * others are about the model or the request.
 */
const CODESPACE = 'inference'

export const ErrUnknownModel = register(CODESPACE, 30, 'unknown model')
export const ErrQueueFull = register(CODESPACE, 31, 'inference queue is full')
export const ErrInferenceTimeout = register(CODESPACE, 32, 'inference timed out')
export const ErrSessionCreate = register(CODESPACE, 33, 'onnxruntime cannot create a session for the model')
export const ErrInferenceFailed = register(CODESPACE, 34, 'inference failed')
export const ErrInferenceInput = register(CODESPACE, 35, 'invalid inference input')
export const ErrWorkerCrashed = register(CODESPACE, 36, 'inference worker crashed')
export const ErrExecutorClosed = register(CODESPACE, 37, 'inference executor is closed')
export const ErrModelSource = register(CODESPACE, 38, 'cannot look up the model')

/**
 * An error of a registered kind with a whole sentence as its message (`kind.with` would prefix
 * the kind's description, which these sentences already say in their own words).
 * @example throw executorError(ErrUnknownModel, `unknown model ${cid}`)
 */
export function executorError(kind: ErrorKind, message: string, cause?: unknown): AppError {
  return new AppError(kind.codespace, kind.code, message, cause === undefined ? undefined : { cause })
}
