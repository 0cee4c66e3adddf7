import { LRUCache } from 'lru-cache'
import * as ort from 'onnxruntime-node'

/**
 * The onnxruntime sessions one worker keeps: one per model, created on first use from the
 * model's file, the least recently used released when more than `max` are open. The worker
 * runs one message at a time, so a session is never released while it runs.
 */
export class SessionCache {
  private readonly sessions: LRUCache<string, ort.InferenceSession>

  constructor(max: number) {
    this.sessions = new LRUCache({
      max,
      // Only a session pushed out is released here; `close` releases the rest itself.
      dispose: (s, _cid, reason) => {
        if (reason === 'evict') void s.release().catch(() => {})
      },
    })
  }

  /** The session for `cid`, created from `path` if this worker has none. Throws onnxruntime's error when creation fails. */
  async get(cid: string, path: string): Promise<ort.InferenceSession> {
    const cached = this.sessions.get(cid)
    if (cached) return cached
    const session = await ort.InferenceSession.create(path, SESSION_OPTIONS)
    this.sessions.set(cid, session)
    return session
  }

  /** Releases every session (before the thread ends: onnxruntime then has nothing left to tear down). */
  async close(): Promise<void> {
    const all = [...this.sessions.values()]
    this.sessions.clear()
    await Promise.all(all.map((s) => s.release().catch(() => {})))
  }
}

/**
 * One thread per session: parallelism comes from running one worker per core, and ORT's own
 * thread pools would fight those workers for the same cores. Logging is off because every
 * failure is returned to the caller, and a run that fails on bad user input must not fill the
 * node's log.
 */
export const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  logSeverityLevel: 4,
}
