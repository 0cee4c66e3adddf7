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
}

export class Metrics {
  private readonly phases = new Map<Phase, PhaseStats>()

  record(phase: Phase, ms: number, items = 1): void {
    const s = this.phases.get(phase) ?? { count: 0, totalMs: 0, maxMs: 0, items: 0 }
    s.count++
    s.totalMs += ms
    s.items += items
    if (ms > s.maxMs) s.maxMs = ms
    this.phases.set(phase, s)
  }

  /** Times `fn` under `phase`. */
  async time<T>(phase: Phase, fn: () => Promise<T>, items?: (result: T) => number): Promise<T> {
    const start = performance.now()
    const result = await fn()
    this.record(phase, performance.now() - start, items ? items(result) : 1)
    return result
  }

  snapshot(): Record<string, PhaseStats> {
    return Object.fromEntries([...this.phases].map(([k, v]) => [k, { ...v }]))
  }
}
