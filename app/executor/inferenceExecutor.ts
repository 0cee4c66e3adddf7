import os from 'node:os'
import type { AppError } from '../errors.ts'
import { silentLogger, type Logger } from '../log.ts'
import { BatchQueue, type Batch, type QueueItem } from './batchQueue.ts'
import {
  ErrExecutorClosed,
  ErrInferenceFailed,
  ErrInferenceInput,
  ErrInferenceTimeout,
  ErrModelSource,
  ErrQueueFull,
  ErrSessionCreate,
  ErrUnknownModel,
  ErrWorkerCrashed,
  executorError,
} from './errors.ts'
import type { RunMessage, WireError, WorkerMessage } from './executorWire.ts'
import type { InferenceRequest, InferenceResult } from './modelRun.ts'
import { RecentCache } from './recentCache.ts'
import type { ModelSource } from './modelSource.ts'
import { requestIdentity, type RequestIdentity } from './requestIdentity.ts'
import { materialize, storeAlone, storeBatch, type StoredResult } from './storedResult.ts'
import { concatRows, splittable } from './tensorBatch.ts'
import { tensorProblem, type TensorData } from './tensorData.ts'
import { WorkerSlot } from './workerSlot.ts'

export interface ExecutorOptions {
  /** Worker threads, each running one inference at a time on one core; default os.availableParallelism(). */
  workers?: number
  /** Most rows stacked into one session run; default 256 (bench/executor: 64 gives 2.5–4×, 256 gives 4.4–5.8× single-request throughput on small models). */
  maxBatch?: number
  /** How long a request may wait for others to batch with, in ms; default 2. A full batch goes at once. */
  maxWaitMs?: number
  /** Requests of one model waiting for a worker before `run` refuses more; default 1024. */
  maxQueuePerModel?: number
  /** Requests of all models waiting for a worker before `run` refuses more; default 8192. */
  maxQueued?: number
  /** onnxruntime sessions each worker keeps open (least recently used closed first); default 32. */
  sessionsPerWorker?: number
  /**
   * Scheduling niceness of the worker threads (Linux; 0–19, higher yields more); default 10, so
   * consensus work on the main thread preempts pre-execution when cores are scarce.
   */
  workerNiceness?: number
  /** Recent results kept so a re-simulated tx does not run its model again: up to 1024 by default (at least half that many recent ones, at most 64 MiB). 0 turns the cache off. */
  resultCacheSize?: number
  log?: Logger
  /** The worker module (default inferenceWorker.ts); tests substitute one that crashes on cue. */
  workerEntry?: URL
}

export interface ExecutorStats {
  /** Requests waiting for a worker (including those whose model is being looked up). */
  queued: number
  /** Requests sent to a worker and not answered yet. */
  running: number
  /** `run` calls that resolved, including those served by deduplication. */
  completed: number
  /** `run` calls that rejected (model errors, full queue, timeouts, crashes). */
  failed: number
  /** `run` calls answered by an identical request already running or recently computed. */
  deduplicated: number
  /** onnxruntime session runs (a batch is one run; each retry of a failed batch's requests is one more). */
  batches: number
  /** Requests waiting per model, for models that have any. */
  perModel: Record<string, { queued: number }>
}

/** One caller of `run` waiting for a job. */
interface Waiter {
  resolve: (r: InferenceResult) => void
  reject: (e: AppError) => void
  /** Set once the caller has its answer (or its timeout): later outcomes are dropped. */
  done: boolean
  timer: NodeJS.Timeout | undefined
}

/** One distinct computation: every identical `run` call waits on the same job. */
interface Job extends QueueItem {
  key: string
  model: ModelState
  inputs: Record<string, TensorData>
  state: 'queued' | 'running' | 'settled'
  /** The caller that caused the job; `others` are identical calls that joined it (rare: no array for the usual case). */
  waiter: Waiter | undefined
  others: Waiter[] | undefined
}

interface ModelInfo {
  path: string
  batchable: boolean
}

