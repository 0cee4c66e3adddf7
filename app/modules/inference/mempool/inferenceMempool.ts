import { bytesToHex, equalsBytes } from '@ethereumjs/util'
import { LRUCache } from 'lru-cache'
import { type AppError, toAppError } from '../../../errors.ts'
import type { Logger } from '../../../log.ts'
import type { EthTx } from '../../evm/ethTx.ts'
import type { EvmKeeper } from '../../evm/keeper.ts'
import { overlaps } from '../../evm/recordingStateManager.ts'
import { ErrInferenceFailed, ErrMempoolFull, ErrRequestsUnstable } from '../errors.ts'
import {
  MAX_SIMULATION_ROUNDS,
  RESIMULATION_BLOCKS,
  RESIMULATION_FLOOR,
  RESIMULATION_GROWTH,
  SIMULATIONS_IN_FLIGHT,
  ZK_PROVING_TIMEOUT_MS,
} from '../params.ts'
import type { InferenceCall } from '../precompile/inferenceCalls.ts'
import { isDirectCall, type PrecompileReach } from '../precompile/reachability.ts'
import type { InferenceRequest } from '../types/request.ts'
import type { InferenceResult, ResultLookup } from '../types/result.ts'
import { VerificationMode } from '../types/verificationMode.ts'
import type { ResultCache } from './resultCache.ts'
import type { TxSimulator } from './txSimulator.ts'

/**
 * Where a tx stands in the inference mempool (readable through `pipe_getInferenceStatus`):
 * - `plain`: cannot reach the precompile, ready at once;
 * - `simulating`: queued for or in (re-)simulation;
 * - `running`: waiting for the executor to compute its requests (a simulation waits for the
 *   results it needs; a request a run could not pay for is computed between runs);
 * - `ready`: every request has a result (simulated on block `height`, and no block since wrote
 *   anything the simulation's execution read, nor did it read the block context);
 * - `failed`: dropped, with the reason.
 */
export type TxInferenceState = 'plain' | 'simulating' | 'running' | 'ready' | 'failed'

export interface TxInferenceStatus {
  state: TxInferenceState
  /** Simulation round (chained calls need one more round per link). */
  round: number
  /** Requests the tx makes; all have results once `ready`. */
  requests: InferenceRequest[]
  /** The results of its requests computed so far, by request key. */
  results: ReadonlyMap<string, InferenceResult>
  /** Committed height the `ready` verdict was simulated on. */
  height: bigint
  /**
   * `failed`: why it was dropped. `ready`: what its execution will meet, when that is not a
   * plain success worth knowing before it lands (an inference call that runs out of gas).
   */
  reason?: string
  error?: AppError
}

/** Limits of the inference mempool (defaults in params.ts). */
export interface InferenceMempoolLimits {
  /** Txs simulating or waiting for inference at once; CheckTx refuses new inference txs beyond. */
  maxPending: number
  /** How long one inference may take before its tx is dropped. */
  timeoutMs: number
}

interface Tracked extends TxInferenceStatus {
  eth: EthTx
  results: Map<string, InferenceResult>
  /** State keys the last simulation's execution read (see TxSimulator). */
  reads: ReadonlySet<string>
  /** Whether it read per-block header fields. */
  readsBlockContext: boolean
  /**
   * `ready`: the latest committed height its simulation is known to hold on — `height`, or a
   * later one whose blocks wrote nothing it read. provenRequests needs it to be the head.
   */
  validAt: bigint
  /** Last height CheckTx (NEW or RECHECK) saw the tx; CometBFT drops what it does not recheck. */
  seen: bigint
  /** Arrival order: simulations go oldest first, so the txs next in line for a block are ready first. */
  order: number
  /** Waiting in the simulation queue. */
  queued: boolean
  /** Must simulate again on a newer head, and waits for a block that brings it forward (blockCommitted). */
  deferred: boolean
}

/** Finished verdicts kept for status queries after CometBFT dropped the tx. */
const HISTORY = 100_000
const INCLUDED = 'included in a block'
const NO_RESULTS: ReadonlyMap<string, InferenceResult> = new Map()
/**
 * Committed blocks whose writes are kept, so that a simulation overtaken by commits (started on
 * a head that is no longer the latest when it ends) can still be taken if none of them wrote
 * what it read; an older simulation runs again.
 */
const WRITES_KEPT = 8n

