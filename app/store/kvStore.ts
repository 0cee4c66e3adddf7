import { ClassicLevel } from 'classic-level'

/** One write in an atomic batch. `value: undefined` deletes. */
export interface KvWrite {
  key: Uint8Array
  value: Uint8Array | undefined
}

/**
 * The node's LevelDB: byte keys, byte values, atomic batches. Modules never touch it directly;
 * their keepers read through it and stage writes into a {@link WriteSet} that Commit flushes.
 */
export class KvStore {
  private constructor(private readonly db: ClassicLevel<Uint8Array, Uint8Array>) {}

  static async open(path: string): Promise<KvStore> {
    const db = new ClassicLevel<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
    await db.open()
    return new KvStore(db)
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return (await this.db.get(key)) ?? undefined
  }

  async getMany(keys: Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return (await this.db.getMany(keys)).map((v) => v ?? undefined)
  }

  /** Writes every entry in one LevelDB batch: all or nothing, even across a crash. */
  async write(writes: Iterable<KvWrite>): Promise<void> {
    const batch = this.db.batch()
    for (const w of writes) {
      if (w.value === undefined) batch.del(w.key)
      else batch.put(w.key, w.value)
    }
    await batch.write()
  }

  /** Entries with `gte <= key < lt`, ascending (or descending with `reverse`). */
  async range(gte: Uint8Array, lt: Uint8Array, opts: { limit?: number; reverse?: boolean } = {}): Promise<[Uint8Array, Uint8Array][]> {
    return this.db.iterator({ gte, lt, limit: opts.limit ?? -1, reverse: opts.reverse ?? false }).all()
  }

  async close(): Promise<void> {
    await this.db.close()
  }
}

/**
 * Writes staged during a block (FinalizeBlock) and flushed by Commit in one batch. Later writes
 * to the same key win; reads through `get` see staged values first.
 */
export class WriteSet {
  private readonly writes = new Map<string, KvWrite>()

  put(key: Uint8Array, value: Uint8Array): void {
    this.writes.set(Buffer.from(key).toString('latin1'), { key, value })
  }

  del(key: Uint8Array): void {
    this.writes.set(Buffer.from(key).toString('latin1'), { key, value: undefined })
  }

  /** The staged value: a Uint8Array, `null` when staged for deletion, `undefined` when not staged. */
  staged(key: Uint8Array): Uint8Array | null | undefined {
    const w = this.writes.get(Buffer.from(key).toString('latin1'))
    if (w === undefined) return undefined
    return w.value ?? null
  }

  get size(): number {
    return this.writes.size
  }

  entries(): IterableIterator<KvWrite> {
    return this.writes.values()
  }

  clear(): void {
    this.writes.clear()
  }
}
