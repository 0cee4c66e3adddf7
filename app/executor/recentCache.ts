/**
 * A cache of recent entries for a hot path: two generations instead of an exact LRU. New entries
 * go into the young generation; when it holds half the capacity (in entries or weight), it
 * becomes the old one and the previous old one is dropped whole. A hit in the old generation
 * moves the entry back to the young one, so what is used stays. It holds between half and all of
 * `maxEntries` / `maxWeight`, and costs one Map operation per insert — an exact LRU costs three
 * to five (delete, re-insert, evict), which showed at hundreds of thousands of inserts a second.
 * @example
 * const c = new RecentCache<string, Result>({ maxEntries: 1024, maxWeight: 64 << 20, weight: (r) => r.bytes })
 * c.set(key, result); c.get(key)
 */
export class RecentCache<K, V> {
  private young = new Map<K, V>()
  private old = new Map<K, V>()
  private youngWeight = 0

  constructor(
    private readonly opts: {
      maxEntries: number
      maxWeight: number
      weight: (value: V) => number
    },
  ) {}

  get size(): number {
    return this.young.size + this.old.size
  }

  get(key: K): V | undefined {
    const v = this.young.get(key)
    if (v !== undefined) return v
    const o = this.old.get(key)
    if (o !== undefined) {
      this.old.delete(key)
      this.insert(key, o)
    }
    return o
  }

  /** Inserts (a value heavier than half of `maxWeight` is not kept). */
  set(key: K, value: V): void {
    if (this.opts.maxEntries <= 0) return
    this.old.delete(key)
    this.insert(key, value)
  }

  private insert(key: K, value: V): void {
    const w = this.opts.weight(value)
    if (w > this.opts.maxWeight / 2) return
    this.young.set(key, value)
    this.youngWeight += w
    if (this.young.size * 2 >= this.opts.maxEntries || this.youngWeight * 2 >= this.opts.maxWeight) {
      this.old = this.young
      this.young = new Map()
      this.youngWeight = 0
    }
  }
}
