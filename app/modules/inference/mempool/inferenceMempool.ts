import { bytesToHex } from "@ethereumjs/util"
import { AppError, toAppError } from '../../../errors.ts'
import type { Logger } from '../../../log.ts'
import type { EthTx } from '../../evm/ethTx.ts'
import type { EvmKeeper } from '../../evm/keeper.ts'
import { overlaps } from '../../evm/stateAccessLog.ts'
import { INFERENCE_PRECOMPILE_ADDRESS } from '../precompile/abi.ts'
import { mayCallOut } from '../precompile/codeScan.ts'
import { ErrMempoolFull, ErrRequestsUnstable } from '../errors.ts'
import { newContext } from '../precompile/inferenceCalls.ts'
import type { InferenceRequest } from '../types/request.ts'
import type { InferenceRunner } from './inferenceRunner.ts'
import { INFERENCE_TIMEOUT_MS, MAX_PENDING_INFERENCE_TXS, MAX_SIMULATION_ROUNDS } from '../params.ts'
import type { ResultCache } from './resultCache.ts'
import type { InferenceResultEntry } from '../block/resultsTx.ts'
import type { TxSimulator } from './txSimulator.ts'

/**
 * Where a tx stands in the inference mempool (readable through `pipe_getInferenceStatus`):
 * - `plain`: cannot reach the precompile, ready at once;
 * - `simulating`: queued for (re-)simulation;
 * - `running`: waiting for the executor to compute the requests found so far;
 * - `ready`: every request has a result (simulated on block `height`, and no block since wrote
 *   anything the simulation read);
 * - `failed`: dropped, with the reason.
 */
export type TxInferenceState = 'plain' | 'simulating' | 'running' | 'ready' | 'failed'

export interface TxInferenceStatus {
  state: TxInferenceState
  /** Simulation round (chained calls need one more round per link). */
  round: number
  /** Requests the tx makes, by key; all have results once `ready`. */
  requests: InferenceRequest[]
  /** Committed height the `ready` verdict was simulated on. */
  height: bigint
  reason?: string
  error?: AppError
}

interface Tracked extends TxInferenceStatus {
  eth: EthTx
  /** State keys the last simulation read (see TxSimulator). */
  reads: ReadonlySet<string>
  /** Last height CheckTx (NEW or RECHECK) saw the tx; CometBFT drops what it does not recheck. */
  seen: bigint
}

const PRECOMPILE = INFERENCE_PRECOMPILE_ADDRESS.toLowerCase()

/**
 * The inference mempool. CheckTx classifies each admitted tx; one that may reach the precompile
 * is simulated outside the ABCI call path, its requests are computed on the executor, and it is
 * re-simulated with the results until its set of requests stops changing (chained calls). Only
 * `ready` txs go into proposals. After every commit, a ready tx is re-simulated on the new state
 * only if the block wrote something its simulation read (its requests may depend on it); the
 * others stay ready.
 */
/** Limits of the inference mempool (defaults in params.ts). */
export interface InferenceMempoolLimits {
  /** Txs simulating or waiting for inference at once; CheckTx refuses new inference txs beyond. */
  maxPending: number
  /** How long one inference may take before its tx is dropped. */
  timeoutMs: number
}

export class InferenceMempool {
  private readonly tracked = new Map<string, Tracked>()
  /** Finished verdicts kept for status queries after CometBFT dropped the tx. */
  private readonly history = new Map<string, TxInferenceStatus>()
  private readonly queue: Tracked[] = []
  private pumping = false
  /** Whether code at an address can call out, by code hash (code at an address rarely changes). */
  private readonly codeVerdicts = new Map<string, boolean>()

  constructor(
    private readonly evm: EvmKeeper,
    private readonly simulator: TxSimulator,
    private readonly runner: InferenceRunner,
    readonly results: ResultCache,
    private readonly log: Logger,
    private readonly limits: InferenceMempoolLimits = { maxPending: MAX_PENDING_INFERENCE_TXS, timeoutMs: INFERENCE_TIMEOUT_MS },
  ) {}

