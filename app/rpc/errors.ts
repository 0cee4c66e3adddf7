import { bytesToHex } from '@ethereumjs/util'
import { AppError } from '../errors.ts'
import { RevertError } from '../modules/evm/callSimulator.ts'

/**
 * A JSON-RPC error object (EIP-1474 codes). `toRpcError` is the one place where app errors
 * become JSON-RPC errors.
 */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message)
  }

  toJSON(): { code: number; message: string; data?: unknown } {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data }
  }
}

export const PARSE_ERROR = -32700
export const INVALID_REQUEST = -32600
export const METHOD_NOT_FOUND = -32601
export const INVALID_PARAMS = -32602
export const INTERNAL_ERROR = -32603
/** geth's code for a failed tx submission or call ("nonce too low", "insufficient funds"…). */
export const SERVER_ERROR = -32000
/** Resource not found (EIP-1474). */
export const RESOURCE_NOT_FOUND = -32001
/** Limit exceeded (EIP-1474), e.g. an eth_getLogs range too large. */
export const LIMIT_EXCEEDED = -32005
/** geth's code for a reverted eth_call / eth_estimateGas; `data` carries the revert bytes. */
export const EXECUTION_REVERTED = 3

export const invalidParams = (message: string): RpcError => new RpcError(INVALID_PARAMS, message)

export function toRpcError(err: unknown): RpcError {
  if (err instanceof RpcError) return err
  if (err instanceof RevertError) return new RpcError(EXECUTION_REVERTED, err.message, bytesToHex(err.data))
  if (err instanceof AppError) return new RpcError(SERVER_ERROR, err.message)
  return new RpcError(INTERNAL_ERROR, `internal error: ${err instanceof Error ? err.message : String(err)}`)
}
