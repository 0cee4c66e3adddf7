import os from 'node:os'
import * as ort from 'onnxruntime-node'
import { startWorker } from '../../app/workers/startWorker.ts'

/**
 * The baseline the executor is measured against: onnxruntime-node driven directly, session runs
 * back to back with nothing in between. `timeRuns` runs on the calling thread; `directParallel`
 * splits the rows over one worker thread per core (directWorker.ts), each with its own session.
 * Used by bench/executor and bench/pipe.
 */
export interface DirectJob {
  path: string
  inputName: string
  width: number
  /** Row-major [n, width]: request i is row i. */
  rows: Float32Array
  /** Rows per session run: 1 = one request per run; more = what a perfect batcher would do. */
  batch: number
}

export interface DirectReport {
  ms: number
  /** Duration of each session run, ms. */
  latencies: Float64Array
  /** Mean µs of session.run alone. */
  runMicros: number
}

/** Runs `job`'s rows through `session`, `job.batch` rows per run, after `warmup` runs of row 0. */
export async function timeRuns(session: ort.InferenceSession, job: DirectJob, warmup = 1): Promise<DirectReport> {
  const n = job.rows.length / job.width
  const feed = (i: number, k: number) => ({
    [job.inputName]: new ort.Tensor('float32', job.rows.subarray(i * job.width, (i + k) * job.width), [k, job.width]),
  })
  for (let i = 0; i < warmup; i++) await session.run(feed(i % n, 1))
  const latencies = new Float64Array(Math.ceil(n / job.batch))
  const start = performance.now()
  for (let i = 0, r = 0; i < n; i += job.batch, r++) {
    const t0 = performance.now()
    await session.run(feed(i, Math.min(job.batch, n - i)))
    latencies[r] = performance.now() - t0
  }
  const ms = performance.now() - start
  return { ms, latencies, runMicros: (latencies.reduce((a, b) => a + b, 0) / latencies.length) * 1000 }
}

/** One direct worker per core, each running its share of the rows (every CORES-th one) back to back. */
export async function directParallel(path: string, inputName: string, width: number, rows: Float32Array, batch = 1): Promise<DirectReport> {
  const cores = os.availableParallelism()
  const n = rows.length / width
  const shares = Array.from({ length: cores }, (_, w) => {
    const idx = Array.from({ length: n }, (_, i) => i).filter((i) => i % cores === w)
    const part = new Float32Array(idx.length * width)
    idx.forEach((i, k) => {
      part.set(rows.subarray(i * width, (i + 1) * width), k * width)
    })
    return part
  })
  const reports = await Promise.all(
    shares.map(
      (part) =>
        new Promise<DirectReport>((resolve, reject) => {
          const w = startWorker(new URL('./directWorker.ts', import.meta.url))
          let report: DirectReport | undefined
          w.once('message', (r: DirectReport) => (report = r))
          w.once('error', reject)
          // The worker ends itself once it has released its session.
          w.once('exit', () => (report ? resolve(report) : reject(new Error('direct worker exited without a report'))))
          w.postMessage({ path, inputName, width, rows: part, batch } satisfies DirectJob)
        }),
    ),
  )
  const latencies = new Float64Array(reports.reduce((k, r) => k + r.latencies.length, 0))
  let k = 0
  for (const r of reports) for (const l of r.latencies) latencies[k++] = l
  return { ms: Math.max(...reports.map((r) => r.ms)), latencies, runMicros: reports.reduce((a, r) => a + r.runMicros, 0) / reports.length }
}
