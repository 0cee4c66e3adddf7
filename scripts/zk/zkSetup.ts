import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { DEFAULT_MAX_ARTEFACT_BYTES } from '../../app/modelHub/artefactStore.ts'
import { formatBytes } from '../../app/modelHub/modelValidation.ts'
import { parseOnnxModel } from '../../app/modelHub/onnxModel.ts'
import { type CalibrationData, circuitShape, firstSample, generatedCalibration } from './calibrationData.ts'
import { ezklPython } from './ezklPython.ts'
import { ezklFailure, ZkSetupError } from './zkSetupError.ts'

/**
 * ZK setup: an ONNX model turned into the EZKL artefacts that prove and verify its runs, with
 * the pinned EZKL 21 Python package (scripts/zk/zk_setup.py in the project venv) for the steps
 * only its Python API offers. Proving and verifying later use @ezkljs/engine 21.0.0, which takes
 * these artefacts as they are.
 *
 * Steps, each reported to `onProgress`: settings (gen_settings), calibrate (calibrate_settings
 * on sample inputs, "resources" target), compile (compile_circuit), srs (gen_srs, cached by
 * logrows), keys (setup: verifying and proving keys), then a self-check on the first sample:
 * witness, prove, verify. A model that cannot be proved is refused here, with a ZkSetupError
 * naming the operator or the size, never later when a contract asks for a proof.
 * @example
 * const zk = await zkSetup(fs.readFileSync('models/risk-scorer.onnx'), { onProgress: (p) => console.log(formatZkProgress(p)) })
 * zk.files.verifying_key // 3.8 KB; zk.verifyingKeyHash = sha256 of it
 */

/** The artefact names (fixed: the registry, provers and verifiers look them up by name), sorted. */
export const ZK_ARTEFACT_NAMES = ['compiled_circuit', 'proving_key', 'settings', 'srs', 'verifying_key'] as const
export type ZkArtefactName = (typeof ZK_ARTEFACT_NAMES)[number]

/**
 * The largest circuit accepted: 2^17 rows. Measured at 17 (a 384×384 MLP, 148 k weights): an
 * 8 s calibration, a 16 MiB SRS made in 24 s, keys in 18 s, a 624 MiB proving key and a 33 s
 * native proof, WebAssembly several times slower. Larger circuits would stall the mempool's
 * provers; their keys outgrow the hub's artefact limit, which is checked too (maxArtefactBytes).
 */
export const DEFAULT_MAX_LOGROWS = 17

/**
 * EZKL's range checks decompose values into `legs` digits of base `base`; the lookup table of
 * one digit has `base` rows, so the base sets a floor on the circuit's rows. EZKL's default
 * (base 16384, 2 legs) puts even the 4-input risk scorer at 2^15 rows (proving key 163 MB,
 * native proof 5-14 s); base 128 with 4 legs covers the same range (128^4 = 16384^2 = 2^28)
 * with a 128-row table: the risk scorer gets 2^10 rows, a 5 MB proving key, a 3.8 KB verifying
 * key, 0.3 s native and 3.4 s WebAssembly proofs, and ~80 ms verification.
 */
export const DECOMPOSITION = { base: 128, legs: 4 } as const

export const ZK_STEPS = ['settings', 'calibrate', 'compile', 'srs', 'keys', 'witness', 'prove', 'verify'] as const
export type ZkStep = (typeof ZK_STEPS)[number]

/** One step starting or done; `index` counts from 1 of `total`. */
export interface ZkSetupProgress {
  step: ZkStep
  status: 'start' | 'done'
  index: number
  total: number
  /** Once done: how long it took. */
  seconds?: number
  /** Once done: what it found (logrows after calibration, key sizes, whether the SRS was cached…). */
  detail?: Record<string, unknown>
}

export interface ZkSetupOptions {
  /** Calibration data in EZKL's input format; default: deterministic samples from the input shapes (calibrationData.ts). */
  calibration?: CalibrationData
  /** Home whose `zk/srs/kzg<logrows>.srs` caches the SRS; default $PIPE_HOME, else ~/.pipe. */
  home?: string
  /** Largest circuit accepted, as log2 of its rows; default DEFAULT_MAX_LOGROWS (17). */
  maxLogrows?: number
  /** Largest artefact accepted (the hub's limit); default DEFAULT_MAX_ARTEFACT_BYTES (512 MiB). */
  maxArtefactBytes?: number
  onProgress?: (progress: ZkSetupProgress) => void
}

