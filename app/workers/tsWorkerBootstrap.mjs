// Entry of every worker thread: registers tsx so the TypeScript worker module can load
// (Node 20 does not apply the parent's `--import tsx` to workers), then imports it.
import { workerData } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
await import(workerData.entry)
