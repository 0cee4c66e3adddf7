import { parentPort } from 'node:worker_threads'
import * as ort from 'onnxruntime-node'
import { SESSION_OPTIONS } from '../../app/executor/sessionCache.ts'
import { type DirectJob, type DirectReport, timeRuns } from './directRun.ts'

/** A worker of `directParallel` (directRun.ts): one session, its share of the rows, then it ends. */
if (parentPort) {
  const port = parentPort
  port.once('message', async (job: DirectJob) => {
    const session = await ort.InferenceSession.create(job.path, SESSION_OPTIONS)
    const report = await timeRuns(session, job)
    // Released here, before the thread ends on its own: ending a thread inside onnxruntime aborts the process.
    await session.release()
    port.postMessage(report satisfies DirectReport)
    port.close()
  })
}
