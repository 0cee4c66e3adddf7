import { Worker } from 'node:worker_threads'

/**
 * Starts a worker thread running a TypeScript module.
 * @example const w = startWorker(new URL('./senderRecoveryWorker.ts', import.meta.url))
 */
export function startWorker(entry: URL, data: Record<string, unknown> = {}): Worker {
  return new Worker(new URL('./tsWorkerBootstrap.mjs', import.meta.url), {
    workerData: { ...data, entry: entry.href },
  })
}