  /**
   * CheckTx's part, after the EVM checks passed: refuses a tx whose inference failed (so RECHECK
   * drops it) or a new one when too many wait; otherwise starts tracking it. Never waits for
   * simulation or inference.
   */
  async admit(eth: EthTx): Promise<void> {
    const t = this.tracked.get(eth.hashHex)
    const height = this.simulator.headHeight()
    if (t) {
      if (t.state === 'failed') throw t.error ?? new AppError('inference', 58, t.reason ?? 'inference failed')
      t.seen = height
      return
    }
    const plain = !(await this.mayReachPrecompile(eth))
    if (!plain && this.waiting() >= this.limits.maxPending) {
      throw ErrMempoolFull.with(`${this.limits.maxPending} transactions are waiting for inference; try again later`)
    }
    const entry: Tracked = { eth, state: plain ? 'plain' : 'simulating', round: 0, requests: [], height, seen: height, reads: new Set() }
    this.tracked.set(eth.hashHex, entry)
    if (!plain) this.enqueue(entry)
  }

  /** Whether the tx may go into a proposal built on the current committed block. */
  isReady(eth: EthTx): boolean {
    const t = this.tracked.get(eth.hashHex)
    return t !== undefined && (t.state === 'plain' || t.state === 'ready')
  }

  /** Requests of a ready tx (empty for a plain one). */
  requestsOf(eth: EthTx): InferenceRequest[] {
    return this.tracked.get(eth.hashHex)?.requests ?? []
  }

  /** The results tx entries the given ready txs need, each once. */
  resultsFor(txs: EthTx[]): InferenceResultEntry[] {
    const entries = new Map<string, InferenceResultEntry>()
    for (const eth of txs) {
      for (const r of this.requestsOf(eth)) {
        const result = this.results.get(r.keyHex)
        if (result) entries.set(r.keyHex, result)
      }
    }
    return [...entries.values()]
  }

  status(hashHex: string): TxInferenceStatus | undefined {
    return this.tracked.get(hashHex) ?? this.history.get(hashHex)
  }

  /**
   * After Commit: forget the txs the block included and those CometBFT no longer holds, and
   * re-simulate on the new state the ready txs whose simulation read something the block wrote
   * (`writes`: state keys, see StateAccessLog; undefined re-simulates every ready tx).
   */
  committed(included: Iterable<Uint8Array>, writes: ReadonlySet<string> | undefined): void {
    this.simulator.invalidate()
    for (const hash of included) this.forget(bytesToHex(hash), 'included in a block')
    const height = this.simulator.headHeight()
    for (const [hashHex, t] of this.tracked) {
      if (t.seen < height - 1n) this.forget(hashHex, 'no longer in the mempool')
      else if (t.state === 'ready' && (writes === undefined || overlaps(t.reads, writes))) {
        t.state = 'simulating'
        this.enqueue(t)
      }
    }
    const needed = new Set<string>()
    for (const t of this.tracked.values()) for (const r of t.requests) needed.add(r.keyHex)
    this.results.prune((key) => needed.has(key))
  }

  /** Txs simulating or waiting for inference. */
  waiting(): number {
    let n = 0
    for (const t of this.tracked.values()) if (t.state === 'simulating' || t.state === 'running') n++
    return n
  }

  stats(): Record<TxInferenceState, number> {
    const out: Record<TxInferenceState, number> = { plain: 0, simulating: 0, running: 0, ready: 0, failed: 0 }
    for (const t of this.tracked.values()) out[t.state]++
    return out
  }

  /**
   * Whether a tx can reach the precompile: it calls it directly, creates a contract, or calls
   * code that can call out. Everything else (transfers to EOAs, simple contracts) is plain.
   */
  async mayReachPrecompile(eth: EthTx): Promise<boolean> {
    const to = eth.tx.to
    if (!to || isDirectCall(eth)) return true
    const state = await this.evm.checkState()
    const account = await state.getAccount(to)
    if (!account || account.isContract() === false) return false
    const codeHash = bytesToHex(account.codeHash)
    let verdict = this.codeVerdicts.get(codeHash)
    if (verdict === undefined) {
      verdict = mayCallOut(await state.getCode(to))
      this.codeVerdicts.set(codeHash, verdict)
    }
    return verdict
  }

