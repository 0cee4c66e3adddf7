import os from 'node:os'
import type { AppError } from '../errors.ts'
import { type Logger, silentLogger } from '../log.ts'
import { type Batch, BatchQueue, type QueueItem } from './batchQueue.ts'
import { batchShape } from './batchSignature.ts'
import {
  ErrExecutorClosed,
  ErrQueueFull,
  ErrRunFailed,
  ErrRunInput,
  ErrRunTimeout,
  ErrSessionCreate,
  ErrWorkerCrashed,
  executorError,
} from './errors.ts'
import type { ExecutorOptions, ExecutorStats } from './executorOptions.ts'
import type { RunMessage, WireError, WorkerMessage } from './executorWire.ts'
import { type ModelRun, type ModelRunOutput, runProblem } from './modelRun.ts'
import type { ModelSource } from './modelSource.ts'
import { type ModelInfo, type ModelState, ModelStates } from './modelStates.ts'
import { concatRows, sliceRows, splittable } from './tensorBatch.ts'
import type { TensorData } from './tensorData.ts'
import { chooseWorker } from './workerChoice.ts'
import { WorkerSlot } from './workerSlot.ts'

/** One `run` call, from the queue to its answer. */
interface Job extends QueueItem {
  model: ModelState
  inputs: Record<string, TensorData>
  state: 'queued' | 'running' | 'settled'
  resolve: (r: ModelRunOutput) => void
  reject: (e: AppError) => void
  /** Set once the caller has its answer or its timeout: a later outcome is dropped. */
  done: boolean
  timer: NodeJS.Timeout | undefined
}

/** A batch sent to a worker, and when (performance.now()), to estimate when the worker is free. */
interface Sent {
  batch: Batch<Job>
  model: ModelState
  at: number
}

/**
 * Runs ONNX models on a pool of worker threads, one per core, each running onnxruntime-node
 * single-threaded — so a slow model holds one core and fast models keep flowing on the others.
 * It knows nothing of the chain: no requests, results or caches, only model runs.
 *
 * - Runs of a batchable model with the same input signature are stacked along dim 0 (up to
 *   `maxBatch` rows, waiting up to `maxWaitMs` for company) and go in one session run; a batch
 *   that fails is retried run by run, so one bad input fails alone.
 * - A batch goes to an idle worker, preferring one that has the model's session open. Runs wait
 *   here until a worker is free — where they keep batching — except that the busy worker
 *   expected to be free first gets its next batch in advance (workerChoice.ts).
 * - Over `maxQueuePerModel` / `maxQueued` waiting runs, `run` refuses at once (ErrQueueFull).
 *
 * Callers must not change a run's input arrays until its `run` settles.
 * @example
 * const executor = new InferenceExecutor(modelHub)
 * const { outputs } = await executor.run({ modelCid, inputs: { x: { type: 'float32', dims: [1, 4], data } } }, { timeoutMs: 5000 })
 */
export class InferenceExecutor {
  private readonly slots: WorkerSlot<Sent>[]
  private readonly queue: BatchQueue<Job>
  private readonly models: ModelStates
  /** Runs waiting for their model's lookup (not in the queue yet). */
  private readonly lookingUp = new Set<Job>()
  private readonly maxQueuePerModel: number
  private readonly maxQueued: number
  private readonly soloRowMicros: number
  private readonly log: Logger
  private queued = 0
  private running = 0
  private completed = 0
  private failed = 0
  private batches = 0
  private nextId = 0
  private closed = false
  private pumping = false
  /** Whether the workers are ref'd (the executor has runs waiting or running). */
  private keepingAlive = false

  constructor(source: ModelSource, opts: ExecutorOptions = {}) {
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
    this.soloRowMicros = integer('soloRowMicros', opts.soloRowMicros ?? 2000, 0)
    const sessionsPerWorker = integer('sessionsPerWorker', opts.sessionsPerWorker ?? 32, 1)
    const niceness = integer('workerNiceness', opts.workerNiceness ?? 10, 0)
    this.log = (opts.log ?? silentLogger).child('inference-executor')
    this.models = new ModelStates(source)
    this.queue = new BatchQueue<Job>({ maxBatch, maxWaitMs, onReady: () => this.pump() })
    const events = {
      ready: () => this.pump(),
      answer: (_slot: WorkerSlot<Sent>, sent: Sent, msg: Exclude<WorkerMessage, { kind: 'ready' }>) => this.answered(sent, msg),
      crashed: (slot: WorkerSlot<Sent>, lost: Sent[], reason: string) => this.crashed(slot, lost, reason),
      startFailed: (slot: WorkerSlot<Sent>, reason: string) => this.startFailed(slot, reason),
    }
    this.slots = Array.from(
      { length: workers },
      (_, i) => new WorkerSlot<Sent>(i, { sessionsPerWorker, niceness }, events, opts.workerEntry),
    )
  }

