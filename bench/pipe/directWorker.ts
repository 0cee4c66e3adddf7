import { parentPort } from 'node:worker_threads'
import * as ort from 'onnxruntime-node'
import { SESSION_OPTIONS } from '../../app/modules/inference/executor/sessionCache.ts'

/**
 * The physical limit the node's executor is compared with: onnxruntime-node driven directly on
 * a worker thread (one session, intraOpNumThreads 1, the node's session options), running its
 * share of the benchmark's requests back to back with nothing in between. `batch` rows go into
 * one session run (1 = one request per run; more = what a perfect batcher would do).
 */
export interface DirectJob {
  path: string
  inputName: string
  width: number
  /** Row-major [n, width]: request i is row i. */
  rows: Float32Array
  batch: number
}

export interface DirectReport {
  ms: number
  runs: number
}

if (parentPort) {
  const port = parentPort
  port.once('message', async (job: DirectJob) => {
    const session = await ort.InferenceSession.create(job.path, SESSION_OPTIONS)
    const n = job.rows.length / job.width
    const feed = (i: number, k: number) => ({ [job.inputName]: new ort.Tensor('float32', job.rows.subarray(i * job.width, (i + k) * job.width), [k, job.width]) })
    await session.run(feed(0, 1)) // warm-up, outside the measurement
    let runs = 0
    const start = performance.now()
    for (let i = 0; i < n; i += job.batch) {
      await session.run(feed(i, Math.min(job.batch, n - i)))
      runs++
    }
    const ms = performance.now() - start
    // Released before the thread ends on its own: ending a thread inside onnxruntime aborts the process.
    await session.release()
    port.postMessage({ ms, runs } satisfies DirectReport)
    port.close()
  })
}