/**
 * The inference mempool. CheckTx classifies each admitted tx; one that may reach the precompile
 * is simulated outside the ABCI call path, its requests are computed (ResultCache), and it is
 * re-simulated with the results until its set of requests stops changing (chained calls). Only
 * `ready` txs go into proposals, with the results they hold. After every commit, a ready tx is
 * re-simulated on the new state only if the block wrote something its simulation read (its
 * requests may depend on it); the others stay ready.
 */
export class InferenceMempool {
  private readonly tracked = new Map<string, Tracked>()
  private readonly history = new LRUCache<string, TxInferenceStatus>({ max: HISTORY })
  private queue: Tracked[] = []
  private pumpScheduled = false
  private inFlight = 0
  private arrivals = 0
  private simulations = 0
  private resimulations = 0
  /** What each of the last WRITES_KEPT committed blocks wrote, by height (undefined: not known). */
  private readonly writesAt = new Map<bigint, ReadonlySet<string> | undefined>()

  constructor(
    private readonly evm: Pick<EvmKeeper, 'checkState' | 'blockGasLimit'>,
    private readonly simulator: Pick<TxSimulator, 'headHeight' | 'simulate'>,
    private readonly reach: Pick<PrecompileReach, 'mayReach'>,
    private readonly results: Pick<ResultCache, 'get' | 'compute'>,
    private readonly log: Logger,
    private readonly limits: InferenceMempoolLimits,
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
      if (t.state === 'failed') throw t.error ?? ErrInferenceFailed.with(t.reason)
      t.seen = height
      return
    }
    const plain = !(await this.reach.mayReach(eth, await this.evm.checkState()))
    if (!plain && this.waiting() >= this.limits.maxPending) {
      throw ErrMempoolFull.with(`${this.limits.maxPending} transactions are waiting for inference; try again later`)
    }
    const entry: Tracked = {
      eth,
      state: plain ? 'plain' : 'simulating',
      round: 0,
      requests: [],
      results: new Map(),
      height,
      seen: height,
      reads: new Set(),
      readsBlockContext: false,
      validAt: height,
      order: this.arrivals++,
      queued: false,
      deferred: false,
    }
    this.tracked.set(eth.hashHex, entry)
    if (!plain) this.enqueue(entry)
  }

  /** Whether the tx may go into a proposal built on the current committed block. */
  isReady(eth: EthTx): boolean {
    const t = this.tracked.get(eth.hashHex)
    return t !== undefined && (t.state === 'plain' || t.state === 'ready')
  }

  /** The results the given ready txs need, each once. */
  resultsFor(txs: readonly EthTx[]): InferenceResult[] {
    const out = new Map<string, InferenceResult>()
    for (const eth of txs) {
      const t = this.tracked.get(eth.hashHex)
      if (t?.state === 'ready') for (const [key, r] of t.results) out.set(key, r)
    }
    return [...out.values()]
  }

  status(hashHex: string): TxInferenceStatus | undefined {
    return this.tracked.get(hashHex) ?? this.history.get(hashHex)
  }

  /**
   * The request keys a block-answers simulation of `eth` on the committed state would make
   * with `proposal`'s results — when this node can prove it without simulating; undefined
   * otherwise (ProcessProposal then simulates). Two cases are provable:
   * - a direct call to the precompile: nothing runs before or after the precompile, so its
   *   requests are a function of its calldata and gas alone, found by its first simulation;
   * - a ready tx whose last simulation holds on the current committed state (it ran on it, or
   *   on an earlier one and no block since wrote what it read), every call answered from a
   *   result byte-identical (output and gas) to the proposal's: a block-answers run then gets
   *   the same answer at every call, so it runs the same and makes the same requests.
   * test/app/proposalDeterminism.test.ts checks that a node holding the tx and a node that does
   * not reach the same verdict.
   */
  provenRequests(eth: EthTx, proposal: ResultLookup): readonly InferenceRequest[] | undefined {
    const t = this.tracked.get(eth.hashHex)
    if (t?.state !== 'ready') return undefined
    if (isDirectCall(eth)) return t.requests
    if (t.validAt !== this.simulator.headHeight()) return undefined
    for (const [key, mine] of t.results) {
      const theirs = proposal.get(key)
      if (!theirs || theirs.modelGas !== mine.modelGas || !equalsBytes(theirs.output, mine.output)) return undefined
    }
    return t.requests
  }

  /**
   * After Commit: forget the txs the block included and those CometBFT no longer holds, and
   * re-simulate on the new state the ready txs whose simulation read something the block wrote
   * (`writes`: state keys, see recordingStateManager.ts; undefined re-simulates every ready tx)
   * or read the block context. The others' simulations hold on the new state as they are.
   *
   * Such re-simulations go oldest first and only as far as the next block is likely to take
   * (twice the txs this block included, see RESIMULATION_GROWTH in params.ts): a tx that reads the
   * block context (NUMBER, TIMESTAMP, …) must run again after every block, and re-running a
   * backlog of thousands after each one would keep the simulation threads from the txs next in
   * line. The rest wait, `simulating`, for a later block to bring them forward.
   */
  blockCommitted(included: Iterable<Uint8Array>, writes: ReadonlySet<string> | undefined): void {
    let includedTxs = 0
    for (const hash of included) {
      includedTxs++
      this.forget(bytesToHex(hash), INCLUDED)
    }
    const height = this.simulator.headHeight()
    this.writesAt.set(height, writes)
    this.writesAt.delete(height - WRITES_KEPT)
    const again: Tracked[] = []
    for (const [hashHex, t] of this.tracked) {
      if (t.seen < height - 1n) {
        this.forget(hashHex, 'no longer in the mempool')
      } else if (t.state === 'ready') {
        const holds = writes !== undefined && !t.readsBlockContext && !overlaps(t.reads, writes)
        if (holds) {
          t.validAt = height
        } else {
          t.state = 'simulating'
          t.deferred = true
        }
      }
      if (t.deferred && t.state === 'simulating') again.push(t)
    }
    // `tracked` iterates in arrival order: the oldest first.
    const budget = resimulationBudget(this.evm.blockGasLimit(), includedTxs)
    for (const t of again) {
      if (budget.txs <= 0 || budget.gas <= 0n) break
      budget.txs--
      budget.gas -= t.eth.gasLimit
      t.deferred = false
      this.resimulations++
      this.enqueue(t)
    }
    this.queue.sort((a, b) => a.order - b.order)
  }

  /** Txs simulating or waiting for inference. */
  waiting(): number {
    let n = 0
    for (const t of this.tracked.values()) if (t.state === 'simulating' || t.state === 'running') n++
    return n
  }

  /**
   * Txs by state now, and since start: `simulations` run (every round and re-simulation) and
   * `resimulations` started by a commit (pipe_stats shows them).
   */
  stats(): Record<TxInferenceState | 'simulations' | 'resimulations', number> {
    const out = { plain: 0, simulating: 0, running: 0, ready: 0, failed: 0 }
    for (const t of this.tracked.values()) out[t.state]++
    return { ...out, simulations: this.simulations, resimulations: this.resimulations }
  }

  private forget(hashHex: string, why: string): void {
    const t = this.tracked.get(hashHex)
    if (!t) return
    this.tracked.delete(hashHex)
    // An included tx's results are in the chain's records now: the status need not keep them.
    this.remember(hashHex, t.state === 'failed' ? t : { ...t, results: why === INCLUDED ? NO_RESULTS : t.results, reason: t.reason ?? why })
  }

  private remember(hashHex: string, status: TxInferenceStatus): void {
    const { state, round, requests, results, height, reason, error } = status
    this.history.set(hashHex, { state, round, requests, results, height, reason, error })
  }

  private enqueue(t: Tracked): void {
    if (t.queued) return
    t.queued = true
    this.queue.push(t)
    this.schedulePump()
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return
    this.pumpScheduled = true
    setImmediate(() => {
      this.pumpScheduled = false
      this.pump()
    })
  }

  /**
   * Starts queued simulations, oldest tx first, up to SIMULATIONS_IN_FLIGHT at once (they run
   * on the simulation threads; each tx has at most one in flight).
   */
  private pump(): void {
    while (this.inFlight < SIMULATIONS_IN_FLIGHT && this.queue.length > 0) {
      const t = this.queue.shift() as Tracked
      t.queued = false
      if (this.tracked.get(t.eth.hashHex) !== t || t.state !== 'simulating') continue
      this.inFlight++
      this.simulations++
      this.simulateOnce(t)
        .catch((err) => this.fail(t, toAppError(err)))
        .finally(() => {
          this.inFlight--
          this.pump()
        })
    }
  }

  private async simulateOnce(t: Tracked): Promise<void> {
    // Answers: the results this tx already holds; the simulator computes the others while the
    // run waits (TxSimulator's compute), so a round usually ends with every request answered.
    const sim = await this.simulator.simulate(t.eth, {
      kind: 'simulation',
      results: t.results,
      onCompute: () => {
        if (t.state === 'simulating') t.state = 'running'
      },
    })
    if (t.state === 'running') t.state = 'simulating'
    const { height, reads, readsBlockContext, calls, refused } = sim
    // The results this round answered with, for the ready verdict and provenRequests.
    const answered = sim.used
    for (const [key, r] of answered) t.results.set(key, r)
    const requests = unique(calls.map((c) => c.request))
    const unknown = requests.filter((r) => !answered.has(r.keyHex))
    t.requests = requests
    t.reads = reads
    t.readsBlockContext = readsBlockContext
    if (unknown.length === 0) {
      // Blocks committed while this ran: it holds on the new head only if none wrote what it read.
      const head = this.simulator.headHeight()
      if (height !== head && !this.heldSince(height, t)) return this.enqueue(t)
      // Settled: every request has its result. An invalid request now is the tx's own fault;
      // in earlier rounds it may have come from an empty simulated output.
      if (refused.length > 0) return this.fail(t, refused[0] as AppError)
      return this.settle(t, height, answered, calls, head)
    }
    t.round++
    if (t.round >= MAX_SIMULATION_ROUNDS) {
      return this.fail(t, ErrRequestsUnstable.with(`still new requests after ${MAX_SIMULATION_ROUNDS} rounds of simulation`))
    }
    // A direct call to the precompile has no code that could read an output: its requests are
    // final after one round, and its errors are its own.
    const final = isDirectCall(t.eth)
    if (final && refused.length > 0) return this.fail(t, refused[0] as AppError)
    t.state = 'running'
    Promise.all(
      unknown.map((r) => this.results.compute(r, timeoutFor(r, this.limits.timeoutMs)).then((res) => t.results.set(r.keyHex, res))),
    ).then(
      () => {
        if (this.tracked.get(t.eth.hashHex) !== t || t.state !== 'running') return
        if (final && height === this.simulator.headHeight()) return this.settle(t, height, t.results, calls)
        t.state = 'simulating'
        this.enqueue(t)
      },
      (err) => this.fail(t, toAppError(err)),
    )
  }

  /**
   * Whether a simulation of `t` on committed height `height` holds on the head: it read no
   * block context, and no block since wrote anything it read (the same test blockCommitted
   * applies to a ready tx, block by block).
   */
  private heldSince(height: bigint, t: Tracked): boolean {
    if (t.readsBlockContext) return false
    for (let h = height + 1n; h <= this.simulator.headHeight(); h++) {
      const writes = this.writesAt.get(h)
      if (writes === undefined || overlaps(t.reads, writes)) return false
    }
    return true
  }

  /**
   * The tx is ready, holding the results `used` for its requests: simulated on `height`, and
   * known to hold on `validAt` (the same height, or a later one heldSince found).
   */
  private settle(
    t: Tracked,
    height: bigint,
    used: ReadonlyMap<string, InferenceResult>,
    calls: readonly InferenceCall[],
    validAt = height,
  ): void {
    t.results = new Map(t.requests.map((r) => [r.keyHex, used.get(r.keyHex) as InferenceResult]))
    t.state = 'ready'
    t.height = height
    t.validAt = validAt
    t.reason = outOfGasNote(calls)
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

/** How many deferred txs, and how much of their gas, to re-simulate after a block of `includedTxs` txs. */
export function resimulationBudget(blockGasLimit: bigint, includedTxs: number): { txs: number; gas: bigint } {
  return { txs: RESIMULATION_GROWTH * includedTxs + RESIMULATION_FLOOR, gas: blockGasLimit * RESIMULATION_BLOCKS }
}

/** What a ready tx's status says about a call that runs out of gas, if one does. */
function outOfGasNote(calls: readonly InferenceCall[]): string | undefined {
  const c = calls.find((x) => x.outcome === 'outOfGas')
  if (!c?.gas) return undefined
  return `out of gas: inference ${c.index} (model ${c.request.modelCid}) needs ${c.gas.needed} gas and the call has ${c.gas.available}; the tx will run out of gas when it executes (raise its gas limit: eth_estimateGas gives it)`
}

function unique(requests: InferenceRequest[]): InferenceRequest[] {
  const seen = new Map<string, InferenceRequest>()
  for (const r of requests) if (!seen.has(r.keyHex)) seen.set(r.keyHex, r)
  return [...seen.values()]
}

/** How long a request may take: ZKML proofs get longer (they queue for the prover threads). */
export function timeoutFor(request: InferenceRequest, timeoutMs: number): number {
  return request.mode === VerificationMode.VERIFICATION_MODE_ZKML ? Math.max(timeoutMs, ZK_PROVING_TIMEOUT_MS) : timeoutMs
}
