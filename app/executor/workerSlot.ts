import type { Worker } from 'node:worker_threads'
import { LRUCache } from 'lru-cache'
import { startWorker } from '../workers/startWorker.ts'
import type { InferenceWorkerData, RunMessage, ToWorkerMessage, WorkerMessage } from './executorWire.ts'

/** What a slot tells its owner. */
export interface WorkerSlotEvents<T> {
  /** The worker loaded onnxruntime and takes work. */
  ready(slot: WorkerSlot<T>): void
  /** The answer to work sent with `send`. */
  answer(slot: WorkerSlot<T>, work: T, msg: Exclude<WorkerMessage, { kind: 'ready' }>): void
  /** The worker died; `work` is what it had been sent and not answered (lost). A new worker is already starting. */
  crashed(slot: WorkerSlot<T>, work: T[], reason: string): void
  /** A new worker died before it became ready (onnxruntime failed to load?); it is retried with back-off. */
  startFailed(slot: WorkerSlot<T>, reason: string): void
}

/** The worker module every slot runs unless told otherwise. */
export const INFERENCE_WORKER = new URL('./inferenceWorker.ts', import.meta.url)

/**
 * One seat of the executor's pool: holds one inference worker thread at a time, sends it work
 * (the worker runs it in order), and puts a new worker in when it dies. The thread is ref'd only
 * while its owner has work (`keepAlive`), so an idle pool does not keep the process alive.
 *
 * A worker is never terminated from outside while it might be inside onnxruntime: the
 * onnxruntime-node binding aborts the whole process when its thread is torn down mid-run. So
 * `close` asks the worker to exit after what it is running, and there is no way to stop a run.
 */
export class WorkerSlot<T> {
  /** Work sent and not yet answered, by message id, oldest first (the one running). */
  readonly inFlight = new Map<number, T>()
  /** Models this worker probably has a session for (mirrors its session LRU), to send a model's work back where it is warm. */
  readonly warm: LRUCache<string, true>
  private worker: Worker | undefined
  private ready = false
  private closed = false
  private startFailures = 0
  private restartTimer: NodeJS.Timeout | undefined
  private alive = false

  constructor(
    readonly index: number,
    private readonly data: InferenceWorkerData,
    private readonly events: WorkerSlotEvents<T>,
    private readonly entry: URL = INFERENCE_WORKER,
  ) {
    this.warm = new LRUCache({ max: data.sessionsPerWorker })
    this.start()
  }

  /** The worker takes work (it loaded onnxruntime, and the slot is not closing). */
  get isReady(): boolean {
    return this.ready && !this.closed
  }

  send(work: T, msg: RunMessage, transfer: ArrayBuffer[]): void {
    if (!this.isReady) throw new Error(`inference worker ${this.index} is not ready`)
    this.inFlight.set(msg.id, work)
    this.warm.set(msg.cid, true)
    this.post(msg, transfer)
  }

  /**
   * Whether the worker keeps the process alive: yes while the executor has requests waiting or
   * running (a pending promise alone would not), no when it is idle.
   */
  keepAlive(on: boolean): void {
    this.alive = on
    this.applyRef()
  }

  private applyRef(): void {
    if (this.alive) this.worker?.ref()
    else this.worker?.unref()
  }

  /**
   * Ends the worker for good once it has finished what it is running (its answer is dropped).
   * Resolves when the thread has exited.
   */
  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.restartTimer)
    this.inFlight.clear()
    const w = this.worker
    if (!w) return
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()))
    // Keep the process alive until the thread is gone, or `await close()` could be cut short.
    w.ref()
    this.post({ kind: 'exit' }, [])
    await exited
    this.worker = undefined
    this.ready = false
  }

  private post(msg: ToWorkerMessage, transfer: ArrayBuffer[]): void {
    this.worker!.postMessage(msg, transfer)
  }

  private start(): void {
    const w = startWorker(this.entry, { ...this.data })
    this.worker = w
    this.ready = false
    this.warm.clear()
    let failure: string | undefined
    w.on('message', (msg: WorkerMessage) => {
      if (this.closed) return
      if (msg.kind === 'ready') {
        this.ready = true
        this.startFailures = 0
        this.events.ready(this)
        return
      }
      const work = this.inFlight.get(msg.id)
      this.inFlight.delete(msg.id)
      if (work !== undefined) this.events.answer(this, work, msg)
    })
    w.on('error', (err: Error) => {
      failure = err.message
    })
    w.on('exit', (code: number) => {
      if (this.closed || this.worker !== w) return
      const reason = failure ?? `exit code ${code}`
      const wasReady = this.ready
      const work = [...this.inFlight.values()]
      this.inFlight.clear()
      this.worker = undefined
      this.ready = false
      if (wasReady) {
        this.start()
        this.events.crashed(this, work, reason)
        return
      }
      // Dying before ready is a start-up problem (a broken onnxruntime install, no memory):
      // retry, but back off so a permanent problem does not spin a core.
      this.startFailures++
      this.events.startFailed(this, reason)
      const delay = Math.min(5000, 100 * 2 ** (this.startFailures - 1))
      this.restartTimer = setTimeout(() => this.start(), delay)
      this.restartTimer.unref()
    })
    // After the listeners: attaching them refs the worker's port again.
    this.applyRef()
  }
}
