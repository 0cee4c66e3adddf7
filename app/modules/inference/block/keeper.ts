import { RLP } from '@ethereumjs/rlp'
import { ChainedKeeper, ChainedStore } from '../../../store/chainedStore.ts'
import type { KvStore } from '../../../store/kvStore.ts'
import { prefixed, RECORD_PREFIX, RESULT_PREFIX, ROOT_KEY, TX_RECORDS_PREFIX } from '../keys.ts'
import type { InferenceResult } from '../types/result.ts'
import { decodeRecord, encodeRecord, type InferenceRecord } from './inferenceRecord.ts'

/**
 * The inference module's block-side state: the results each block carried and a record of
 * every inference a tx made. It lives in a ChainedStore, so its root — which the app hash
 * includes — pins every result and record every validator wrote, in the order they wrote them.
 */
export class InferenceKeeper extends ChainedKeeper {
  private constructor(store: ChainedStore) {
    super(store)
  }

  static async open(kv: KvStore): Promise<InferenceKeeper> {
    return new InferenceKeeper(await ChainedStore.open(kv, ROOT_KEY))
  }

  /**
   * Writes a block's results (in results-tx order) and records (in execution order), and the
   * index from each tx to its records; `endBlock` then stages them.
   */
  putBlock(results: readonly InferenceResult[], records: readonly InferenceRecord[]): void {
    for (const r of results) {
      this.store.put(
        prefixed(RESULT_PREFIX, r.key),
        RLP.encode([Uint8Array.of(r.mode), new TextEncoder().encode(r.modelCid), r.inputHash, r.output, r.artefact]),
      )
    }
    const byTx = new Map<string, { txHash: Uint8Array; ids: Uint8Array[] }>()
    for (const r of records) {
      this.store.put(prefixed(RECORD_PREFIX, r.inferenceId), encodeRecord(r))
      const k = Buffer.from(r.txHash).toString('hex')
      const entry = byTx.get(k) ?? { txHash: r.txHash, ids: [] }
      entry.ids.push(r.inferenceId)
      byTx.set(k, entry)
    }
    // A Map iterates in insertion order: the txs' first records' order, the same on every validator.
    for (const { txHash, ids } of byTx.values()) this.store.put(prefixed(TX_RECORDS_PREFIX, txHash), RLP.encode(ids))
  }

  /** A committed inference record, by inference id. */
  async record(inferenceId: Uint8Array): Promise<InferenceRecord | undefined> {
    const bytes = await this.store.getCommitted(prefixed(RECORD_PREFIX, inferenceId))
    return bytes ? decodeRecord(bytes) : undefined
  }

  /** A committed tx's inference records, in call order. */
  async recordsOfTx(txHash: Uint8Array): Promise<InferenceRecord[]> {
    const ids = await this.store.getCommitted(prefixed(TX_RECORDS_PREFIX, txHash))
    if (!ids) return []
    const records = await Promise.all((RLP.decode(ids) as Uint8Array[]).map((id) => this.record(id)))
    return records.filter((r): r is InferenceRecord => r !== undefined)
  }
}
