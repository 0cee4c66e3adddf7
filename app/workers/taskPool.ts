import { Piscina } from 'piscina'

export interface TaskPoolOptions {
  /** Threads at most (≥ 1). */
  threads: number
  /** Idle threads exit after this long, so an idle node holds no WASM memory; default 60 s. */
  idleTimeoutMs?: number
}

/**
 * A pool of worker threads running one TypeScript task module (its default export handles a
 * task), on Piscina: queueing, thread reuse and replacement of a thread that crashed.
 * @example const pool = startTaskPool(new URL('./zkWorker.ts', import.meta.url), { threads: 2 })
 */
export function startTaskPool(entry: URL, opts: TaskPoolOptions): Piscina {
  if (!(opts.threads >= 1)) throw new RangeError(`a task pool needs at least one thread, got ${opts.threads}`)
  return new Piscina({
    filename: new URL('./taskBootstrap.mjs', import.meta.url).href,
    workerData: { entry: entry.href },
    minThreads: 0,
    maxThreads: opts.threads,
    idleTimeout: opts.idleTimeoutMs ?? 60_000,
  })
}