  /**
   * Runs a model once. Rejects with an AppError of the `executor` codespace: ErrModelMissing,
   * ErrQueueFull (at once, when too many runs wait), ErrRunTimeout (after `timeoutMs`; the work
   * itself goes on), ErrSessionCreate, ErrRunFailed, ErrRunInput, ErrWorkerCrashed,
   * ErrExecutorClosed.
   */
  run(run: ModelRun, opts?: { timeoutMs?: number }): Promise<ModelRunOutput> {
    if (this.closed) return this.refuse(executorError(ErrExecutorClosed, 'inference executor is closed'))
    const timeoutMs = opts?.timeoutMs
    if (timeoutMs !== undefined && !(timeoutMs > 0))
      return this.refuse(executorError(ErrRunInput, `timeoutMs must be > 0, got ${timeoutMs}`))
    const problem = runProblem(run)
    if (problem) return this.refuse(executorError(ErrRunInput, problem))
    const model = this.models.get(run.modelCid)
    if (model.queued >= this.maxQueuePerModel) {
      return this.refuse(
        executorError(ErrQueueFull, `inference queue for model ${model.cid} is full (${model.queued} waiting); try again later`),
      )
    }
    if (this.queued >= this.maxQueued) {
      return this.refuse(executorError(ErrQueueFull, `inference queue is full (${this.queued} waiting for all models); try again later`))
    }
    return new Promise((resolve, reject) => {
      const { signature, rows } = batchShape(run)
      const job: Job = {
        model,
        cid: model.cid,
        inputs: run.inputs,
        rows,
        signature,
        enqueuedAt: 0,
        state: 'queued',
        resolve,
        reject,
        done: false,
        timer: undefined,
      }
      if (timeoutMs !== undefined) {
        job.timer = setTimeout(() => {
          job.done = true
          this.failed++
          reject(executorError(ErrRunTimeout, `inference on model ${job.cid} timed out after ${timeoutMs} ms`))
        }, timeoutMs)
        // The timer alone must not keep the process alive; a running worker does.
        job.timer.unref()
      }
      this.enqueue(job)
    })
  }

  stats(): ExecutorStats {
    const perModel: Record<string, { queued: number }> = {}
    for (const m of this.models.all()) if (m.queued > 0) perModel[m.cid] = { queued: m.queued }
    return { queued: this.queued, running: this.running, completed: this.completed, failed: this.failed, batches: this.batches, perModel }
  }

  /**
   * Fails everything waiting or running with ErrExecutorClosed and stops the workers. Resolves
   * when every worker thread has exited; a worker in the middle of a session run exits when the
   * run ends (a thread cannot be stopped safely inside onnxruntime).
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const closedError = executorError(ErrExecutorClosed, 'inference executor is closed')
    for (const job of this.queue.drain()) this.settle(job, closedError)
    for (const s of this.slots) for (const sent of s.inFlight.values()) for (const job of sent.batch.jobs) this.settle(job, closedError)
    for (const job of this.lookingUp) this.settle(job, closedError)
    for (const m of this.models.all()) m.queued = 0
    this.queued = 0
    this.running = 0
    await Promise.all(this.slots.map((s) => s.close()))
  }

  private enqueue(job: Job): void {
    const model = job.model
    model.queued++
    this.queued++
    this.busyChanged()
    if (model.info) {
      this.addToQueue(job, model.info)
      return
    }
    this.lookingUp.add(job)
    this.models.lookUp(model).then(
      (info) => {
        this.lookingUp.delete(job)
        this.addToQueue(job, info)
      },
      (err: AppError) => {
        this.lookingUp.delete(job)
        if (job.state !== 'queued') return // closed meanwhile
        this.dequeued(job)
        this.settle(job, err)
      },
    )
  }

  private addToQueue(job: Job, info: ModelInfo): void {
    if (job.state !== 'queued') return // closed meanwhile
    job.enqueuedAt = performance.now()
    const slowRows = (job.model.rowMicros ?? 0) > this.soloRowMicros
    this.queue.add(job, slowRows ? { path: info.path, batchable: false } : info)
  }

  private refuse(err: AppError): Promise<never> {
    this.failed++
    return Promise.reject(err)
  }

  /** Sends ready batches to workers until one or the other runs out. */
  private pump(): void {
    if (this.pumping || this.closed) return
    this.pumping = true
    try {
      for (;;) {
        const cid = this.queue.nextModel()
        if (cid === undefined) return
        const slot = chooseWorker(this.slots, cid, performance.now())
        if (!slot) return
        this.dispatch(this.queue.take() as Batch<Job>, slot)
      }
    } finally {
      this.pumping = false
    }
  }

