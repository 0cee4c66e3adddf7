import { RLP } from '@ethereumjs/rlp'
import { concatBytes } from '@ethereumjs/util'
import { keccak256 } from '../../../crypto.ts'
import type { KvStore, WriteSet } from '../../../store/kvStore.ts'
import { decodeRecord, encodeRecord, type InferenceRecord } from './inferenceRecord.ts'
import { RECORD_PREFIX, RESULT_PREFIX, ROOT_KEY, TX_RECORDS_PREFIX, prefixed } from '../keys.ts'
import type { KeyedResult } from './resultsTx.ts'

const EMPTY_ROOT = new Uint8Array(32)

/**
 * The inference module's state: the results each block carried and a record of every inference
 * a tx made. Its commitment is a hash chain — root' = keccak(root ‖ keccak(results) ‖
 * keccak(records)) for every block with inference content — which the app hash includes, so
 * every validator must agree on every result and record.
 */
export class InferenceKeeper {
  private committedRoot: Uint8Array = EMPTY_ROOT
  private stagedRoot: Uint8Array | undefined

  private constructor(private readonly kv: KvStore) {}

  static async open(kv: KvStore): Promise<InferenceKeeper> {
    const k = new InferenceKeeper(kv)
    k.committedRoot = (await kv.get(ROOT_KEY)) ?? EMPTY_ROOT
    return k
  }

  /** The root after the block being finalized (or the committed one). */
  root(): Uint8Array {
    return this.stagedRoot ?? this.committedRoot
  }

  /**
   * Stages a block's results and records; returns the module's new root. A block without
   * inference content leaves the root as it was.
   */
  stageBlock(ws: WriteSet, results: KeyedResult[], records: InferenceRecord[]): Uint8Array {
    const parent = this.committedRoot
    if (results.length === 0 && records.length === 0) {
      this.stagedRoot = parent
      return parent
    }
    const resultItems = results.map((r) => [r.key, RLP.encode([Uint8Array.of(r.mode), new TextEncoder().encode(r.modelCid), r.inputHash, r.output, r.artefact])])
    for (const [key, value] of resultItems) ws.put(prefixed(RESULT_PREFIX, key as Uint8Array), value as Uint8Array)
    const byTx = new Map<string, Uint8Array[]>()
    const encoded = records.map((r) => {
      const bytes = encodeRecord(r)
      ws.put(prefixed(RECORD_PREFIX, r.inferenceId), bytes)
      const k = Buffer.from(r.txHash).toString('hex')
      byTx.set(k, [...(byTx.get(k) ?? []), r.inferenceId])
      return bytes
    })
    for (const [tx, ids] of byTx) ws.put(prefixed(TX_RECORDS_PREFIX, Buffer.from(tx, 'hex')), RLP.encode(ids))
    const root = keccak256(concatBytes(parent, keccak256(RLP.encode(resultItems)), keccak256(RLP.encode(encoded))))
    ws.put(ROOT_KEY, root)
    this.stagedRoot = root
    return root
  }

  committed(): void {
    if (this.stagedRoot) this.committedRoot = this.stagedRoot
    this.stagedRoot = undefined
  }

  discardUncommitted(): void {
    this.stagedRoot = undefined
  }

  async record(inferenceId: Uint8Array): Promise<InferenceRecord | undefined> {
    const bytes = await this.kv.get(prefixed(RECORD_PREFIX, inferenceId))
    return bytes ? decodeRecord(bytes) : undefined
  }

  async recordsOfTx(txHash: Uint8Array): Promise<InferenceRecord[]> {
    const ids = await this.kv.get(prefixed(TX_RECORDS_PREFIX, txHash))
    if (!ids) return []
    const records = await Promise.all((RLP.decode(ids) as Uint8Array[]).map((id) => this.record(id)))
    return records.filter((r): r is InferenceRecord => r !== undefined)
  }
}
