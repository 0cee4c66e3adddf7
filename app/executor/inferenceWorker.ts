import { readlinkSync } from 'node:fs'
import { setPriority } from 'node:os'
import { parentPort, workerData } from 'node:worker_threads'
import * as ort from 'onnxruntime-node'
import type { InferenceWorkerData, RunMessage, RunOutcome, ToWorkerMessage, WireError, WorkerMessage } from './executorWire.ts'
import { inputMismatch } from './inputMismatch.ts'
import { SessionCache } from './sessionCache.ts'
import { sliceRows, splittable } from './tensorBatch.ts'
import { type TensorData, type TensorType, TYPE_CODE } from './tensorData.ts'

/**
 * Worker side of the InferenceExecutor: runs onnxruntime sessions for the RunMessages it is
 * sent, one at a time, and answers each (protocol in executorWire.ts). A batch that fails is
 * retried request by request here, next to its session, so one bad request fails alone.
 */

const port = parentPort!
const data = workerData as InferenceWorkerData
const sessions = new SessionCache(data.sessionsPerWorker)
lowerPriority(data.niceness)

// Messages are handled strictly in turn: a session is never run twice at once, nor released
// while it runs.
let turn: Promise<void> = Promise.resolve()
let exiting = false
port.on('message', (msg: ToWorkerMessage) => {
  if (msg.kind === 'exit') {
    // Runs already queued behind the current one are skipped: nobody waits for them any more.
    exiting = true
    turn = turn.then(async () => {
      await sessions.close()
      process.exit(0)
    })
    return
  }
  turn = turn.then(() =>
    handle(msg).catch((err: unknown) =>
      // A bug here must still answer, or the request would wait for ever.
      reply({ kind: 'failed', id: msg.id, runs: 0, error: { kind: 'run', message: `inference worker error: ${messageOf(err)}` } }),
    ),
  )
})
port.postMessage({ kind: 'ready' } satisfies WorkerMessage)

async function handle(msg: RunMessage): Promise<void> {
  if (exiting) return
  let session: ort.InferenceSession
  try {
    session = await sessions.get(msg.cid, msg.path)
  } catch (err) {
    return reply({ kind: 'failed', id: msg.id, runs: 0, error: { kind: 'load', message: messageOf(err) } })
  }
  if (msg.rows.length === 1) {
    return reply({ kind: 'each', id: msg.id, runs: 1, results: [await runOne(session, msg.inputs)] })
  }
  const total = msg.rows.reduce((a, b) => a + b, 0)
  const batch = await runOne(session, msg.inputs)
  // Outputs can be cut back into requests only if each has one row per batched row.
  if (batch.ok && splittable(batch.outputs, total)) {
    return reply({ kind: 'batch', id: msg.id, runs: 1, outputs: batch.outputs, micros: batch.micros })
  }
  const results: RunOutcome[] = []
  let offset = 0
  for (const rows of msg.rows) {
    results.push(await runOne(session, rowsOf(msg.inputs, offset, rows)))
    offset += rows
  }
  reply({ kind: 'each', id: msg.id, runs: 1 + msg.rows.length, results })
}

async function runOne(session: ort.InferenceSession, inputs: Record<string, TensorData>): Promise<RunOutcome> {
  const feeds: Record<string, ort.Tensor> = {}
  let out: ort.InferenceSession.ReturnType
  const start = performance.now()
  try {
    for (const name in inputs) {
      const t = inputs[name]!
      feeds[name] = new ort.Tensor(t.type, t.data, t.dims)
    }
    out = await session.run(feeds)
  } catch (err) {
    return { ok: false, error: runError(session, inputs, err) }
  }
  const micros = Math.round((performance.now() - start) * 1000)
  const outputs: Record<string, TensorData> = {}
  for (const name in out) {
    const v = out[name] as ort.Tensor
    if (!(v.type in TYPE_CODE)) {
      return {
        ok: false,
        error: { kind: 'run', message: `output "${name}" has element type ${v.type}, which the executor does not return` },
      }
    }
    outputs[name] = { type: v.type as TensorType, dims: [...v.dims], data: v.data as TensorData['data'] }
  }
  return { ok: true, outputs, micros }
}

/** onnxruntime's error, with the name of the input at fault when one does not fit the model. */
function runError(session: ort.InferenceSession, inputs: Record<string, TensorData>, err: unknown): WireError {
  const message = messageOf(err)
  const bad = inputMismatch(session.inputMetadata, inputs)
  if (bad) return { kind: 'input', message: `input "${bad.name}" (${bad.detail}): ${message}` }
  return { kind: 'run', message }
}

/** Rows [offset, offset + rows) of every input (views: they are only read). */
function rowsOf(inputs: Record<string, TensorData>, offset: number, rows: number): Record<string, TensorData> {
  const out: Record<string, TensorData> = {}
  for (const name in inputs) out[name] = sliceRows(inputs[name]!, offset, rows, false)
  return out
}

/** Sends an answer, moving output buffers instead of copying them when the worker owns them whole. */
function reply(msg: WorkerMessage): void {
  const transfer: ArrayBuffer[] = []
  const collect = (outputs: Record<string, TensorData>): void => {
    for (const t of Object.values(outputs)) {
      const d = t.data
      if (!Array.isArray(d) && d.byteOffset === 0 && d.byteLength === d.buffer.byteLength && d.buffer instanceof ArrayBuffer) {
        if (!transfer.includes(d.buffer)) transfer.push(d.buffer)
      }
    }
  }
  if (msg.kind === 'batch') collect(msg.outputs)
  if (msg.kind === 'each') for (const r of msg.results) if (r.ok) collect(r.outputs)
  try {
    port.postMessage(msg, transfer)
  } catch {
    // A buffer onnxruntime does not let go of: copy instead.
    port.postMessage(msg)
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/**
 * Gives this thread (not the process) a niceness, so the node's main thread wins the CPU when
 * both want it. Linux: a thread is a task with its own id, which setpriority accepts. Elsewhere,
 * or without permission, the thread keeps the default priority.
 */
function lowerPriority(niceness: number): void {
  if (niceness <= 0 || process.platform !== 'linux') return
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop())
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, niceness)
  } catch {
    // keep the default priority
  }
}
