import type { KnownResult } from '../precompile/inferenceCalls.ts'
import type { InferenceResultEntry } from '../block/resultsTx.ts'

/** A result this node computed (or saw in a block): what a results tx entry needs. */
export type CachedResult = KnownResult & InferenceResultEntry

/**
 * Results this node knows, by request key. Simulations return them, PrepareProposal puts them in
 * the results tx, eth_call reuses them. Bounded: the oldest go first, except those a pending tx
 * still needs (`keep`).
 */
export class ResultCache implements ReadonlyMap<string, CachedResult> {
  private readonly map = new Map<string, CachedResult>()

  constructor(private readonly capacity = 100_000) {}

  set(keyHex: string, r: CachedResult): void {
    this.map.delete(keyHex)
    this.map.set(keyHex, r)
  }

  /** Drops the oldest entries beyond capacity that `keep` does not need. */
  prune(keep: (keyHex: string) => boolean): void {
    if (this.map.size <= this.capacity) return
    for (const key of this.map.keys()) {
      if (this.map.size <= this.capacity) break
      if (!keep(key)) this.map.delete(key)
    }
  }

  get(key: string): CachedResult | undefined {
    return this.map.get(key)
  }
  has(key: string): boolean {
    return this.map.has(key)
  }
  get size(): number {
    return this.map.size
  }
  forEach(cb: (value: CachedResult, key: string, map: ReadonlyMap<string, CachedResult>) => void): void {
    this.map.forEach((v, k) => cb(v, k, this))
  }
  entries(): MapIterator<[string, CachedResult]> {
    return this.map.entries()
  }
  keys(): MapIterator<string> {
    return this.map.keys()
  }
  values(): MapIterator<CachedResult> {
    return this.map.values()
  }
  [Symbol.iterator](): MapIterator<[string, CachedResult]> {
    return this.map[Symbol.iterator]()
  }
}
