import type { Logger } from '../log.ts'

/** How an InferenceExecutor is set up, and what it reports (its public types beside inferenceExecutor.ts). */

export interface ExecutorOptions {
  /** Worker threads, each running one inference at a time on one core; default os.availableParallelism(). */
  workers?: number
  /**
   * Most rows stacked into one session run; default 256 (bench/executor: 64 gives 2.5–4×, 256
   * gives 4.4–5.8× single-run throughput on small models).
   */
  maxBatch?: number
  /** How long a run may wait for others to batch with, in ms; default 2. A full batch goes at once. */
  maxWaitMs?: number
  /** Runs of one model waiting for a worker before `run` refuses more; default 1024. */
  maxQueuePerModel?: number
  /** Runs of all models waiting for a worker before `run` refuses more; default 8192. */
  maxQueued?: number
  /**
   * Rows of a model costing more than this (µs, as measured) run one per session run even if the
   * model could batch: stacking saves the per-run overhead (tens of µs), negligible next to such
   * a row, while one batch keeps every row on one worker and leaves the others idle. Default 2000.
   */
  soloRowMicros?: number
  /** onnxruntime sessions each worker keeps open (least recently used closed first); default 32. */
  sessionsPerWorker?: number
  /**
   * Scheduling niceness of the worker threads (Linux; 0–19, higher yields more); default 10, so
   * consensus work on the main thread preempts pre-execution when cores are scarce.
   */
  workerNiceness?: number
  log?: Logger
  /** The worker module (default inferenceWorker.ts); tests substitute one that crashes on cue. */
  workerEntry?: URL
}

export interface ExecutorStats {
  /** Runs waiting for a worker (including those whose model is being looked up). */
  queued: number
  /** Runs sent to a worker and not answered yet. */
  running: number
  /** `run` calls that resolved. */
  completed: number
  /** `run` calls that rejected (model errors, full queue, timeouts, crashes). */
  failed: number
  /** onnxruntime session runs (a batch is one run; each retry of a failed batch's runs is one more). */
  batches: number
  /** Runs waiting per model, for models that have any. */
  perModel: Record<string, { queued: number }>
}
