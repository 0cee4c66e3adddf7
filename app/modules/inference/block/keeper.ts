import { RLP } from '@ethereumjs/rlp'
import { sha256 } from '../../../crypto.ts'
import { ChainedKeeper, ChainedStore } from '../../../store/chainedStore.ts'
import type { KvStore, WriteSet } from '../../../store/kvStore.ts'
import { PROOF_PREFIX, prefixed, RECORD_PREFIX, RESULT_PREFIX, ROOT_KEY, TX_RECORDS_PREFIX } from '../keys.ts'
import type { InferenceResult } from '../types/result.ts'
import { decodeRecord, encodeRecord, type InferenceRecord } from './inferenceRecord.ts'

/**
 * The inference module's block-side state: the results each block carried and a record of
 * every inference a tx made. It lives in a ChainedStore, so its root — which the app hash
 * includes — pins every result and record every validator wrote, in the order they wrote them.
 */
export class InferenceKeeper extends ChainedKeeper {
  /** Proof artefacts of the block being executed, by hash, staged with it. */
  private proofs = new Map<string, { hash: Uint8Array; bytes: Uint8Array }>()

  private constructor(
    store: ChainedStore,
    private readonly kv: KvStore,
  ) {
    super(store)
  }

  static async open(kv: KvStore): Promise<InferenceKeeper> {
    return new InferenceKeeper(await ChainedStore.open(kv, ROOT_KEY), kv)
  }

  /**
   * Writes a block's results (in results-tx order) and records (in execution order), and the
   * index from each tx to its records; `endBlock` then stages them.
   */
  putBlock(results: readonly InferenceResult[], records: readonly InferenceRecord[]): void {
    for (const r of results) {
      // State holds the artefact's hash; the bytes go to the proof store (endBlock).
      let artefactHash: Uint8Array = new Uint8Array(0)
      if (r.artefact.length > 0) {
        artefactHash = sha256(r.artefact)
        this.proofs.set(Buffer.from(artefactHash).toString('hex'), { hash: artefactHash, bytes: r.artefact })
      }
      this.store.put(
        prefixed(RESULT_PREFIX, r.key),
        RLP.encode([Uint8Array.of(r.mode), new TextEncoder().encode(r.modelCid), r.inputHash, r.output, artefactHash]),
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

  /** Stages the block's writes, and its proof artefacts beside them (same batch, outside the state root). */
  override endBlock(ws: WriteSet): Uint8Array {
    const root = super.endBlock(ws)
    for (const { hash, bytes } of this.proofs.values()) ws.put(prefixed(PROOF_PREFIX, hash), bytes)
    this.proofs = new Map()
    return root
  }

  override discardUncommitted(): void {
    super.discardUncommitted()
    this.proofs = new Map()
  }

  /** A committed proof artefact by its sha256 (a record's `verification.proofHash`). */
  proof(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.kv.get(prefixed(PROOF_PREFIX, hash))
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
