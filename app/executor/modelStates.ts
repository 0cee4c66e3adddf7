import { ErrModelMissing, ErrModelSource, executorError } from './errors.ts'
import type { ModelSource } from './modelSource.ts'

/** Where a model's file is, and whether its runs can be stacked. */
export interface ModelInfo {
  path: string
  batchable: boolean
}

/** What the executor knows about one model (one map lookup per run finds all of it). */
export interface ModelState {
  cid: string
  /** The lookup of path and batchability; a failed one is dropped, so the next run retries. */
  lookup: Promise<ModelInfo> | undefined
  /** Its result, once there: runs then join the queue without waiting a tick. */
  info: ModelInfo | undefined
  /** Runs waiting for a worker, including those waiting for the lookup. */
  queued: number
  /** Mean µs of a session run (moving average), to know which work is fast; undefined until one ran. */
  runMicros: number | undefined
  /** Mean µs per row of its session runs (moving average); undefined until one ran. */
  rowMicros: number | undefined
}

/** Models remembered; beyond, the oldest one without waiting runs is forgotten. */
const MODEL_STATES = 4096

/** The executor's models: their state, created on first use, and their lookups in the source. */
export class ModelStates {
  private readonly models = new Map<string, ModelState>()

  constructor(private readonly source: ModelSource) {}

  /** The state of a model, created on its first run. */
  get(cid: string): ModelState {
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

  all(): IterableIterator<ModelState> {
    return this.models.values()
  }

  /** Path and batchability of a model, looked up once and remembered (a failed lookup is not). */
  lookUp(model: ModelState): Promise<ModelInfo> {
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
      if (path === undefined) throw executorError(ErrModelMissing, `unknown model ${cid}`)
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
}
