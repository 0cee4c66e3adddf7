/**
 * A least-recently-used cache bounded by entry count and, optionally, by total weight (e.g.
 * bytes). A Map keeps insertion order, so re-inserting on use makes the first key the oldest.
 * Values are stored as they are (no wrapper per entry: this sits on the executor's hot path), so
 * `weight` must give the same answer for a value every time it is asked, and `undefined` is not
 * a value it can hold.
 * @example
 * const c = new LruCache<string, Session>({ maxEntries: 32, onEvict: (k, s) => s.release() })
 * c.set('a', s); c.get('a')
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>()
  private totalWeight = 0

  constructor(
    private readonly opts: {
      maxEntries: number
      /** Bound on the sum of `weight(value)`; default unbounded. */
      maxWeight?: number
      weight?: (value: V) => number
      /** Called for every entry pushed out (not for `delete` or `clear`). */
      onEvict?: (key: K, value: V) => void
    },
  ) {}

  get size(): number {
    return this.map.size
  }

  /** The value, marked most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const v = this.map.get(key)
    if (v === undefined) return undefined
    this.map.delete(key)
    this.map.set(key, v)
    return v
  }

  has(key: K): boolean {
    return this.map.has(key)
  }

  /** Inserts or replaces; a value heavier than `maxWeight` alone is not kept. */
  set(key: K, value: V): void {
    const old = this.map.get(key)
    if (old !== undefined) {
      this.map.delete(key)
      this.totalWeight -= this.opts.weight?.(old) ?? 0
    }
    if (this.opts.maxEntries <= 0) return
    const weight = this.opts.weight?.(value) ?? 0
    if (this.opts.maxWeight !== undefined && weight > this.opts.maxWeight) return
    this.map.set(key, value)
    this.totalWeight += weight
    while (this.map.size > this.opts.maxEntries || (this.opts.maxWeight !== undefined && this.totalWeight > this.opts.maxWeight)) {
      const oldest = this.map.keys().next().value as K
      const evicted = this.map.get(oldest) as V
      this.map.delete(oldest)
      this.totalWeight -= this.opts.weight?.(evicted) ?? 0
      this.opts.onEvict?.(oldest, evicted)
    }
  }

  delete(key: K): boolean {
    const v = this.map.get(key)
    if (v === undefined) return false
    this.map.delete(key)
    this.totalWeight -= this.opts.weight?.(v) ?? 0
    return true
  }

  values(): IterableIterator<V> {
    return this.map.values()
  }

  clear(): void {
    this.map.clear()
    this.totalWeight = 0
  }
}
