import { parentPort } from 'node:worker_threads'
import { type Block, createBlock } from '@ethereumjs/block'
import type { EVMMockBlockchainInterface } from '@ethereumjs/evm'
import { createMPT } from '@ethereumjs/mpt'
import { Caches } from '@ethereumjs/statemanager'
import { Address, type BatchDBOp, type DB, ValueEncoding } from '@ethereumjs/util'
import { createVM, runTx, type VM } from '@ethereumjs/vm'
import { LRUCache } from 'lru-cache'
import { initCrypto } from '../../../crypto.ts'
import type { AppError } from '../../../errors.ts'
import { createChainCommon, createTxCommon } from '../../evm/chainConfig.ts'
import { ethTxFromSender } from '../../evm/ethTx.ts'
import { installFastInterpreter } from '../../evm/fastInterpreter.ts'
import { RecordingStateManager } from '../../evm/recordingStateManager.ts'
import {
  type InferenceAnswers,
  type ModelCatalog,
  type ModeRules,
  type TxInferenceCalls,
  txInferenceCalls,
} from '../precompile/inferenceCalls.ts'
import { inferencePrecompile } from '../precompile/precompile.ts'
import type { InferenceRequest } from '../types/request.ts'
import type { InferenceResult, ResultLookup } from '../types/result.ts'
import { VerificationMode } from '../types/verificationMode.ts'
import { ExecutionReads } from './executionReads.ts'
import { prepareWarmUp, WARM_UP_CONCURRENCY, type WarmUp } from './simulationWarmUp.ts'
import {
  fromWireError,
  type MainMessage,
  type ModelShape,
  RESULT_SETS_PER_THREAD,
  type SimulateTask,
  type SimulationHead,
  toWireError,
  type WarmedUp,
  type WorkerMessage,
  type WorkerQuery,
} from './simulationWire.ts'

/**
 * A simulation worker thread (TxSimulator starts them): runs mempool and ProcessProposal
 * simulations on committed state off the main thread, several at once (one VM each).
 *
 * What it may touch: the committed state at the task's state root, read through the main
 * thread by content (trie nodes and code by hash — immutable, so a cached node is never stale
 * and a root opened before a Commit reads the same state after it); committed block hashes by
 * height; committed mode rules; hub model metadata by CID. What it may not: LevelDB, the hub's
 * files, the executor (a mempool simulation asks the main thread's result cache for a result
 * it needs: `compute`), module state, the clock or randomness. Its writes stay in its own
 * checkpoint and are reverted after every run.
 */

const port = parentPort
if (!port) throw new Error('simulationWorker.ts runs as a worker thread')
await initCrypto()
// this thread's own ethereumjs: the same fast path as the main thread's (EvmKeeper.open warns if it is missing)
installFastInterpreter()

const common = createChainCommon()
const txCommon = createTxCommon(common)
let nextQuery = 0
const asked = new Map<number, { resolve: (v: unknown) => void; reject: (e: AppError) => void }>()

function ask<T>(query: WorkerQuery): Promise<T> {
  const id = nextQuery++
  return new Promise<T>((resolve, reject) => {
    asked.set(id, { resolve: resolve as (v: unknown) => void, reject })
    port!.postMessage({ type: 'query', id, query } satisfies WorkerMessage)
  })
}

/** Trie nodes and code by hash, from the main thread; cached (content-addressed, never stale). */
class RemoteNodes implements DB<string, Uint8Array> {
  private readonly nodes = new LRUCache<string, Uint8Array>({ max: 200_000 })

  async get(key: string): Promise<Uint8Array | undefined> {
    const hit = this.nodes.get(key)
    if (hit) return hit
    const value = await ask<Uint8Array | undefined>({ what: 'node', key })
    if (value) this.nodes.set(key, value)
    return value
  }

  // A simulation's writes are reverted before they reach the trie; nodes written anyway are
  // content-addressed and only ever kept here.
  async put(key: string, value: Uint8Array): Promise<void> {
    this.nodes.set(key, value)
  }
  async del(): Promise<void> {}
  async batch(ops: BatchDBOp<string, Uint8Array>[]): Promise<void> {
    for (const op of ops) if (op.type === 'put') this.nodes.set(op.key, op.value)
  }
  shallowCopy(): DB<string, Uint8Array> {
    return this
  }
  async open(): Promise<void> {}
}

class RemoteBlockHashes implements EVMMockBlockchainInterface {
  async getBlock(height: number): Promise<{ hash(): Uint8Array }> {
    const hash = await ask<Uint8Array>({ what: 'blockHash', height })
    return { hash: () => hash }
  }
  async putBlock(): Promise<void> {}
  shallowCopy(): this {
    return this
  }
}

