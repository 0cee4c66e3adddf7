import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { ErrInternal } from '../errors.ts'
import { ErrModelLoad, ErrProbeFailed, ErrProbeTimeout } from './errors.ts'
import type { ModelTensorInfo } from './modelMetadata.ts'
import type { ProbeMessage, ProbeReply, ProbeRequest } from './modelProbeProcess.ts'

export interface ProbeModelOptions {
  /** Give up (and refuse the model) after this long, start-up and load included; default 60 s. */
  timeoutMs?: number
  /** Stop timing once the timed runs add up to this; default 200 ms (a slower model is timed once). */
  timingBudgetMs?: number
  /** Most timed runs after the first; default 1000 (enough for a stable mean of a 10 µs model). */
  maxTimedRuns?: number
}

export interface ProbeModelResult {
  /** Mean time of one inference, batch 1, zeros as input, one onnxruntime thread (µs). */
  costMicros: number
}

const PROBE_ENTRY = fileURLToPath(new URL('./modelProbeProcess.ts', import.meta.url))
/** The child loads TypeScript through tsx, resolved from here so the node's cwd does not matter. */
const TSX_LOADER = import.meta.resolve('tsx')
/** Keep this much of the child's stderr, to explain a crash. */
const STDERR_TAIL = 2000

/**
 * Loads a model into onnxruntime in a child process, runs it once on zeros (empty strings for
 * string inputs, symbolic dims set to 1), then times a few runs. Throws ErrModelLoad when
 * onnxruntime cannot create a session (or crashes doing so), ErrProbeFailed with onnxruntime's
 * message when the run fails (or crashes), ErrProbeTimeout when it takes longer than `timeoutMs`
 * (the child is then killed).
 * @example const { costMicros } = await probeModel(bytes, parseOnnxModel(bytes).inputs)
 */
export async function probeModel(bytes: Uint8Array, inputs: ModelTensorInfo[], opts: ProbeModelOptions = {}): Promise<ProbeModelResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000
  const request: ProbeRequest = { bytes, inputs, timingBudgetMs: opts.timingBudgetMs ?? 200, maxTimedRuns: opts.maxTimedRuns ?? 1000 }
  const child = fork(PROBE_ENTRY, [], {
    execArgv: ['--import', TSX_LOADER],
    serialization: 'advanced', // structured clone: the bytes travel as a Uint8Array, not JSON
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL)
  })
  let loaded = false
  let timer: NodeJS.Timeout | undefined
  try {
    const reply = await new Promise<ProbeReply>((resolve, reject) => {
      timer = setTimeout(
        () => reject(ErrProbeTimeout.with(`loading the model and running it on zeros took longer than ${timeoutMs} ms`)),
        timeoutMs,
      )
      child.on('message', (m: ProbeMessage) => {
        if (m.kind === 'loaded') loaded = true
        else resolve(m.reply)
      })
      child.once('error', (err) => reject(ErrInternal.with(`cannot start the model probe process: ${err.message}`, err)))
      // 'close', not 'exit': it comes after the IPC channel is drained, so a reply sent just before
      // exiting is never mistaken for a crash.
      child.once('close', (code, signal) => {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`
        const tail = stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''
        if (loaded) reject(ErrProbeFailed.with(`onnxruntime ${how} while running the model on zeros${tail}`))
        else reject(ErrModelLoad.with(`the probe process ${how} before the model was loaded${tail}`))
      })
      child.send(request)
    })
    if (reply.ok) return { costMicros: reply.costMicros }
    if (reply.stage === 'load') throw ErrModelLoad.with(reply.message)
    throw ErrProbeFailed.with(`running the model on zeros failed: ${reply.message}`)
  } finally {
    clearTimeout(timer)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
}
