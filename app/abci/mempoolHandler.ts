import type { DeepPartial } from 'cosmjs-types/helpers'
import { CheckTxType, type RequestCheckTx, type ResponseCheckTx } from 'cosmjs-types/tendermint/abci/types'
import { isResultsTx } from '../modules/inference/block/resultsTx.ts'
import { ErrInjectedTx } from '../modules/inference/errors.ts'
import { looksLikeTxRaw } from '../modules/tx/cosmosTx.ts'
import type { PipeApp } from '../pipeApp.ts'
import { checkTxError } from './codes.ts'
import type { MempoolConnection } from './connections.ts'

/**
 * The mempool connection. CheckTx(NEW) validates a submitted tx (Ethereum or Cosmos); CheckTx(RECHECK) runs after
 * every Commit for each tx still waiting, against the new state. Either way nothing is written
 * to the chain's state: only this node's mempool bookkeeping changes.
 */
export class MempoolHandler implements MempoolConnection {
  constructor(private readonly app: PipeApp) {}

  prefetchCheckTx(req: RequestCheckTx): void {
    if (!looksLikeTxRaw(req.tx)) this.app.evmMempool.prefetch(req.tx)
  }

  async checkTx(req: RequestCheckTx): Promise<DeepPartial<ResponseCheckTx>> {
    const recheck = req.type === CheckTxType.RECHECK
    const start = performance.now()
    const response = await this.verdict(req)
    this.app.metrics.record(recheck ? 'recheckTx' : 'checkTx', performance.now() - start)
    // A submitter on this node's JSON-RPC is waiting for this answer (see CheckTxOutcomes).
    if (!recheck)
      this.app.checkTxOutcomes.settle(req.tx, { code: response.code ?? 0, codespace: response.codespace ?? '', log: response.log ?? '' })
    return response
  }

  private async verdict(req: RequestCheckTx): Promise<DeepPartial<ResponseCheckTx>> {
    try {
      if (isResultsTx(req.tx)) throw ErrInjectedTx.with('the PIPR results tx is not accepted from users or peers')
      if (looksLikeTxRaw(req.tx)) {
        const tx = await this.app.cosmos.mempool.check(req.tx)
        return { code: 0, data: tx.hash, gasWanted: tx.gasLimit }
      }
      const eth = await this.app.evmMempool.check(req.tx, (e) => this.app.inference.admit(e))
      return { code: 0, data: eth.hash, gasWanted: eth.tx.gasLimit }
    } catch (err) {
      return checkTxError(err)
    }
  }
}
