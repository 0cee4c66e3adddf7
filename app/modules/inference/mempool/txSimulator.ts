import type { Worker } from 'node:worker_threads'
import type { AppError } from '../../../errors.ts'
import { startWorker } from '../../../workers/startWorker.ts'
import type { EthTx } from '../../evm/ethTx.ts'
import type { EvmKeeper } from '../../evm/keeper.ts'
import type { InferenceCall, ModelCatalog, ModeRules } from '../precompile/inferenceCalls.ts'
import type { InferenceRequest } from '../types/request.ts'
import type { InferenceResult } from '../types/result.ts'
import {
  fromWireError,
  type MainMessage,
  type ModelShape,
  RESULT_SETS_PER_THREAD,
  type SimulateTask,
  type SimulationDone,
  type SimulationHead,
  type SimulationKind,
  toWireError,
  type WarmedUp,
  type WorkerMessage,
  type WorkerQuery,
} from './simulationWire.ts'

/** How the precompile answers in one simulation. */
export interface SimulationAnswers {
  /** `simulation`: the inference mempool's (checked, placeholders); `block`: a proposal's results only. */
  kind: SimulationKind
  /** A `block` run's map must not change afterwards: each thread is sent it once (by identity). */
  results: ReadonlyMap<string, InferenceResult>
  /** Called when the run starts waiting for a result it needs computed. */
  onCompute?: () => void
}

/** What one simulation saw and made. */
export interface Simulation {
  /** The committed height it ran on. */
  height: bigint
  /**
   * State keys the tx's EVM execution read (recordingStateManager.ts; not the VM's nonce and
   * fee bookkeeping around it, see ExecutionReads).
   */
  reads: ReadonlySet<string>
  /**
   * Whether the execution read a field of the block context that changes every block (NUMBER,
   * TIMESTAMP, BLOCKHASH, PREVRANDAO, GASLIMIT): its run on the next state may differ even if
   * no state it read changed.
   */
  readsBlockContext: boolean
  /** The inference calls it made, in order, and how each was answered. */
  calls: InferenceCall[]
  /** Requests refused as invalid (unknown model, bad input, mode not allowed), in order. */
  refused: AppError[]
  /** The results the precompile answered with, by request key: from `results`, or computed. */
  used: ReadonlyMap<string, InferenceResult>
}

interface Thread {
  worker: Worker
  /** Tasks sent and not answered yet. */
  running: Map<number, { resolve: (d: SimulationDone) => void; reject: (e: Error) => void }>
  /** Block result sets this thread holds (it keeps the latest few; see simulationWorker.ts). */
  sets: number[]
}

/**
 * Simulation threads by default. On a 2-core machine the second shares a core with the main
 * thread, and still took the contract → model workload from 94 to 114 committed tx/s
 * (bench/evm-throughput, model-10), the simulations being the limit.
 */
export const DEFAULT_SIMULATION_THREADS = 2

/**
 * Runs txs on the latest committed state without changing it, on worker threads
 * (simulationWorker.ts), so CheckTx, PrepareProposal, ProcessProposal, FinalizeBlock and Commit
 * never wait behind a simulation on the main thread. The inference mempool simulates with
 * simulation answers, ProcessProposal with the proposal's results.
 *
 * The view stays consistent because every task names its committed head (height and state
 * root) and a worker reads state only by content: trie nodes and code by hash, served from this
 * thread's node store, where committed nodes are immutable and never pruned. A simulation that
 * started before a Commit reads exactly the state of the root it started on; the mempool then
 * sees that its height is no longer the head and simulates again. Mode rules and block hashes
 * are answered from committed state, hub metadata by content (CID).
 */
export class TxSimulator {
  private readonly threads: Thread[] = []
  private nextId = 0
  private closed = false
  private nextSet = 0
  private readonly setIds = new WeakMap<ReadonlyMap<string, InferenceResult>, number>()
  /** onCompute of the runs in flight, by task id. */
  private readonly computeWatchers = new Map<number, () => void>()
  /** Each started thread's warm-up report (simulationWarmUp.ts), in the order they finished. */
  private readonly warmUpReports: WarmedUp[] = []
  /** Told why a thread's warm-up stopped early (the node logs it). */
  onWarmUpFailure?: (why: string) => void

  constructor(
    private readonly evm: Pick<EvmKeeper, 'head' | 'simulationHead' | 'state' | 'blocks'>,
    private readonly modes: ModeRules,
    private readonly models: ModelCatalog,
    private readonly threadCount = DEFAULT_SIMULATION_THREADS,
    /**
     * Computes a request a `simulation` run meets without a result (the node's result cache);
     * the run waits for it, so its requests are final in one run. Without it, such a request
     * is answered with the simulation placeholder.
     */
    private readonly compute?: (request: InferenceRequest) => Promise<InferenceResult>,
  ) {
    if (!(threadCount >= 1)) throw new RangeError(`simulation needs at least one thread, got ${threadCount}`)
  }

  /** Height of the committed block simulations run on top of. */
  headHeight(): bigint {
    return this.evm.head()?.header.number ?? 0n
  }

