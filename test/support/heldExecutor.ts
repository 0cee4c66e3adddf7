import {
  ErrRunTimeout,
  type ExecutorStats,
  executorError,
  type ModelExecutor,
  type ModelRun,
  type ModelRunOutput,
} from '../../app/executor/index.ts'

/**
 * An executor whose runs wait until the test lets them through, then run on a real executor:
 * tests decide when inference finishes instead of relying on how fast a machine is.
 * @example const held = new HeldExecutor(realExecutor); …; held.release(cid) // runs of `cid` go on
 */
export class HeldExecutor implements ModelExecutor {
  private readonly released = new Set<string>()
  private readonly waiting = new Map<string, (() => void)[]>()
  /** Runs asked for so far, by model. */
  readonly asked = new Map<string, number>()

  constructor(
    private readonly inner: ModelExecutor,
    /** Models whose runs are not held. */
    free: Iterable<string> = [],
  ) {
    for (const cid of free) this.released.add(cid)
  }

  /** Runs once `release`d; a held run times out as the real executor's would (ErrRunTimeout). */
  async run(run: ModelRun, opts?: { timeoutMs?: number }): Promise<ModelRunOutput> {
    this.asked.set(run.modelCid, (this.asked.get(run.modelCid) ?? 0) + 1)
    const start = performance.now()
    if (!this.released.has(run.modelCid)) {
      await new Promise<void>((resolve, reject) => {
        this.waiting.set(run.modelCid, [...(this.waiting.get(run.modelCid) ?? []), resolve])
        const ms = opts?.timeoutMs
        if (ms !== undefined)
          setTimeout(() => reject(executorError(ErrRunTimeout, `inference on model ${run.modelCid} timed out after ${ms} ms`)), ms).unref()
      })
    }
    const left = opts?.timeoutMs === undefined ? undefined : Math.max(1, opts.timeoutMs - (performance.now() - start))
    return this.inner.run(run, left === undefined ? undefined : { timeoutMs: left })
  }

  /** Runs of `cid` held now or asked later go on. */
  release(cid: string): void {
    this.released.add(cid)
    for (const go of this.waiting.get(cid) ?? []) go()
    this.waiting.delete(cid)
  }

  /** Runs of `cid` waiting for `release`. */
  held(cid: string): number {
    return this.waiting.get(cid)?.length ?? 0
  }

  stats(): ExecutorStats {
    return this.inner.stats()
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}