  private forget(hashHex: string, why: string): void {
    const t = this.tracked.get(hashHex)
    if (!t) return
    this.tracked.delete(hashHex)
    this.remember(hashHex, t.state === 'failed' ? t : { ...t, reason: t.reason ?? why })
  }

  private remember(hashHex: string, status: TxInferenceStatus): void {
    const { state, round, requests, height, reason, error } = status
    this.history.set(hashHex, { state, round, requests, height, reason, error })
    if (this.history.size > 100_000) this.history.delete(this.history.keys().next().value!)
  }

  private enqueue(t: Tracked): void {
    this.queue.push(t)
    if (!this.pumping) {
      this.pumping = true
      setImmediate(() => void this.pump())
    }
  }

  /** Simulates queued txs one at a time (they share the simulation VM). */
  private async pump(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const t = this.queue.shift()!
        if (this.tracked.get(t.eth.hashHex) !== t || t.state !== 'simulating') continue
        await this.simulateOnce(t).catch((err) => this.fail(t, toAppError(err)))
      }
    } finally {
      this.pumping = false
    }
  }

  private async simulateOnce(t: Tracked): Promise<void> {
    const ctx = newContext('simulate', this.results)
    const { height, reads } = await this.simulator.simulate(t.eth, ctx)
    const requests = unique(ctx.served.map((s) => s.request))
    const unknown = requests.filter((r) => !this.results.has(r.keyHex))
    t.requests = requests
    t.reads = reads
    if (unknown.length === 0) {
      // A block was committed while this ran: its writes were not checked against these reads.
      if (height !== this.simulator.headHeight()) return this.enqueue(t)
      // Settled: every request has its result. An invalid request now is the tx's own fault;
      // in earlier rounds it may have come from an empty simulated output.
      if (ctx.errors.length > 0) return this.fail(t, ctx.errors[0])
      t.state = 'ready'
      t.height = height
      return
    }
    t.round++
    if (t.round >= MAX_SIMULATION_ROUNDS) {
      return this.fail(t, ErrRequestsUnstable.with(`still new requests after ${MAX_SIMULATION_ROUNDS} rounds of simulation`))
    }
    // A direct call to the precompile has no code that could read an output: its requests are
    // final after one round, and its errors are its own.
    const final = isDirectCall(t.eth)
    if (final && ctx.errors.length > 0) return this.fail(t, ctx.errors[0])
    t.state = 'running'
    Promise.all(unknown.map((r) => this.runner.run(r, this.limits.timeoutMs).then((res) => this.results.set(r.keyHex, res)))).then(
      () => {
        if (this.tracked.get(t.eth.hashHex) !== t || t.state !== 'running') return
        if (final && height === this.simulator.headHeight()) {
          t.state = 'ready'
          t.height = height
          return
        }
        t.state = 'simulating'
        this.enqueue(t)
      },
      (err) => this.fail(t, toAppError(err)),
    )
  }

  private fail(t: Tracked, error: AppError): void {
    if (this.tracked.get(t.eth.hashHex) !== t) return
    t.state = 'failed'
    t.error = error
    t.reason = error.message
    this.remember(t.eth.hashHex, t)
    this.log.info(`tx ${t.eth.hashHex} dropped: ${error.message}`)
  }
}

function isDirectCall(eth: EthTx): boolean {
  return eth.tx.to?.toString() === PRECOMPILE
}

function unique(requests: InferenceRequest[]): InferenceRequest[] {
  const seen = new Map<string, InferenceRequest>()
  for (const r of requests) if (!seen.has(r.keyHex)) seen.set(r.keyHex, r)
  return [...seen.values()]
}

