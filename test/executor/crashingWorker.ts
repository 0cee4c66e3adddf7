import { parentPort } from 'node:worker_threads'
import type { ToWorkerMessage } from '../../app/executor/executorWire.ts'

/** Work for this model makes the worker exit with code 70, as a crash would. */
export const CRASH_CID = 'crash-on-cue'

/**
 * The real inference worker, except that it exits abruptly when it is given work for
 * CRASH_CID — before onnxruntime runs anything: ending a thread inside an onnxruntime run
 * aborts the whole process (see workerSlot.ts), which a test cannot survive.
 */
if (parentPort) {
  await import('../../app/executor/inferenceWorker.ts')
  parentPort.on('message', (msg: ToWorkerMessage) => {
    if (msg.kind === 'run' && msg.cid === CRASH_CID) process.exit(70)
  })
}
