import { TxResponse } from 'cosmjs-types/cosmos/base/abci/v1beta1/abci'
import { BroadcastMode, BroadcastTxRequest, BroadcastTxResponse, broadcastModeToJSON } from 'cosmjs-types/cosmos/tx/v1beta1/service'
import { sha256 } from '../crypto.ts'
import type { ErrorKind } from '../errors.ts'
import { invalidArgument, unavailable } from '../queryError.ts'
import { type BroadcastResult, type CometClient, CometUnavailableError } from '../rpc/cometClient.ts'
import { ErrSdkMempoolIsFull, ErrSdkTxInMempoolCache, ErrSdkTxTooLarge } from '../sdkErrors.ts'
import type { GrpcMethod } from './server.ts'

export const BROADCAST_TX_PATH = '/cosmos.tx.v1beta1.Service/BroadcastTx'

/**
 * CometBFT refusals that the Cosmos SDK answers as a tx result with its own code rather than
 * as an error (its CheckCometError), so a client resubmitting a tx reads "already in mempool".
 */
const REFUSALS: readonly [fragment: string, kind: ErrorKind][] = [
  ['tx already exists in cache', ErrSdkTxInMempoolCache],
  ['mempool is full', ErrSdkMempoolIsFull],
  ['tx too large', ErrSdkTxTooLarge],
]

/**
 * `cosmos.tx.v1beta1.Service/BroadcastTx` (gRPC only, as on SDK nodes): the tx goes through
 * CometBFT's `broadcast_tx_sync`, so CheckTx runs as for any tx, and the answer is CheckTx's
 * result — a refused tx is a TxResponse with its code, not a gRPC error. Only
 * BROADCAST_MODE_SYNC is served (BLOCK is gone from the SDK; ASYNC would answer before CheckTx).
 */
export function broadcastTxMethod(comet: Pick<CometClient, 'broadcastTxSync'>): GrpcMethod {
  return {
    path: BROADCAST_TX_PATH,
    async handle(bytes) {
      let req: BroadcastTxRequest
      try {
        req = BroadcastTxRequest.decode(bytes)
      } catch (err) {
        throw invalidArgument(`request does not decode: ${(err as Error).message}`)
      }
      if (req.txBytes.length === 0) throw invalidArgument('invalid empty tx: tx_bytes is empty')
      if (req.mode !== BroadcastMode.BROADCAST_MODE_SYNC)
        throw invalidArgument(`broadcast mode ${broadcastModeToJSON(req.mode)} is not supported; use BROADCAST_MODE_SYNC`)
      const txResponse = await broadcast(comet, req.txBytes)
      return BroadcastTxResponse.encode({ txResponse }).finish()
    },
  }
}

async function broadcast(comet: Pick<CometClient, 'broadcastTxSync'>, tx: Uint8Array): Promise<TxResponse> {
  let result: BroadcastResult
  try {
    result = await comet.broadcastTxSync(tx)
  } catch (err) {
    if (err instanceof CometUnavailableError) throw unavailable(err.message)
    const message = (err as Error).message
    const refusal = REFUSALS.find(([fragment]) => message.toLowerCase().includes(fragment))
    if (!refusal) throw err
    const kind = refusal[1]
    result = {
      code: kind.code,
      codespace: kind.codespace,
      log: kind.description,
      hash: Buffer.from(sha256(tx)).toString('hex').toUpperCase(),
    }
  }
  return TxResponse.fromPartial({ txhash: result.hash, code: result.code, codespace: result.codespace, rawLog: result.log })
}
