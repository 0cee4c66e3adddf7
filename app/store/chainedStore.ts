import { RLP } from '@ethereumjs/rlp'
import { concatBytes } from '@ethereumjs/util'
import { LRUCache } from 'lru-cache'
import { keccak256 } from '../crypto.ts'
import type { KvStore, WriteSet } from './kvStore.ts'

const EMPTY_ROOT = new Uint8Array(32)
/** What the committed-read cache keeps for a key known to be absent (compared by identity). */
const MISSING = new Uint8Array(0)
const CACHE_ENTRIES = 200_000
const latin1 = (key: Uint8Array) => Buffer.from(key.buffer, key.byteOffset, key.length).toString('latin1')

/**
 * A module's key-value state beside the EVM trie (account numbers, registries), with the
 * staging block execution needs:
 * - reads during a block see the block's earlier writes; a tx's writes can be reverted
 *   (`beginTx` / `commitTx` / `revertTx`, one level: a tx's messages succeed or fail together);
 * - `endBlock` stages the block's writes into the Commit batch and extends the module's root, a
 *   hash chain: root' = keccak(root ‖ keccak(RLP([[key, value]…]))) over the writes in the order
 *   they were made, so every validator that made the same writes has the same root;
 * - `getCommitted` reads what the last Commit wrote (CheckTx and queries).
 * Writes are puts: these modules never delete.
 */
export class ChainedStore {
  private committedRoot: Uint8Array = EMPTY_ROOT
  private stagedRoot: Uint8Array | undefined
  /** This block's writes in order, and the latest value per key. */
  private blockWrites: [Uint8Array, Uint8Array][] = []
  private blockValues = new Map<string, Uint8Array>()
  /** Writes of the tx begun with `beginTx`. */
  private txWrites: [Uint8Array, Uint8Array][] | undefined
  private txValues = new Map<string, Uint8Array>()
  /** Writes `endBlock` staged, until Commit makes them committed. */
  private stagedWrites: [Uint8Array, Uint8Array][] = []
  /**
   * Committed values (MISSING: known to be absent). Keys are written once and never change (account
   * numbers, registrations), so a hot key costs no LevelDB read after its first.
   */
  private readonly cache = new LRUCache<string, Uint8Array>({ max: CACHE_ENTRIES })

  private constructor(
    private readonly kv: KvStore,
    private readonly rootKey: Uint8Array,
  ) {}

  /** @example const store = await ChainedStore.open(kv, enc('auth/root')) */
  static async open(kv: KvStore, rootKey: Uint8Array): Promise<ChainedStore> {
    const store = new ChainedStore(kv, rootKey)
    store.committedRoot = (await kv.get(rootKey)) ?? EMPTY_ROOT
    return store
  }