  private dispatch(batch: Batch<Job>, slot: WorkerSlot<Sent>): void {
    // Counted as running before leaving the queue, so the pool never looks idle in between.
    this.running += batch.jobs.length
    for (const job of batch.jobs) {
      this.dequeued(job)
      job.state = 'running'
    }
    const rows = new Uint32Array(batch.jobs.length)
    for (let i = 0; i < rows.length; i++) rows[i] = rowsOf(batch.jobs[i] as Job)
    let inputs: Record<string, TensorData>
    const transfer: ArrayBuffer[] = []
    if (batch.jobs.length === 1) {
      inputs = (batch.jobs[0] as Job).inputs // copied by postMessage: the caller keeps its arrays
    } else {
      inputs = concatRows(batch.jobs.map((j) => j.inputs))
      for (const name in inputs) {
        const data = (inputs[name] as TensorData).data
        if (!Array.isArray(data)) transfer.push(data.buffer as ArrayBuffer)
      }
    }
    const msg: RunMessage = { kind: 'run', id: this.nextId++, cid: batch.cid, path: batch.path, rows, inputs }
    slot.send({ batch, model: (batch.jobs[0] as Job).model, at: performance.now() }, msg, transfer)
  }

  private answered({ batch, model }: Sent, msg: Exclude<WorkerMessage, { kind: 'ready' }>): void {
    this.running -= batch.jobs.length
    this.batches += msg.runs
    const jobs = batch.jobs
    if (msg.kind === 'batch') {
      const rows = jobs.map(rowsOf)
      const total = rows.reduce((a, b) => a + b, 0)
      this.timed(model, msg.micros, total)
      if (splittable(msg.outputs, total)) {
        // Each run gets its rows as views of the batch's outputs: disjoint, so callers cannot see each other's.
        let start = 0
        jobs.forEach((job, i) => {
          const own: Record<string, TensorData> = {}
          for (const name in msg.outputs) own[name] = sliceRows(msg.outputs[name] as TensorData, start, rows[i] as number, false)
          start += rows[i] as number
          this.settle(job, { outputs: own, micros: msg.micros, batchSize: jobs.length })
        })
      } else {
        // The worker checks this before answering `batch`; a mismatch here is a bug.
        for (const job of jobs) this.settle(job, this.wireError(batch, { kind: 'run', message: 'batch outputs do not split along dim 0' }))
      }
    } else if (msg.kind === 'each') {
      jobs.forEach((job, i) => {
        const r = msg.results[i]
        if (r?.ok) {
          this.timed(model, r.micros, rowsOf(job))
          this.settle(job, { outputs: r.outputs, micros: r.micros, batchSize: 1 })
        } else this.settle(job, this.wireError(batch, r ? r.error : { kind: 'run', message: 'no answer for this run' }))
      })
    } else {
      if (msg.error.kind === 'load') {
        // The file may be fixed or replaced: look the model up again next time.
        model.lookup = undefined
        model.info = undefined
        for (const s of this.slots) s.warm.delete(batch.cid)
      }
      for (const job of jobs) this.settle(job, this.wireError(batch, msg.error))
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
    this.log.error(
      `inference worker ${slot.index} died (${reason})${lost[0] ? ` while running model ${lost[0].batch.cid}` : ''}; starting a new one`,
    )
    for (const { batch } of lost) {
      this.running -= batch.jobs.length
      const message = `inference worker ${slot.index} crashed (${reason}) while running model ${batch.cid}; the run was not completed, send it again`
      for (const job of batch.jobs) this.settle(job, executorError(ErrWorkerCrashed, message))
    }
    this.busyChanged()
    this.pump()
  }

  private startFailed(slot: WorkerSlot<Sent>, reason: string): void {
    this.log.error(`inference worker ${slot.index} failed to start (${reason}); retrying`)
    if (this.slots.some((s) => s.isReady)) return
    // No worker can take the queue: fail it rather than let callers wait for ever.
    const message = `no inference worker could start (${reason}); the run was not made`
    for (const job of this.queue.drain()) {
      this.dequeued(job)
      this.settle(job, executorError(ErrWorkerCrashed, message))
    }
  }

  private wireError(batch: Batch<Job>, e: WireError): AppError {
    if (e.kind === 'load') {
      return executorError(ErrSessionCreate, `cannot create an onnxruntime session for model ${batch.cid} from ${batch.path}: ${e.message}`)
    }
    if (e.kind === 'input') return executorError(ErrRunInput, `model ${batch.cid}: ${e.message}`)
    return executorError(ErrRunFailed, `model ${batch.cid} failed: ${e.message}`)
  }

  private dequeued(job: Job): void {
    this.queued--
    job.model.queued--
    this.busyChanged()
  }

  /** Workers keep the process alive exactly while runs wait or run. */
  private busyChanged(): void {
    const busy = this.queued + this.running > 0 && !this.closed
    if (busy === this.keepingAlive) return
    this.keepingAlive = busy
    for (const s of this.slots) s.keepAlive(busy)
  }

  /** Hands a run's outcome to its caller, unless the caller has given up waiting. */
  private settle(job: Job, outcome: ModelRunOutput | AppError): void {
    if (job.state === 'settled') return
    job.state = 'settled'
    if (job.done) return
    job.done = true
    if (job.timer) clearTimeout(job.timer)
    if (outcome instanceof Error) {
      this.failed++
      job.reject(outcome)
    } else {
      this.completed++
      job.resolve(outcome)
    }
  }
}

function rowsOf(job: Job): number {
  return job.rows ?? 1
}