  /** Runs `eth` on the latest committed state with `answers` as the precompile's; nothing is written. */
  async simulate(eth: EthTx, answers: SimulationAnswers): Promise<Simulation> {
    if (this.closed) throw new Error('the simulator is closed')
    const stored = this.evm.simulationHead()
    const h = stored.header
    const head: SimulationHead = {
      height: h.number,
      hash: stored.hash,
      stateRoot: h.stateRoot,
      timestamp: h.timestamp,
      gasLimit: h.gasLimit,
    }
    const thread = this.leastBusy()
    const task: SimulateTask = {
      type: 'simulate',
      id: this.nextId++,
      raw: eth.raw,
      hash: eth.hash,
      sender: eth.sender.bytes,
      head,
      kind: answers.kind,
      results: this.resultsFor(thread, answers),
      compute: answers.kind === 'simulation' && this.compute !== undefined,
    }
    if (answers.onCompute) this.computeWatchers.set(task.id, answers.onCompute)
    let done: SimulationDone
    try {
      done = await this.run(thread, task)
    } finally {
      this.computeWatchers.delete(task.id)
    }
    return {
      height: head.height,
      reads: new Set(done.reads),
      readsBlockContext: done.readsBlockContext,
      calls: done.calls,
      refused: done.refused.map(fromWireError),
      used: new Map(done.used.map((r) => [r.keyHex, r])),
    }
  }

  /**
   * Starts every thread now rather than when the previous one gets busy. A node does it at
   * start: a thread takes ~0.5 s to load, and the first time the first thread is busy may be a
   * ProcessProposal of a full block, which would wait for the next thread to load.
   */
  startThreads(): void {
    while (this.threads.length < this.threadCount) this.startThread()
  }

  /** How the threads' warm-ups went (one report per thread that finished warming up). */
  warmUps(): readonly WarmedUp[] {
    return this.warmUpReports
  }

  /** Stops the threads; simulations still running fail. */
  async close(): Promise<void> {
    this.closed = true
    await Promise.all(this.threads.map((t) => t.worker.terminate()))
  }

  /** A block's results go to each thread once; a mempool round's (a tx's own, a few) every time. */
  private resultsFor(thread: Thread, answers: SimulationAnswers): SimulateTask['results'] {
    if (answers.kind !== 'block') return { results: [...answers.results.values()] }
    let set = this.setIds.get(answers.results)
    if (set === undefined) {
      set = this.nextSet++
      this.setIds.set(answers.results, set)
    }
    if (thread.sets.includes(set)) return { set }
    thread.sets.push(set)
    if (thread.sets.length > RESULT_SETS_PER_THREAD) thread.sets.shift()
    return { set, results: [...answers.results.values()] }
  }

  private run(thread: Thread, task: SimulateTask): Promise<SimulationDone> {
    return new Promise((resolve, reject) => {
      thread.running.set(task.id, { resolve, reject })
      thread.worker.ref()
      thread.worker.postMessage(task satisfies MainMessage)
    })
  }

  private leastBusy(): Thread {
    if (this.threads.length < this.threadCount) {
      const idle = this.threads.find((t) => t.running.size === 0)
      if (idle) return idle
      return this.startThread()
    }
    return this.threads.reduce((a, b) => (b.running.size < a.running.size ? b : a))
  }

  private startThread(): Thread {
    const worker = startWorker(new URL('./simulationWorker.ts', import.meta.url))
    const thread: Thread = { worker, running: new Map(), sets: [] }
    this.threads.push(thread)
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'query') {
        this.answer(m.query).then(
          (value) => worker.postMessage({ type: 'reply', id: m.id, value } satisfies MainMessage),
          (err) => worker.postMessage({ type: 'reply', id: m.id, error: toWireError(err) } satisfies MainMessage),
        )
        return
      }
      if (m.type === 'warmedUp') {
        this.warmUpReports.push(m)
        if (m.error) this.onWarmUpFailure?.(m.error)
        return
      }
      const waiting = thread.running.get(m.id)
      thread.running.delete(m.id)
      if (thread.running.size === 0) worker.unref()
      if (m.type === 'done') waiting?.resolve(m)
      else waiting?.reject(fromWireError(m.error))
    })
    // A thread that dies fails what it was running; the next simulation starts a new one.
    const lost = (why: string) => {
      const i = this.threads.indexOf(thread)
      if (i >= 0) this.threads.splice(i, 1)
      for (const w of thread.running.values()) w.reject(new Error(`the simulation thread stopped: ${why}`))
      thread.running.clear()
    }
    worker.on('error', (err) => lost(err.message))
    worker.on('exit', (code) => lost(`exit code ${code}`))
    worker.unref()
    return thread
  }

  /** A worker's query, answered from committed state or by content (see simulationWire.ts). */
  private async answer(q: WorkerQuery): Promise<unknown> {
    switch (q.what) {
      case 'node':
        return this.evm.state.nodes.get(q.key)
      case 'blockHash':
        return (await this.evm.blocks.blockByHeight(BigInt(q.height)))?.hash ?? new Uint8Array(32)
      case 'modeRefusal': {
        const refusal = await this.modes.refusal(q.cid, q.mode)
        return refusal ? toWireError(refusal) : undefined
      }
      case 'compute':
        if (!this.compute) throw new Error('this simulator computes nothing')
        this.computeWatchers.get(q.task)?.()
        return this.compute(q.request)
      case 'metadata': {
        const meta = await this.models.metadata(q.cid)
        if (!meta) return undefined
        const shape: ModelShape = { inputs: meta.inputs, outputs: meta.outputs, costMicros: meta.costMicros }
        return shape
      }
    }
  }
}
