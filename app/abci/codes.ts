import type { DeepPartial } from 'cosmjs-types/helpers'
import type { ExecTxResult, ResponseCheckTx } from 'cosmjs-types/tendermint/abci/types'
import { toAppError } from '../errors.ts'

/**
 * The one place where app errors become ABCI results: `code` and `codespace` are the error's
 * registered pair (as cosmos-sdk does), `log` its message. Code 0 means success.
 */
export function checkTxError(err: unknown): DeepPartial<ResponseCheckTx> {
  const e = toAppError(err)
  return { code: e.code, codespace: e.codespace, log: e.message }
}

export function execTxError(err: unknown): DeepPartial<ExecTxResult> {
  const e = toAppError(err)
  return { code: e.code, codespace: e.codespace, log: e.message }
}
