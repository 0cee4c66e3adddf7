import { parentPort } from 'node:worker_threads'
import * as ort from 'onnxruntime-node'
import { SESSION_OPTIONS } from '../../app/modules/inference/executor/sessionCache.ts'

/**
 * The baseline the executor is measured against: onnxruntime-node driven directly on a worker
 * thread, one request after another on one session, with no executor in between. The parent
 * runs one of these per core and splits the requests between them.
 */
export interface DirectJob {
  path: string
  inputName: string
  width: number
  /** Row-major [n, width]: request i is row i. */
  rows: Float32Array
}

export interface DirectReport {
  ms: number
  latencies: Float64Array
  /** Mean µs of session.run alone. */
  runMicros: number
}

if (parentPort) {
  const port = parentPort
  port.once('message', async (job: DirectJob) => {
    const session = await ort.InferenceSession.create(job.path, SESSION_OPTIONS)
    const n = job.rows.length / job.width
    const feed = (i: number) => ({ [job.inputName]: new ort.Tensor('float32', job.rows.subarray(i * job.width, (i + 1) * job.width), [1, job.width]) })
    await session.run(feed(0)) // warm-up, outside the measurement
    const latencies = new Float64Array(n)
    const start = performance.now()
    for (let i = 0; i < n; i++) {
      const t0 = performance.now()
      await session.run(feed(i))
      latencies[i] = performance.now() - t0
    }
    const ms = performance.now() - start
    // Released here, before the thread ends on its own: ending a thread inside onnxruntime aborts the process.
    await session.release()
    port.postMessage({ ms, latencies, runMicros: (latencies.reduce((a, b) => a + b, 0) / n) * 1000 } satisfies DirectReport)
    port.close()
  })
}
