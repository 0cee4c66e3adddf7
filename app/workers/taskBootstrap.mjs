// Entry of every Piscina task worker: registers tsx so the TypeScript task module can load
// (Node 20 does not apply the parent's `--import tsx` to workers), then re-exports its handler.
import { workerData } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
const task = await import(workerData.entry)
export default task.default
