/** What the queue needs to know about a request. */
export interface QueueItem {
  cid: string
  /** Rows the request adds to a batch; undefined when its inputs cannot be stacked. */
  rows: number | undefined
  /** Requests with equal signatures (same model) can share a session run (requestIdentity.ts). */
  signature: string
  /** performance.now() when the request joined the queue. */
  enqueuedAt: number
}

/** Requests of one model that run together in one session run. */
export interface Batch<J extends QueueItem> {
  cid: string
  path: string
  jobs: J[]
}

/** Group key of the requests that run one per session run. */
const SOLO = '\u0000solo'

interface Group<J extends QueueItem> {
  cid: string
  key: string
  path: string
  /** Runs its requests one per session run (the model is not batchable, or they cannot be stacked). */
  solo: boolean
  /** Waiting requests are jobs[head…]: taking a batch moves `head` instead of shifting the array. */
  jobs: J[]
  head: number
  rows: number
  /** Its oldest request has waited maxWaitMs for company. */
  due: boolean
  timer: NodeJS.Timeout | undefined
}

/**
 * Requests waiting for a worker, grouped into what can share a session run: per model, per
 * input signature. A group is ready to run when it holds `maxBatch` rows, when its oldest
 * request has waited `maxWaitMs` for company, or at once for requests that run alone. While
 * every worker is busy, ready groups keep filling, so batches grow with the load. Among ready
 * groups the one whose oldest request came first goes first, so no model starves another.
 */
export class BatchQueue<J extends QueueItem> {
  /** model → signature (or SOLO) → group: nested, so that adding a request builds no key string. */
  private readonly groups = new Map<string, Map<string, Group<J>>>()
  private count = 0

  constructor(
    private readonly opts: {
      maxBatch: number
      maxWaitMs: number
      /** A group became ready: the owner should look for an idle worker. */
      onReady: () => void
    },
  ) {}

  /** Requests waiting in the queue. */
  get size(): number {
    return this.count
  }

  add(job: J, model: { path: string; batchable: boolean }): void {
    const solo = !model.batchable || job.rows === undefined || job.rows >= this.opts.maxBatch
    const key = solo ? SOLO : job.signature
    let byModel = this.groups.get(job.cid)
    if (!byModel) {
      byModel = new Map()
      this.groups.set(job.cid, byModel)
    }
    let g = byModel.get(key)
    if (!g) {
      g = { cid: job.cid, key, path: model.path, solo, jobs: [], head: 0, rows: 0, due: solo || this.opts.maxWaitMs <= 0, timer: undefined }
      byModel.set(key, g)
      if (!g.due) this.arm(g, this.opts.maxWaitMs)
    }
    // Tell the owner only when the group becomes ready (or, already ready, gets its first
    // request): adding to a ready group that is waiting for a worker changes nothing.
    const wasReady = g.jobs.length > g.head && (g.due || g.rows >= this.opts.maxBatch)
    g.jobs.push(job)
    g.rows += job.rows ?? 1
    this.count++
    if (!wasReady && (g.due || g.rows >= this.opts.maxBatch)) this.opts.onReady()
  }

  /** The next batch to run, taken out of the queue; undefined when no group is ready. */
  take(): Batch<J> | undefined {
    const g = this.next()
    if (!g) return undefined
    const from = g.head
    let to = from + 1
    if (!g.solo) {
      let rows = g.jobs[from]!.rows!
      while (to < g.jobs.length && rows + g.jobs[to]!.rows! <= this.opts.maxBatch) rows += g.jobs[to++]!.rows!
      g.rows -= rows
    } else {
      g.rows -= 1
    }
    const jobs = g.jobs.slice(from, to)
    // Drop the queue's references now, so taken requests are not kept alive until compaction.
    for (let i = from; i < to; i++) (g.jobs as (J | undefined)[])[i] = undefined
    g.head = to
    this.count -= to - from
    if (g.head > 1024 && g.head * 2 > g.jobs.length) {
      g.jobs = g.jobs.slice(g.head)
      g.head = 0
    }
    if (g.jobs.length === g.head) {
      clearTimeout(g.timer)
      const byModel = this.groups.get(g.cid)!
      byModel.delete(g.key)
      if (byModel.size === 0) this.groups.delete(g.cid)
    } else if (!g.solo) {
      // The rest waits from its own oldest request's arrival, not from the batch that left.
      const left = g.jobs[g.head]!.enqueuedAt + this.opts.maxWaitMs - performance.now()
      clearTimeout(g.timer)
      g.due = left <= 0
      if (!g.due) this.arm(g, left)
    }
    return { cid: g.cid, path: g.path, jobs }
  }

  /** The model of the batch `take` would return, without taking it (the owner picks a worker first). */
  nextModel(): string | undefined {
    return this.next()?.cid
  }

  /** The ready group whose oldest request came first. */
  private next(): Group<J> | undefined {
    let g: Group<J> | undefined
    for (const byModel of this.groups.values()) {
      for (const c of byModel.values()) {
        if (!(c.due || c.rows >= this.opts.maxBatch)) continue
        if (!g || c.jobs[c.head]!.enqueuedAt < g.jobs[g.head]!.enqueuedAt) g = c
      }
    }
    return g
  }

  /** Empties the queue (the executor closes), returning what was waiting. */
  drain(): J[] {
    const all: J[] = []
    for (const byModel of this.groups.values()) {
      for (const g of byModel.values()) {
        clearTimeout(g.timer)
        for (let i = g.head; i < g.jobs.length; i++) all.push(g.jobs[i]!)
      }
    }
    this.groups.clear()
    this.count = 0
    return all
  }

  private arm(g: Group<J>, ms: number): void {
    g.timer = setTimeout(() => {
      g.due = true
      g.timer = undefined
      this.opts.onReady()
    }, ms)
  }
}
