/**
 * Child-process side of `probeModel` (modelProbe.ts): creates an onnxruntime session from the
 * model's bytes, runs it on zeros, and times a few more runs. Not on the node's main thread,
 * because onnxruntime-node runs inferences synchronously (a 1 s model would stall ABCI and
 * JSON-RPC for a second). Not on a worker thread either: an uploaded model is untrusted, and a
 * process is what can be killed safely mid-inference (terminating a worker inside a native
 * onnxruntime call aborts the whole node) and what contains a crash inside onnxruntime.
 */
import * as ort from 'onnxruntime-node'
import type { ModelTensorInfo } from './modelMetadata.ts'
import { cleanOrtMessage } from './ortErrorMessage.ts'

export interface ProbeRequest {
  bytes: Uint8Array
  inputs: ModelTensorInfo[]
  /** Stop timing after this much run time (the first, untimed run excluded). */
  timingBudgetMs: number
  /** Most timed runs. */
  maxTimedRuns: number
}

export type ProbeReply = { ok: true; costMicros: number; timedRuns: number } | { ok: false; stage: 'load' | 'run'; message: string }

/** What the child sends: progress (so a crash can be placed), then one reply. */
export type ProbeMessage = { kind: 'loaded' } | { kind: 'reply'; reply: ProbeReply }

/** A zero tensor (empty strings, false) for one input; symbolic and unknown dims become 1. */
function zeroTensor(input: ModelTensorInfo): ort.Tensor {
  const dims = input.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : 1))
  const n = dims.reduce((a, b) => a * b, 1)
  switch (input.type) {
    case 'string':
      return new ort.Tensor('string', Array<string>(n).fill(''), dims)
    case 'bool':
      return new ort.Tensor('bool', new Uint8Array(n), dims)
    case 'float32':
      return new ort.Tensor('float32', new Float32Array(n), dims)
    case 'float64':
      return new ort.Tensor('float64', new Float64Array(n), dims)
    case 'int8':
      return new ort.Tensor('int8', new Int8Array(n), dims)
    case 'uint8':
      return new ort.Tensor('uint8', new Uint8Array(n), dims)
    case 'int16':
      return new ort.Tensor('int16', new Int16Array(n), dims)
    case 'uint16':
      return new ort.Tensor('uint16', new Uint16Array(n), dims)
    case 'int32':
      return new ort.Tensor('int32', new Int32Array(n), dims)
    case 'uint32':
      return new ort.Tensor('uint32', new Uint32Array(n), dims)
    case 'int64':
      return new ort.Tensor('int64', new BigInt64Array(n), dims)
    case 'uint64':
      return new ort.Tensor('uint64', new BigUint64Array(n), dims)
    default:
      throw new Error(`input "${input.name}" has element type ${input.type}, which the probe cannot fill`)
  }
}

async function probe(req: ProbeRequest): Promise<ProbeReply> {
  // Severity 4 (fatal only): failures are reported to the uploader, not logged by onnxruntime.
  const quiet = { logSeverityLevel: 4 as const }
  let session: ort.InferenceSession
  try {
    session = await ort.InferenceSession.create(req.bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, ...quiet })
  } catch (err) {
    return { ok: false, stage: 'load', message: cleanOrtMessage((err as Error).message) }
  }
  send({ kind: 'loaded' })
  try {
    const feeds = Object.fromEntries(req.inputs.map((i) => [i.name, zeroTensor(i)]))
    await session.run(feeds, quiet) // first run: checks the model works, warms up allocations
    let elapsed = 0
    let runs = 0
    while (runs < req.maxTimedRuns && (runs === 0 || elapsed < req.timingBudgetMs)) {
      const start = performance.now()
      await session.run(feeds, quiet)
      elapsed += performance.now() - start
      runs++
    }
    return { ok: true, costMicros: Math.max(1, Math.round((elapsed / runs) * 1000)), timedRuns: runs }
  } catch (err) {
    return { ok: false, stage: 'run', message: cleanOrtMessage((err as Error).message) }
  } finally {
    await session.release()
  }
}

function send(message: ProbeMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, undefined, {}, () => resolve()))
}

// Started by probeModel with an IPC channel: one request, one reply, exit.
if (process.send) {
  process.once('message', (req: ProbeRequest) => {
    void probe(req)
      .then((reply) => send({ kind: 'reply', reply }))
      .then(() => process.exit(0))
  })
}