/** What the executor knows about one model (one map lookup per request finds all of it). */
interface ModelState {
  cid: string
  /** The lookup of path and batchability; a failed one is dropped, so the next request retries. */
  lookup: Promise<ModelInfo> | undefined
  /** Its result, once there: requests then join the queue without waiting a tick. */
  info: ModelInfo | undefined
  /** Requests waiting for a worker, including those waiting for the lookup. */
  queued: number
  /** Mean µs of a session run (moving average), to know which work is fast; undefined until one ran. */
  runMicros: number | undefined
  /** Mean µs per row of its session runs (moving average); undefined until one ran. */
  rowMicros: number | undefined
}

/**
 * Rows of a model costing more than this each run one per session run, even if the model could
 * batch: stacking saves the per-run overhead (tens of µs), negligible next to such a row, while
 * one batch keeps every row on one worker and leaves the others idle.
 */
const SOLO_ROW_MICROS = 2000

const RESULT_CACHE_BYTES = 64 * 1024 * 1024
/** Models remembered; beyond, the oldest one without waiting requests is forgotten. */
const MODEL_STATES = 4096
/**
 * When no worker is idle, the worker expected to finish first is sent the next batch in advance
 * (so it does not sit idle for a round trip through the main thread) if what it runs ends within
 * this many µs, or if it runs one batch of the same model (back to back, as a dedicated thread
 * would). Never behind a model not yet timed, and never another model behind a slow one: a slow
 * model must not hold up others.
 */
const PIPELINE_MICROS = 1000
/** Most batches sent to one worker and not yet answered. */
const MAX_IN_FLIGHT = 4

/** A batch sent to a worker, and when (performance.now()), to estimate when the worker is free. */
interface Sent {
  batch: Batch<Job>
  model: ModelState
  at: number
}

/**
 * Runs ONNX inferences for the inference mempool on a pool of worker threads, one per core, each
 * running onnxruntime-node single-threaded — so a slow model holds one core and fast models keep
 * flowing on the others.
 *
 * - Identical requests (same model, byte-identical inputs) are computed once: concurrent ones
 *   share the pending result, and recent results are kept in an LRU.
 * - Requests to a batchable model with the same input signature are stacked along dim 0 (up to
 *   `maxBatch` rows, waiting up to `maxWaitMs` for company) and run in one session run; a batch
 *   that fails is retried request by request, so one bad request fails alone.
 * - A batch goes to an idle worker, preferring one that has the model's session open. Requests
 *   wait here until a worker is free — where they keep batching — except that the busy worker
 *   expected to be free first gets its next batch in advance when it is finishing fast work
 *   (< 1 ms, as measured) or one batch of the same model (see PIPELINE_MICROS).
 * - Over `maxQueuePerModel` / `maxQueued` waiting requests, `run` refuses at once (ErrQueueFull).
 *
 * Callers must not change a request's input arrays until its `run` settles.
 * @example
 * const executor = new InferenceExecutor(modelHub)
 * const { outputs } = await executor.run({ modelCid, inputs: { x: { type: 'float32', dims: [1, 4], data } } }, { timeoutMs: 5000 })
 */
export class InferenceExecutor {
  private readonly slots: WorkerSlot<Sent>[]
  private readonly queue: BatchQueue<Job>
  private readonly pending = new Map<string, Job>()
  private readonly results: RecentCache<string, StoredResult>
  private readonly models = new Map<string, ModelState>()
  private readonly maxQueuePerModel: number
  private readonly maxQueued: number
  private readonly log: Logger
  private queued = 0
  private running = 0
  private completed = 0
  private failed = 0
  private deduplicated = 0
  private batches = 0
  private nextId = 0
  private closed = false
  private pumping = false
  /** Whether the workers are ref'd (the executor has requests waiting or running). */
  private keepingAlive = false

