import type { WorkerSlot } from './workerSlot.ts'

/** A batch sent to a worker: its model, how fast that model's runs are, and when it was sent. */
export interface SentWork {
  batch: { cid: string }
  /** Mean µs of a session run of the model (moving average); undefined until one ran. */
  model: { runMicros: number | undefined }
  /** performance.now() when it was sent. */
  at: number
}

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

/**
 * Where the next batch (of model `cid`) goes, or undefined when it should wait in the queue:
 * the least-loaded idle worker — preferring one with the model's session open, so each worker
 * does not load every model — else the busy worker expected to be free first, under the
 * conditions of PIPELINE_MICROS.
 */
export function chooseWorker<S extends SentWork>(slots: readonly WorkerSlot<S>[], cid: string, now: number): WorkerSlot<S> | undefined {
  let idle: WorkerSlot<S> | undefined
  let idleScore = Infinity
  let first: WorkerSlot<S> | undefined
  let firstFree = Infinity
  for (const s of slots) {
    if (!s.isReady) continue
    if (s.inFlight.size === 0) {
      const score = s.warm.has(cid) ? 0 : s.warm.size === 0 ? 1 : 2
      if (score < idleScore) {
        idle = s
        idleScore = score
      }
      continue
    }
    const free = freeAt(s, now)
    if (free < firstFree) {
      first = s
      firstFree = free
    }
  }
  if (idle) return idle
  if (!first || first.inFlight.size >= MAX_IN_FLIGHT) return undefined
  if ((firstFree - now) * 1000 <= PIPELINE_MICROS) return first
  const [only] = first.inFlight.values()
  if (first.inFlight.size === 1 && only?.batch.cid === cid) return first
  return undefined
}

/** When a busy worker should be done with what it was sent (performance.now() scale); Infinity if any of it is of a model not timed yet. */
function freeAt(slot: WorkerSlot<SentWork>, now: number): number {
  let at = 0
  for (const sent of slot.inFlight.values()) {
    const micros = sent.model.runMicros
    if (micros === undefined) return Infinity
    at = Math.max(at, sent.at, now) + micros / 1000
  }
  return at
}
