import type { BatchDBOp, DB, EncodingOpts } from '@ethereumjs/util'
import { LRUCache } from 'lru-cache'
import type { KvStore, KvWrite } from './kvStore.ts'

/**
 * The database under the EVM's Merkle-Patricia tries: trie nodes and contract code, keyed by
 * hash. Reads fall through to LevelDB; writes stay in memory until Commit takes them with
 * `drain()` and writes them in the block's one atomic batch, so a crash mid-block leaves the
 * last committed state intact. Nodes are content-addressed and never pruned, so every
 * historical state root stays readable (eth_getBalance at an old block works).
 */
export class TrieNodeStore implements DB<string, Uint8Array> {
  private pending = new Map<string, Uint8Array | undefined>()
  /**
   * Recently read or committed nodes. Nodes are immutable (keyed by their hash), so the cache is
   * never stale; it spares the LevelDB reads of state views rebuilt after every block.
   */
  private readonly recent = new LRUCache<string, Uint8Array>({ max: 200_000 })
  /** Drained but not yet confirmed written: still served to readers until `flushed()`. */
  private flushing = new Map<string, Uint8Array | undefined>()

  constructor(
    private readonly kv: KvStore,
    /** Key prefix in LevelDB (declared in the owning module's keys.ts). */
    private readonly prefix: Uint8Array,
  ) {}

  private dbKey(key: string): Uint8Array {
    const hex = Buffer.from(key, 'hex')
    const out = new Uint8Array(this.prefix.length + hex.length)
    out.set(this.prefix, 0)
    out.set(hex, this.prefix.length)
    return out
  }

  async get(key: string, _opts?: EncodingOpts): Promise<Uint8Array | undefined> {
    if (this.pending.has(key)) return this.pending.get(key)
    if (this.flushing.has(key)) return this.flushing.get(key)
    const cached = this.recent.get(key)
    if (cached) return cached
    const value = await this.kv.get(this.dbKey(key))
    if (value) this.remember(key, value)
    return value
  }

  private remember(key: string, value: Uint8Array): void {
    this.recent.set(key, value)
  }

  async put(key: string, value: Uint8Array, _opts?: EncodingOpts): Promise<void> {
    this.pending.set(key, value)
  }

  async del(key: string, _opts?: EncodingOpts): Promise<void> {
    this.pending.set(key, undefined)
  }

  async batch(ops: BatchDBOp<string, Uint8Array>[]): Promise<void> {
    for (const op of ops) this.pending.set(op.key, op.type === 'put' ? op.value : undefined)
  }

  /**
   * Hands over everything written since the last drain, as LevelDB writes. The entries stay
   * readable until the caller confirms the batch landed with `flushed()`.
   */
  drain(): KvWrite[] {
    const writes: KvWrite[] = []
    for (const [key, value] of this.pending) writes.push({ key: this.dbKey(key), value })
    this.flushing = this.pending
    this.pending = new Map()
    return writes
  }

  /** The batch from the last `drain()` is on disk; its nodes stay cached. */
  flushed(): void {
    for (const [key, value] of this.flushing) {
      if (value) this.remember(key, value)
      else this.recent.delete(key)
    }
    this.flushing = new Map()
  }

  /** Forgets uncommitted writes (used when a block is abandoned before Commit). */
  discard(): void {
    this.pending = new Map()
  }

  get pendingCount(): number {
    return this.pending.size
  }

  shallowCopy(): DB<string, Uint8Array> {
    return this
  }

  async open(): Promise<void> {}
}
