import { existsSync } from 'node:fs'
import { parentPort } from 'node:worker_threads'
import type { ToWorkerMessage } from '../../app/executor/executorWire.ts'

/** Work for a model whose CID starts with this is held: `held:<file>` runs once <file> exists. */
export const HELD_PREFIX = 'held:'

/**
 * The real inference worker, except that work for a `held:<file>` model blocks the thread — as
 * a long onnxruntime run does — until the test creates <file>: a test decides when a "slow"
 * run ends, whatever the machine's speed.
 */
if (parentPort) {
  await import('../../app/executor/inferenceWorker.ts')
  const nap = new Int32Array(new SharedArrayBuffer(4))
  parentPort.on('message', (msg: ToWorkerMessage) => {
    if (msg.kind !== 'run' || !msg.cid.startsWith(HELD_PREFIX)) return
    const release = msg.cid.slice(HELD_PREFIX.length)
    while (!existsSync(release)) Atomics.wait(nap, 0, 0, 5)
  })
}