/** What a ZK setup makes: the bytes of every artefact, and what the registry and tests need of them. */
export interface ZkArtefacts {
  /** Each artefact's bytes by name: settings.json, the compiled circuit, the keys and the SRS. */
  files: Record<ZkArtefactName, Uint8Array>
  /** sha256 of `files.verifying_key`: MsgRegisterModel's `zk_verifying_key_hash`. */
  verifyingKeyHash: Uint8Array
  /** log2 of the circuit's rows. */
  logrows: number
  /** The calibration data used. */
  calibration: CalibrationData
  /** The self-check's input (the first calibration sample) and its proof (EZKL's proof JSON). */
  sample: { input: CalibrationData; proof: Uint8Array }
}

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'zk_setup.py')
/** What is kept of EZKL's own output for error messages. */
const MAX_OUTPUT_CHARS = 64 * 1024

/** The default home of the SRS cache: $PIPE_HOME, else ~/.pipe. */
export function defaultZkHome(): string {
  return process.env.PIPE_HOME || join(homedir(), '.pipe')
}

/** The SRS cache folder of a home. */
export function srsCacheDir(home: string): string {
  return join(home, 'zk', 'srs')
}

/**
 * Runs the ZK setup of a model's ONNX bytes. Throws ZkSetupError: `unsupportedInput`,
 * `badCalibration` (checked before EZKL runs), `unsupportedOperator`, `tooLarge` (logrows or
 * an artefact over its limit),
 * `selfCheckFailed`, `ezklFailed`, `ezklMissing`.
 */