  constructor(
    private readonly source: ModelSource,
    opts: ExecutorOptions = {},
  ) {
    const integer = (name: string, v: number, min: number): number => {
      if (!Number.isInteger(v) || v < min) throw new RangeError(`ExecutorOptions.${name} must be an integer ≥ ${min}, got ${v}`)
      return v
    }
    const workers = integer('workers', opts.workers ?? os.availableParallelism(), 1)
    const maxBatch = integer('maxBatch', opts.maxBatch ?? 256, 1)
    const maxWaitMs = opts.maxWaitMs ?? 2
    if (!(maxWaitMs >= 0)) throw new RangeError(`ExecutorOptions.maxWaitMs must be ≥ 0, got ${maxWaitMs}`)
    this.maxQueuePerModel = integer('maxQueuePerModel', opts.maxQueuePerModel ?? 1024, 1)
    this.maxQueued = integer('maxQueued', opts.maxQueued ?? 8192, 1)
    const sessionsPerWorker = integer('sessionsPerWorker', opts.sessionsPerWorker ?? 32, 1)
    const niceness = integer('workerNiceness', opts.workerNiceness ?? 10, 0)
    this.log = (opts.log ?? silentLogger).child('inference-executor')
    this.results = new RecentCache({
      maxEntries: integer('resultCacheSize', opts.resultCacheSize ?? 1024, 0),
      maxWeight: RESULT_CACHE_BYTES,
      weight: (r) => r.bytes,
    })
    this.queue = new BatchQueue<Job>({ maxBatch, maxWaitMs, onReady: () => this.pump() })
    const events = {
      ready: () => this.pump(),
      answer: (_slot: WorkerSlot<Sent>, sent: Sent, msg: Exclude<WorkerMessage, { kind: 'ready' }>) => this.answered(sent, msg),
      crashed: (slot: WorkerSlot<Sent>, lost: Sent[], reason: string) => this.crashed(slot, lost, reason),
      startFailed: (slot: WorkerSlot<Sent>, reason: string) => this.startFailed(slot, reason),
    }
    this.slots = Array.from({ length: workers }, (_, i) => new WorkerSlot<Sent>(i, { sessionsPerWorker, niceness }, events, opts.workerEntry))
  }

  /**
   * Runs one inference. Rejects with an AppError of the `inference` codespace: ErrUnknownModel,
   * ErrQueueFull (at once, when too many requests wait), ErrInferenceTimeout (after `timeoutMs`;
   * the work itself goes on and its result is still cached), ErrSessionCreate, ErrInferenceFailed,
   * ErrInferenceInput, ErrWorkerCrashed, ErrExecutorClosed.
   */
  run(req: InferenceRequest, opts?: { timeoutMs?: number }): Promise<InferenceResult> {
    if (this.closed) return this.refuse(executorError(ErrExecutorClosed, 'inference executor is closed'))
    const timeoutMs = opts?.timeoutMs
    if (timeoutMs !== undefined && !(timeoutMs > 0)) return this.refuse(executorError(ErrInferenceInput, `timeoutMs must be > 0, got ${timeoutMs}`))
    const problem = requestProblem(req)
    if (problem) return this.refuse(executorError(ErrInferenceInput, problem))
    const id = requestIdentity(req)
    const key = id.key
    const cached = this.results.get(key)
    if (cached) {
      this.deduplicated++
      this.completed++
      return Promise.resolve(materialize(cached))
    }
    let job = this.pending.get(key)
    if (job) {
      this.deduplicated++
    } else {
      const model = this.model(req.modelCid)
      if (model.queued >= this.maxQueuePerModel) {
        return this.refuse(executorError(ErrQueueFull, `inference queue for model ${model.cid} is full (${model.queued} waiting); try again later`))
      }
      if (this.queued >= this.maxQueued) {
        return this.refuse(executorError(ErrQueueFull, `inference queue is full (${this.queued} waiting for all models); try again later`))
      }
      job = this.enqueue(id, req, model)
    }
    return this.wait(job, timeoutMs)
  }

  stats(): ExecutorStats {
    const perModel: Record<string, { queued: number }> = {}
    for (const m of this.models.values()) if (m.queued > 0) perModel[m.cid] = { queued: m.queued }
    return {
      queued: this.queued,
      running: this.running,
      completed: this.completed,
      failed: this.failed,
      deduplicated: this.deduplicated,
      batches: this.batches,
      perModel,
    }
  }