const nodes = new RemoteNodes()
const blockHashes = new RemoteBlockHashes()
/** While the thread warms up (simulationWarmUp.ts): the stand-in model it answers for itself. */
let warmUpModel: WarmUp['model'] | undefined
/** Hub metadata is content-addressed: a CID's answer never changes. */
const shapes = new LRUCache<string, { shape: ModelShape | undefined }>({ max: 1_000 })
const models: ModelCatalog = {
  async metadata(cid) {
    if (cid === warmUpModel?.cid) return warmUpModel.shape
    const hit = shapes.get(cid)
    if (hit) return hit.shape
    const shape = await ask<ModelShape | undefined>({ what: 'metadata', cid })
    if (shape) shapes.set(cid, { shape })
    return shape
  },
}
const modes: ModeRules = {
  refusal: async (cid, mode) => {
    if (cid === warmUpModel?.cid) return undefined
    const w = await ask<ReturnType<typeof toWireError> | undefined>({ what: 'modeRefusal', cid, mode })
    return w ? fromWireError(w) : undefined
  },
}

/** One VM with its own state manager: one simulation at a time runs on it. */
interface Slot {
  vm: VM
  state: RecordingStateManager
  reads: ExecutionReads
  /** The precompile's view of the tx running on this slot. */
  calls: TxInferenceCalls
  /** The head its state is at, and the block simulations on it run in. */
  height: bigint | undefined
  block: Block | undefined
}

/**
 * Simulations one thread runs at once. A simulation that waits for a model (its `compute`
 * query) holds its slot; the thread runs others meanwhile.
 */
const SLOTS = 16
const slots: Slot[] = []
const free: Slot[] = []
const waitingForSlot: ((slot: Slot) => void)[] = []

async function newSlot(head: SimulationHead): Promise<Slot> {
  const trie = await createMPT({ db: nodes, root: head.stateRoot, useKeyHashing: true, valueEncoding: ValueEncoding.Bytes, common })
  const state = new RecordingStateManager({ trie, common, caches: new Caches() })
  const slot = { state, height: undefined, block: undefined } as unknown as Slot
  slot.calls = txInferenceCalls(new Uint8Array(32), { kind: 'block', results: new Map(), modes })
  slot.vm = await createVM({
    common: common.copy(),
    stateManager: state,
    blockchain: blockHashes,
    evmOpts: { customPrecompiles: [inferencePrecompile(() => slot.calls)] },
  })
  slot.reads = new ExecutionReads(slot.vm, state)
  slots.push(slot)
  return slot
}

async function acquire(head: SimulationHead): Promise<Slot> {
  let slot = free.pop()
  if (!slot) slot = slots.length < SLOTS ? await newSlot(head) : await new Promise<Slot>((r) => waitingForSlot.push(r))
  if (slot.height !== head.height) {
    // A slot moves to a new head by its state root (its caches go with the old state). It
    // stays one checkpoint deep there: when the last checkpoint closes, ethereumjs writes every
    // entry its caches hold back into the trie — the values a simulation only read included —
    // so a simulation's own checkpoint, reverted, must not be the last one.
    if (slot.height !== undefined) {
      await slot.state.revert()
      await slot.state.setStateRoot(head.stateRoot)
    }
    await slot.state.checkpoint()
    slot.height = head.height
    slot.block = slot.reads.observe(simulationBlock(head))
  }
  return slot
}

function release(slot: Slot): void {
  const next = waitingForSlot.shift()
  if (next) next(slot)
  else free.push(slot)
}

/**
 * The block a simulation runs in: the next block with the parent's timestamp and no coinbase,
 * fixed and known to every validator, so the mempool's simulation and a validator's check of a
 * proposal see the same thing.
 */
function simulationBlock(head: SimulationHead): Block {
  return createBlock(
    { header: { parentHash: head.hash, number: head.height + 1n, timestamp: head.timestamp, gasLimit: head.gasLimit, baseFeePerGas: 0n } },
    { common, skipConsensusFormatValidation: true, freeze: false },
  )
}

/**
 * Blocks' result sets this thread was sent, by set number: the last RESULT_SETS_PER_THREAD, in
 * the order sent (TxSimulator keeps the same list per thread, so it knows what is here).
 */
const resultSets = new Map<number, Map<string, InferenceResult>>()