  /** The value as block execution sees it: the tx's writes, the block's, then committed state. */
  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const k = latin1(key)
    return this.txValues.get(k) ?? this.blockValues.get(k) ?? (await this.getCommitted(key))
  }

  /** The value the last Commit wrote. */
  async getCommitted(key: Uint8Array): Promise<Uint8Array | undefined> {
    const k = latin1(key)
    const cached = this.cache.get(k)
    if (cached !== undefined) return cached === MISSING ? undefined : cached
    const value = await this.kv.get(key)
    this.cache.set(k, value ?? MISSING)
    return value
  }

  /** Committed entries under `prefix` with keys after `after`, ascending, at most `limit`. */
  async rangeCommitted(prefix: Uint8Array, after: Uint8Array | undefined, limit: number): Promise<[Uint8Array, Uint8Array][]> {
    const end = prefixEnd(prefix)
    const start = after ? concatBytes(after, Uint8Array.of(0)) : prefix
    return this.kv.range(start, end, { limit })
  }

  put(key: Uint8Array, value: Uint8Array): void {
    if (this.txWrites) {
      this.txWrites.push([key, value])
      this.txValues.set(latin1(key), value)
      return
    }
    this.blockWrites.push([key, value])
    this.blockValues.set(latin1(key), value)
  }

  /** Starts a tx whose writes `commitTx` keeps in the block and `revertTx` drops. */
  beginTx(): void {
    if (this.txWrites) throw new Error('ChainedStore txs do not nest')
    this.txWrites = []
  }

  /** Keeps the tx's writes in the block. */
  commitTx(): void {
    const writes = this.txWrites
    if (!writes) throw new Error('commitTx without beginTx')
    this.txWrites = undefined
    this.txValues = new Map()
    for (const [k, v] of writes) this.put(k, v)
  }

  /** Drops the tx's writes. */
  revertTx(): void {
    if (!this.txWrites) throw new Error('revertTx without beginTx')
    this.txWrites = undefined
    this.txValues = new Map()
  }

  /** Stages the block's writes into `ws` and returns the module's root after them. */
  endBlock(ws: WriteSet): Uint8Array {
    if (this.txWrites) throw new Error('endBlock inside a tx')
    const parent = this.committedRoot
    if (this.blockWrites.length === 0) {
      this.stagedRoot = parent
      return parent
    }
    for (const [k, v] of this.blockWrites) ws.put(k, v)
    const root = keccak256(concatBytes(parent, keccak256(RLP.encode(this.blockWrites))))
    ws.put(this.rootKey, root)
    this.stagedRoot = root
    this.stagedWrites = this.blockWrites
    this.clearBlock()
    return root
  }

  /**
   * Stages the genesis writes like `endBlock`, and lets committed reads see them at once:
   * CheckTx may run before the first Commit writes them (a crash before it reruns InitChain,
   * which writes the same values).
   */
  endGenesis(ws: WriteSet): Uint8Array {
    const root = this.endBlock(ws)
    for (const [k, v] of this.stagedWrites) this.cache.set(latin1(k), v)
    return root
  }

  /** The root after the block being finalized, or the committed one. */
  root(): Uint8Array {
    return this.stagedRoot ?? this.committedRoot
  }

  /** Commit wrote the batch `endBlock` staged. */
  blockCommitted(): void {
    if (this.stagedRoot) this.committedRoot = this.stagedRoot
    this.stagedRoot = undefined
    for (const [k, v] of this.stagedWrites) this.cache.set(latin1(k), v)
    this.stagedWrites = []
  }

  /** Forgets a block executed but not committed (CometBFT will replay it). */
  discardUncommitted(): void {
    this.stagedRoot = undefined
    this.stagedWrites = []
    this.txWrites = undefined
    this.txValues = new Map()
    this.clearBlock()
  }

  private clearBlock(): void {
    this.blockWrites = []
    this.blockValues = new Map()
  }
}

/** The first key after every key that starts with `prefix`. */
function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = Uint8Array.from(prefix)
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++
      return end.subarray(0, i + 1)
    }
  }
  throw new Error('prefix of 0xff bytes has no end')
}

/**
 * A keeper whose state is one ChainedStore: the block lifecycle the consensus handler drives
 * (stage at the end of a block, root for the app hash, commit, discard) is the store's.
 */
export abstract class ChainedKeeper {
  protected constructor(protected readonly store: ChainedStore) {}

  /** Stages the block's writes; returns the module's root. */
  endBlock(ws: WriteSet): Uint8Array {
    return this.store.endBlock(ws)
  }

  root(): Uint8Array {
    return this.store.root()
  }

  blockCommitted(): void {
    this.store.blockCommitted()
  }

  discardUncommitted(): void {
    this.store.discardUncommitted()
  }

  /** A tx's writes are kept or dropped with its messages (see ChainedStore.beginTx). */
  beginTx(): void {
    this.store.beginTx()
  }

  commitTx(): void {
    this.store.commitTx()
  }

  revertTx(): void {
    this.store.revertTx()
  }
}