  /**
   * Fails everything waiting or running with ErrExecutorClosed and stops the workers. Resolves
   * when every worker thread has exited; a worker in the middle of a session run exits when the
   * run ends (a thread cannot be stopped safely inside onnxruntime).
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const job of this.pending.values()) this.settle(job, executorError(ErrExecutorClosed, 'inference executor is closed'))
    this.queue.drain()
    for (const m of this.models.values()) m.queued = 0
    this.queued = 0
    this.running = 0
    await Promise.all(this.slots.map((s) => s.close()))
  }

  private enqueue(id: RequestIdentity, req: InferenceRequest, model: ModelState): Job {
    const job: Job = {
      key: id.key,
      model,
      cid: model.cid,
      inputs: req.inputs,
      rows: id.rows,
      signature: id.signature,
      enqueuedAt: 0,
      state: 'queued',
      waiter: undefined,
      others: undefined,
    }
    this.pending.set(id.key, job)
    model.queued++
    this.queued++
    this.busyChanged()
    if (model.info) {
      this.addToQueue(job, model, model.info)
    } else {
      this.lookUp(model).then(
        (info) => this.addToQueue(job, model, info),
        (err: AppError) => {
          if (job.state !== 'queued') return // closed meanwhile
          this.dequeued(job)
          this.settle(job, err)
        },
      )
    }
    return job
  }

  private addToQueue(job: Job, model: ModelState, info: ModelInfo): void {
    if (job.state !== 'queued') return // closed meanwhile
    job.enqueuedAt = performance.now()
    const slowRows = (model.rowMicros ?? 0) > SOLO_ROW_MICROS
    this.queue.add(job, slowRows ? { path: info.path, batchable: false } : info)
  }

  /** The caller's view of a job: its own copy of the result, its own timeout. */
  private wait(job: Job, timeoutMs: number | undefined): Promise<InferenceResult> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, done: false, timer: undefined }
      if (timeoutMs !== undefined) {
        waiter.timer = setTimeout(() => {
          waiter.done = true
          this.failed++
          reject(executorError(ErrInferenceTimeout, `inference on model ${job.cid} timed out after ${timeoutMs} ms`))
        }, timeoutMs)
        // The timer alone must not keep the process alive; a running worker does.
        waiter.timer.unref()
      }
      if (!job.waiter) job.waiter = waiter
      else (job.others ??= []).push(waiter)
    })
  }

  private refuse(err: AppError): Promise<never> {
    this.failed++
    return Promise.reject(err)
  }

  /** The state of a model, created on its first request. */
  private model(cid: string): ModelState {
    let m = this.models.get(cid)
    if (!m) {
      m = { cid, lookup: undefined, info: undefined, queued: 0, runMicros: undefined, rowMicros: undefined }
      this.models.set(cid, m)
      if (this.models.size > MODEL_STATES) {
        // Forget the oldest idle model (its lookup and timing are cheap to redo).
        for (const old of this.models.values()) {
          if (old.queued === 0 && old !== m) {
            this.models.delete(old.cid)
            break
          }
        }
      }
    }
    return m
  }

  /** Path and batchability of a model, looked up once and remembered (a failed lookup is not). */
  private lookUp(model: ModelState): Promise<ModelInfo> {
    if (model.lookup) return model.lookup
    const cid = model.cid
    const lookup = (async (): Promise<ModelInfo> => {
      let path: string | undefined
      let batchable = false
      try {
        path = await this.source.path(cid)
        if (path !== undefined) batchable = await this.source.batchable(cid)
      } catch (err) {
        throw executorError(ErrModelSource, `cannot look up model ${cid}: ${err instanceof Error ? err.message : String(err)}`, err)
      }
      if (path === undefined) throw executorError(ErrUnknownModel, `unknown model ${cid}`)
      return { path, batchable }
    })()
    model.lookup = lookup
    lookup.then(
      (info) => {
        if (model.lookup === lookup) model.info = info
      },
      () => {
        if (model.lookup === lookup) model.lookup = undefined
      },
    )
    return lookup
  }

  /** Sends ready batches to workers until one or the other runs out. */
  private pump(): void {
    if (this.pumping || this.closed) return
    this.pumping = true
    try {
      for (;;) {
        const cid = this.queue.nextModel()
        if (cid === undefined) return
        const slot = this.chooseWorker(cid)
        if (!slot) return
        this.dispatch(this.queue.take()!, slot)
      }
    } finally {
      this.pumping = false
    }
  }

  /**
   * Where the next batch (of model `cid`) goes, or undefined when it should wait here: the
   * least-loaded idle worker — preferring one with the model's session open, so each worker does
   * not load every model — else the busy worker expected to be free first, under the
   * conditions of PIPELINE_MICROS.
   */
  private chooseWorker(cid: string): WorkerSlot<Sent> | undefined {
    let idle: WorkerSlot<Sent> | undefined
    let idleScore = Infinity
    let first: WorkerSlot<Sent> | undefined
    let firstFree = Infinity
    const now = performance.now()
    for (const s of this.slots) {
      if (!s.isReady) continue
      if (s.inFlight.size === 0) {
        const score = s.warm.has(cid) ? 0 : s.warm.size === 0 ? 1 : 2
        if (score < idleScore) {
          idle = s
          idleScore = score
        }
        continue
      }
      const free = this.freeAt(s, now)
      if (free < firstFree) {
        first = s
        firstFree = free
      }
    }
    if (idle) return idle
    if (!first || first.inFlight.size >= MAX_IN_FLIGHT) return undefined
    if ((firstFree - now) * 1000 <= PIPELINE_MICROS) return first
    if (first.inFlight.size === 1 && first.inFlight.values().next().value!.batch.cid === cid) return first
    return undefined
  }

  /** When a busy worker should be done with what it was sent (performance.now() scale); Infinity if any of it is of a model not timed yet. */
  private freeAt(slot: WorkerSlot<Sent>, now: number): number {
    let at = 0
    for (const sent of slot.inFlight.values()) {
      const micros = sent.model.runMicros
      if (micros === undefined) return Infinity
      at = Math.max(at, sent.at, now) + micros / 1000
    }
    return at
  }

  private dispatch(batch: Batch<Job>, slot: WorkerSlot<Sent>): void {
    // Counted as running before leaving the queue, so the pool never looks idle in between.
    this.running += batch.jobs.length
    for (const job of batch.jobs) {
      this.dequeued(job)
      job.state = 'running'
    }
    const rows = new Uint32Array(batch.jobs.length)
    for (let i = 0; i < rows.length; i++) rows[i] = batch.jobs[i].rows ?? 1
    let inputs: Record<string, TensorData>
    const transfer: ArrayBuffer[] = []
    if (batch.jobs.length === 1) {
      inputs = batch.jobs[0].inputs // copied by postMessage: the caller keeps its arrays
    } else {
      inputs = concatRows(batch.jobs.map((j) => j.inputs))
      for (const name in inputs) {
        const data = inputs[name].data
        if (!Array.isArray(data)) transfer.push(data.buffer as ArrayBuffer)
      }
    }
    const msg: RunMessage = { kind: 'run', id: this.nextId++, cid: batch.cid, path: batch.path, rows, inputs }
    slot.send({ batch, model: batch.jobs[0].model, at: performance.now() }, msg, transfer)
  }

  private answered({ batch, model }: Sent, msg: Exclude<WorkerMessage, { kind: 'ready' }>): void {
    this.running -= batch.jobs.length
    this.batches += msg.runs
    const n = batch.jobs.length
    if (msg.kind === 'batch') {
      this.timed(model, msg.micros, batch.jobs.reduce((r, j) => r + (j.rows ?? 1), 0))
      const rows = batch.jobs.map((j) => j.rows ?? 1)
      if (splittable(msg.outputs, rows.reduce((a, b) => a + b, 0))) {
        const stored = storeBatch(msg.outputs, rows, msg.micros)
        for (let i = 0; i < n; i++) this.settle(batch.jobs[i], stored[i])
      } else {
        // The worker checks this before answering `batch`; a mismatch here is a bug.
        for (const job of batch.jobs) this.settle(job, this.wireError(batch, { kind: 'run', message: 'batch outputs do not split along dim 0' }))
      }
    } else if (msg.kind === 'each') {
      for (let i = 0; i < n; i++) {
        const r = msg.results[i]
        if (r.ok) this.timed(model, r.micros, batch.jobs[i].rows ?? 1)
        this.settle(batch.jobs[i], r.ok ? storeAlone(r.outputs, r.micros) : this.wireError(batch, r.error))
      }
    } else {
      if (msg.error.kind === 'load') {
        // The file may be fixed or replaced: look the model up again next time.
        model.lookup = undefined
        model.info = undefined
        for (const s of this.slots) s.warm.delete(batch.cid)
      }
      for (const job of batch.jobs) this.settle(job, this.wireError(batch, msg.error))
    }
    this.busyChanged()
    this.pump()
  }

  private timed(model: ModelState, micros: number, rows: number): void {
    model.runMicros = model.runMicros === undefined ? micros : model.runMicros * 0.8 + micros * 0.2
    const perRow = micros / Math.max(1, rows)
    model.rowMicros = model.rowMicros === undefined ? perRow : model.rowMicros * 0.8 + perRow * 0.2
  }

  private crashed(slot: WorkerSlot<Sent>, lost: Sent[], reason: string): void {
    this.log.error(`inference worker ${slot.index} died (${reason})${lost.length ? ` while running model ${lost[0].batch.cid}` : ''}; starting a new one`)
    for (const { batch } of lost) {
      this.running -= batch.jobs.length
      const message = `inference worker ${slot.index} crashed (${reason}) while running model ${batch.cid}; the request was not completed, send it again`
      for (const job of batch.jobs) this.settle(job, executorError(ErrWorkerCrashed, message))
    }
    this.busyChanged()
    this.pump()
  }

  private startFailed(slot: WorkerSlot<Sent>, reason: string): void {
    this.log.error(`inference worker ${slot.index} failed to start (${reason}); retrying`)
    if (this.slots.some((s) => s.isReady)) return
    // No worker can take the queue: fail it rather than let callers wait for ever.
    const message = `no inference worker could start (${reason}); the request was not run`
    for (const job of this.queue.drain()) {
      this.dequeued(job)
      this.settle(job, executorError(ErrWorkerCrashed, message))
    }
  }

  private wireError(batch: Batch<Job>, e: WireError): AppError {
    if (e.kind === 'load') {
      return executorError(ErrSessionCreate, `cannot create an onnxruntime session for model ${batch.cid} from ${batch.path}: ${e.message}`)
    }
    if (e.kind === 'input') return executorError(ErrInferenceInput, `model ${batch.cid}: ${e.message}`)
    return executorError(ErrInferenceFailed, `model ${batch.cid} failed: ${e.message}`)
  }

  private dequeued(job: Job): void {
    this.queued--
    job.model.queued--
    this.busyChanged()
  }

  /** Workers keep the process alive exactly while requests wait or run. */
  private busyChanged(): void {
    const busy = this.queued + this.running > 0 && !this.closed
    if (busy === this.keepingAlive) return
    this.keepingAlive = busy
    for (const s of this.slots) s.keepAlive(busy)
  }

  /** Hands a job's outcome to every caller still waiting for it; a result also goes into the cache. */
  private settle(job: Job, outcome: StoredResult | AppError): void {
    if (job.state === 'settled') return
    job.state = 'settled'
    this.pending.delete(job.key)
    if (!(outcome instanceof Error)) this.results.set(job.key, outcome)
    if (job.waiter) this.deliver(job.waiter, outcome)
    if (job.others) for (const w of job.others) this.deliver(w, outcome)
  }

  private deliver(w: Waiter, outcome: StoredResult | AppError): void {
    if (w.done) return
    w.done = true
    if (w.timer) clearTimeout(w.timer)
    if (outcome instanceof Error) {
      this.failed++
      w.reject(outcome)
    } else {
      this.completed++
      // Every caller gets its own copy: the original stays in the cache, maybe shared with its batch.
      w.resolve(materialize(outcome))
    }
  }
}

/** What is wrong with a request before any model sees it, or undefined. */
function requestProblem(req: InferenceRequest): string | undefined {
  if (req === null || typeof req !== 'object') return 'an inference request must be { modelCid, inputs }'
  if (typeof req.modelCid !== 'string' || req.modelCid.length === 0) return 'an inference request needs a modelCid'
  if (req.inputs === null || typeof req.inputs !== 'object') return `model ${req.modelCid}: inputs must be an object of named tensors`
  for (const name in req.inputs) {
    const p = tensorProblem(req.inputs[name])
    if (p) return `model ${req.modelCid}: input "${name}" ${p}`
  }
  return undefined
}
