/**
 * The one error base of the app. Every module registers its errors with a codespace and a
 * stable numeric code (as cosmos-sdk `types/errors.go` does); ABCI, JSON-RPC and gRPC each
 * translate an AppError to their own codes in exactly one place.
 */
export class AppError extends Error {
  override readonly name: string = 'AppError'
  constructor(
    /** Module that owns the error, e.g. `evm`. Sent to CometBFT as `codespace`. */
    readonly codespace: string,
    /** Stable, non-zero code within the codespace. Sent to CometBFT as `code`. */
    readonly code: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** A registered error kind: `kind.with('detail')` makes the AppError to throw. */
export interface ErrorKind {
  readonly codespace: string
  readonly code: number
  readonly description: string
  with(detail?: string, cause?: unknown): AppError
  is(err: unknown): err is AppError
}

const registry = new Map<string, ErrorKind>()

/**
 * Registers an error kind. Codes are unique per codespace; registering twice is a
 * programmer error and throws at import time.
 * @example const ErrNonceTooLow = register('evm', 3, 'nonce too low')
 */
export function register(codespace: string, code: number, description: string): ErrorKind {
  const key = `${codespace}/${code}`
  if (code === 0) throw new Error(`error code 0 is reserved for success (${key})`)
  if (registry.has(key)) throw new Error(`error ${key} registered twice`)
  const kind: ErrorKind = {
    codespace,
    code,
    description,
    with: (detail, cause) => new AppError(codespace, code, detail === undefined ? description : `${description}: ${detail}`, { cause }),
    is: (err): err is AppError => err instanceof AppError && err.codespace === codespace && err.code === code,
  }
  registry.set(key, kind)
  return kind
}

/** Codespace and code used for failures that are not AppErrors (bugs, I/O). */
export const ErrInternal = register('pipe', 1, 'internal error')

/** Wraps anything thrown into an AppError, keeping AppErrors as they are. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err
  const message = err instanceof Error ? err.message : String(err)
  return ErrInternal.with(message, err)
}
