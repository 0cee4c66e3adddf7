/**
 * Where the node's time goes, per ABCI phase (CheckTx, PrepareProposal, ProcessProposal,
 * FinalizeBlock, Commit). Read through JSON-RPC `pipe_stats` by the benchmarks. Measuring uses
 * the wall clock; nothing here reaches state.
 */
export type Phase = 'checkTx' | 'recheckTx' | 'prepareProposal' | 'processProposal' | 'finalizeBlock' | 'commit'

export interface PhaseStats {
  count: number
  totalMs: number
  maxMs: number
  /** Items handled (txs for block phases). */
  items: number
  /** Percentiles of the last {@link RECENT_SAMPLES} calls, in ms. */
  p50Ms: number
  p99Ms: number
}

/** How many recent durations each phase keeps for its percentiles. */
export const RECENT_SAMPLES = 4096

interface PhaseRecord {
  count: number
  totalMs: number
  maxMs: number
  items: number
  recent: Float64Array
  next: number
}

export class Metrics {
  private readonly phases = new Map<Phase, PhaseRecord>()

  record(phase: Phase, ms: number, items = 1): void {
    let s = this.phases.get(phase)
    if (!s) {
      s = { count: 0, totalMs: 0, maxMs: 0, items: 0, recent: new Float64Array(RECENT_SAMPLES), next: 0 }
      this.phases.set(phase, s)
    }
    s.count++
    s.totalMs += ms
    s.items += items
    if (ms > s.maxMs) s.maxMs = ms
    s.recent[s.next++ % RECENT_SAMPLES] = ms
  }

  /** Times `fn` under `phase`. */
  async time<T>(phase: Phase, fn: () => Promise<T>, items?: (result: T) => number): Promise<T> {
    const start = performance.now()
    const result = await fn()
    this.record(phase, performance.now() - start, items ? items(result) : 1)
    return result
  }

  snapshot(): Record<string, PhaseStats> {
    return Object.fromEntries(
      [...this.phases].map(([k, v]) => {
        const n = Math.min(v.next, RECENT_SAMPLES)
        const sorted = Array.from(v.recent.subarray(0, n)).sort((a, b) => a - b)
        const pct = (p: number) => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.floor((n - 1) * p))]!)
        return [k, { count: v.count, totalMs: v.totalMs, maxMs: v.maxMs, items: v.items, p50Ms: pct(0.5), p99Ms: pct(0.99) }]
      }),
    )
  }
}