function resultsOf(task: SimulateTask): Map<string, InferenceResult> {
  const { set, results } = task.results
  if (results) {
    const map = new Map(results.map((r) => [r.keyHex, r]))
    if (set !== undefined) {
      resultSets.set(set, map)
      for (const old of resultSets.keys()) if (resultSets.size > RESULT_SETS_PER_THREAD) resultSets.delete(old)
    }
    return map
  }
  const known = set === undefined ? undefined : resultSets.get(set)
  if (!known) throw new Error(`result set ${set} was never sent to this thread`)
  return known
}

async function simulate(task: SimulateTask): Promise<WorkerMessage> {
  const results = resultsOf(task)
  const used: InferenceResult[] = []
  const lookup: ResultLookup = {
    get: (key) => {
      const r = results.get(key)
      if (r) used.push(r)
      return r
    },
  }
  // A run waits for VANILLA results (the executor's, milliseconds); a ZKML proof takes seconds
  // on the prover threads, so such a request gets the placeholder and is computed between runs.
  const compute = (request: InferenceRequest): Promise<InferenceResult> | undefined => {
    if (request.mode !== VerificationMode.VERIFICATION_MODE_VANILLA) return undefined
    return ask<InferenceResult>({ what: 'compute', task: task.id, request }).then((r) => {
      used.push(r)
      return r
    })
  }
  const answers: InferenceAnswers =
    task.kind === 'block'
      ? { kind: 'block', results: lookup, modes }
      : { kind: 'simulation', results: lookup, modes, models, compute: task.compute ? compute : undefined }
  const eth = ethTxFromSender(task.raw, txCommon, task.hash, new Address(task.sender))
  const slot = await acquire(task.head)
  try {
    slot.calls = txInferenceCalls(task.hash, answers)
    slot.reads.begin()
    await slot.state.checkpoint()
    try {
      await runTx(slot.vm, { tx: eth.tx, block: slot.block, skipNonce: true, skipBalance: true, skipHardForkValidation: true })
    } catch {
      // A tx the EVM refuses makes no requests; CheckTx and block execution judge it.
    } finally {
      await slot.state.revert()
    }
    const read = slot.reads.end()
    return {
      type: 'done',
      id: task.id,
      calls: slot.calls.calls,
      refused: slot.calls.refused.map(toWireError),
      used,
      reads: [...read.state],
      readsBlockContext: read.blockContext,
    }
  } finally {
    release(slot)
  }
}

/**
 * Runs the warm-up (simulationWarmUp.ts) before the first task — the same simulate() real tasks
 * run, on state of its own — and reports it. Its slots stay, at the warm-up head (WARM_UP_HEIGHT,
 * which no task names: a task moves a slot to its own head's root); the stand-in model is
 * forgotten. A failure stops only the warm-up.
 */
async function warmUp(): Promise<WarmedUp> {
  const started = performance.now()
  const report: WarmedUp = { type: 'warmedUp', runs: 0, placeholders: 0, answered: 0, ms: 0 }
  try {
    const w = await prepareWarmUp(nodes, common, txCommon)
    warmUpModel = w.model
    for (let i = 0; i < w.tasks.length; i += WARM_UP_CONCURRENCY) {
      const batch = w.tasks.slice(i, i + WARM_UP_CONCURRENCY).map((t, j) => simulate({ ...t, id: -1 - i - j }))
      for (const done of await Promise.all(batch)) {
        if (done.type !== 'done') continue
        report.runs++
        for (const c of done.calls) {
          if (c.outcome === 'placeholder') report.placeholders++
          if (c.outcome === 'answered') report.answered++
        }
      }
    }
  } catch (err) {
    report.error = (err as Error).message
  } finally {
    warmUpModel = undefined
  }
  report.ms = performance.now() - started
  return report
}

/** Settles when the warm-up has ended: tasks that arrive before wait for it, in arrival order. */
let warming: Promise<void> | undefined = warmUp().then((report) => {
  port.postMessage(report satisfies WorkerMessage)
  warming = undefined
})

function run(task: SimulateTask): void {
  simulate(task).then(
    (reply) => port!.postMessage(reply),
    (err) => port!.postMessage({ type: 'failed', id: task.id, error: toWireError(err) } satisfies WorkerMessage),
  )
}

// Simulations run concurrently, each on its own slot (SLOTS at most). Replies to queries are
// taken at once (the warm-up asks too).
port.on('message', (m: MainMessage) => {
  if (m.type === 'reply') {
    const waiting = asked.get(m.id)
    asked.delete(m.id)
    if (m.error) waiting?.reject(fromWireError(m.error))
    else waiting?.resolve(m.value)
    return
  }
  if (warming) warming.then(() => run(m))
  else run(m)
})
