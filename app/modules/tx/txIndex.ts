import { TxResponse } from 'cosmjs-types/cosmos/base/abci/v1beta1/abci'
import { Tx } from 'cosmjs-types/cosmos/tx/v1beta1/tx'
import { prefixed } from '../../store/keys.ts'
import type { KvStore, WriteSet } from '../../store/kvStore.ts'
import type { CosmosTxResult } from './blockRunner.ts'
import type { CosmosTx } from './cosmosTx.ts'
import { TX_RESPONSE_PREFIX } from './keys.ts'

const key = (hash: Uint8Array) => prefixed(TX_RESPONSE_PREFIX, hash)

/**
 * Executed Cosmos txs by hash, with their results, for `/cosmos.tx.v1beta1.Service/GetTx`.
 * Written in the Commit batch of their block.
 */
export class TxIndex {
  constructor(private readonly kv: KvStore) {}

  stage(ws: WriteSet, tx: CosmosTx, result: CosmosTxResult, height: bigint, timestamp: bigint): void {
    const response = TxResponse.fromPartial({
      height,
      txhash: tx.hashHex,
      codespace: result.codespace,
      code: result.code,
      data: Buffer.from(result.data).toString('hex').toUpperCase(),
      rawLog: result.log,
      gasWanted: result.gasWanted,
      gasUsed: result.gasUsed,
      // TxRaw's fields are Tx's fields as bytes, so the raw tx is a valid encoded Tx as it is.
      tx: { typeUrl: '/cosmos.tx.v1beta1.Tx', value: tx.raw },
      timestamp: new Date(Number(timestamp) * 1000).toISOString().replace('.000Z', 'Z'),
      events: result.events,
    })
    ws.put(key(tx.hash), TxResponse.encode(response).finish())
  }

  async get(hash: Uint8Array): Promise<{ tx: Tx; txResponse: TxResponse } | undefined> {
    const bytes = await this.kv.get(key(hash))
    if (!bytes) return undefined
    const txResponse = TxResponse.decode(bytes)
    return { tx: Tx.decode(txResponse.tx!.value), txResponse }
  }
}