export async function zkSetup(modelBytes: Uint8Array, opts: ZkSetupOptions = {}): Promise<ZkArtefacts> {
  const info = parseOnnxModel(modelBytes)
  const shape = circuitShape(info.inputs)
  const calibration = opts.calibration ?? generatedCalibration(shape)
  const sample = firstSample(calibration, shape)
  const maxLogrows = opts.maxLogrows ?? DEFAULT_MAX_LOGROWS
  if (!Number.isInteger(maxLogrows) || maxLogrows < 1 || maxLogrows > 26) throw new RangeError(`maxLogrows must be 1-26, got ${maxLogrows}`)
  const python = ezklPython()
  const work = await mkdtemp(join(tmpdir(), 'pipe-zk-setup-'))
  try {
    const job = {
      model: join(work, 'model.onnx'),
      work_dir: work,
      srs_dir: srsCacheDir(opts.home ?? defaultZkHome()),
      calibration: join(work, 'calibration.json'),
      sample: join(work, 'sample.json'),
      variables: shape.variables,
      decomp_base: DECOMPOSITION.base,
      decomp_legs: DECOMPOSITION.legs,
      max_logrows: maxLogrows,
      max_artefact_bytes: opts.maxArtefactBytes ?? DEFAULT_MAX_ARTEFACT_BYTES,
    }
    await writeFile(job.model, modelBytes)
    await writeFile(job.calibration, JSON.stringify(calibration))
    await writeFile(job.sample, JSON.stringify(sample))
    await writeFile(join(work, 'job.json'), JSON.stringify(job))
    const { logrows, srs } = await runSetupScript(python, join(work, 'job.json'), info.ops, opts.onProgress)
    const files: Record<ZkArtefactName, Uint8Array> = {
      compiled_circuit: await readFile(join(work, 'circuit.ezkl')),
      proving_key: await readFile(join(work, 'pk.key')),
      settings: await readFile(join(work, 'settings.json')),
      srs: await readFile(srs),
      verifying_key: await readFile(join(work, 'vk.key')),
    }
    return {
      files,
      verifyingKeyHash: Uint8Array.from(createHash('sha256').update(files.verifying_key).digest()),
      logrows,
      calibration,
      sample: { input: sample, proof: await readFile(join(work, 'proof.json')) },
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/** A progress line for people, e.g. `[zk 2/8] calibrate done in 0.8 s: logrows 10 (scales 13/13)`. */
export function formatZkProgress(p: ZkSetupProgress): string {
  const head = `[zk ${p.index}/${p.total}] ${p.step}`
  if (p.status === 'start') return `${head}: ${STEP_TITLES[p.step]}…`
  const d = p.detail ?? {}
  const facts: Record<ZkStep, () => string | undefined> = {
    settings: () => undefined,
    calibrate: () => `logrows ${d.logrows} (input scale ${d.input_scale}, param scale ${d.param_scale})`,
    compile: () => `circuit ${kib(d.bytes)}`,
    srs: () => `${d.cached ? 'cached' : 'generated'} ${d.path} (${kib(d.bytes)})`,
    keys: () => `verifying key ${kib(d.vk_bytes)}, proving key ${kib(d.pk_bytes)}`,
    witness: () => undefined,
    prove: () => `proof ${kib(d.bytes)}`,
    verify: () => 'the sample proof verifies',
  }
  const fact = facts[p.step]()
  return `${head} done in ${p.seconds?.toFixed(1)} s${fact ? `: ${fact}` : ''}`
}

const STEP_TITLES: Record<ZkStep, string> = {
  settings: 'generating circuit settings',
  calibrate: 'calibrating on sample inputs',
  compile: 'compiling the circuit',
  srs: 'structured reference string',
  keys: 'generating verifying and proving keys',
  witness: 'self-check: witness of the first sample',
  prove: 'self-check: proving it',
  verify: 'self-check: verifying the proof',
}

function kib(n: unknown): string {
  const b = Number(n)
  return b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(1)} MiB` : `${(b / 1024).toFixed(1)} KiB`
}

interface ScriptEvent {
  step: ZkStep | 'done'
  status: 'start' | 'done' | 'failed'
  seconds?: number
  detail?: Record<string, unknown>
  kind?: 'ezkl' | 'too_large' | 'artefact_too_large'
  error?: string
  logrows?: number
  max_logrows?: number
  artefact?: string
  bytes?: number
  max_bytes?: number
  srs?: string
}

/** Runs zk_setup.py, forwarding its step events; resolves with its outcome or throws the failed step's ZkSetupError. */
function runSetupScript(
  python: string,
  jobPath: string,
  modelOps: readonly string[],
  onProgress: ZkSetupOptions['onProgress'],
): Promise<{ logrows: number; srs: string }> {
  return new Promise((resolve, reject) => {
    // fd 3 carries the script's events; stdout and stderr are EZKL's own chatter.
    const child = spawn(python, [SCRIPT, jobPath], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] })
    let output = ''
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-MAX_OUTPUT_CHARS)
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    let outcome: { logrows: number; srs: string } | undefined
    let failure: ZkSetupError | undefined
    let failed: ScriptEvent | undefined
    let pending = ''
    const onEvent = (event: ScriptEvent): void => {
      if (event.step === 'done') {
        outcome = { logrows: Number(event.logrows), srs: String(event.srs) }
        return
      }
      const index = ZK_STEPS.indexOf(event.step) + 1
      if (event.status === 'failed') failed = event
      else
        onProgress?.({
          step: event.step,
          status: event.status,
          index,
          total: ZK_STEPS.length,
          seconds: event.seconds,
          detail: event.detail,
        })
    }
    ;(child.stdio[3] as Readable).on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8')
      let nl = pending.indexOf('\n')
      while (nl >= 0) {
        const line = pending.slice(0, nl).trim()
        pending = pending.slice(nl + 1)
        if (line) {
          try {
            onEvent(JSON.parse(line) as ScriptEvent)
          } catch (err) {
            // A callback that throws must not be mistaken for EZKL failing: stop and report it.
            failure ??= new ZkSetupError('ezklFailed', `ZK setup stopped: ${(err as Error).message}`)
            child.kill()
          }
        }
        nl = pending.indexOf('\n')
      }
    })
    child.on('error', (err) => reject(new ZkSetupError('ezklMissing', `cannot run ${python}: ${err.message}`)))
    child.on('close', (code, signal) => {
      if (failure) return reject(failure)
      if (code === 0 && outcome) return resolve(outcome)
      if (failed?.kind === 'too_large') {
        return reject(
          new ZkSetupError(
            'tooLarge',
            `the model's circuit needs 2^${failed.logrows} rows (logrows ${failed.logrows}), over the limit of 2^${failed.max_logrows} ` +
              `(logrows ${failed.max_logrows}): proving keys and proving times grow with it. Make the model smaller ` +
              '(fewer or narrower layers) or register it without ZKML',
            { logrows: failed.logrows, maxLogrows: failed.max_logrows },
          ),
        )
      }
      if (failed?.kind === 'artefact_too_large') {
        return reject(
          new ZkSetupError(
            'tooLarge',
            `the model's ${failed.artefact?.replace('_', ' ')} is ${formatBytes(Number(failed.bytes))}, over the hub's artefact limit of ` +
              `${formatBytes(Number(failed.max_bytes))} (the circuit has 2^${failed.logrows} rows). Make the model smaller ` +
              '(fewer weights: they are constants of the circuit) or register it without ZKML',
            { logrows: failed.logrows, artefact: failed.artefact, bytes: failed.bytes },
          ),
        )
      }
      if (failed) return reject(ezklFailure(failed.step, failed.error ?? 'failed', output, modelOps))
      // No failed event: the interpreter itself died (a Rust panic aborts, a signal, an import error).
      const tail = output.trim().split('\n').slice(-15).join('\n')
      reject(new ZkSetupError('ezklFailed', `the EZKL setup script exited with ${signal ?? `code ${code}`}:\n${tail}`))
    })
  })
}
