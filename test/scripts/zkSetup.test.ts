/**
 * The ZK setup (scripts/zk/zkSetup.ts + zk_setup.py) with the real EZKL 21 (the project venv)
 * on models built in code: the risk scorer's artefacts, checked by @ezkljs/engine (the prover
 * and verifier the node uses); the SRS cache; and every refusal: an operator EZKL cannot prove
 * (named), a circuit over the logrows limit (sized), inputs a circuit cannot take.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import * as ezkl from '@ezkljs/engine'
import { buildRiskScorer } from '../../scripts/models/exampleModels.ts'
import { buildMlp } from '../../scripts/models/modelFactory.ts'
import { OnnxBuilder } from '../../scripts/models/onnxBuilder.ts'
import {
  DEFAULT_MAX_LOGROWS,
  formatZkProgress,
  ZK_ARTEFACT_NAMES,
  ZK_STEPS,
  type ZkSetupProgress,
  zkSetup,
} from '../../scripts/zk/zkSetup.ts'
import { ZkSetupError, type ZkSetupErrorKind } from '../../scripts/zk/zkSetupError.ts'

const home = mkdtempSync(join(tmpdir(), 'pipe-zk-home-'))
after(() => rmSync(home, { recursive: true, force: true }))

const clamped = (b: Uint8Array): Uint8ClampedArray => new Uint8ClampedArray(b.buffer, b.byteOffset, b.byteLength)

async function refused(promise: Promise<unknown>, kind: ZkSetupErrorKind, message: RegExp): Promise<ZkSetupError> {
  let caught: unknown
  await assert.rejects(promise, (err: unknown) => {
    caught = err
    return true
  })
  assert.ok(caught instanceof ZkSetupError, `expected a ZkSetupError, got ${(caught as Error).stack}`)
  assert.equal(caught.kind, kind, caught.message)
  assert.match(caught.message, message)
  return caught
}

/** A one-operator model `x [1, 4] → y`. */
function oneOp(op: string, attrs: Record<string, number> = {}, extra?: (m: OnnxBuilder) => string[]): Uint8Array {
  const m = new OnnxBuilder({ opset: 13 })
  m.input('x', 'float32', [1, 4]).output('y', 'float32', [1, 4])
  m.node(op, ['x', ...(extra?.(m) ?? [])], ['y'], attrs)
  return m.build()
}

test('the risk scorer: every artefact, logrows 10 thanks to the 128×4 decomposition, a proof @ezkljs/engine checks and makes', async () => {
  const progress: ZkSetupProgress[] = []
  const zk = await zkSetup(buildRiskScorer(), { home, onProgress: (p) => progress.push(p) })

  assert.deepEqual(Object.keys(zk.files).sort(), [...ZK_ARTEFACT_NAMES])
  for (const name of ZK_ARTEFACT_NAMES) assert.ok(zk.files[name].length > 0, name)
  assert.deepEqual(zk.verifyingKeyHash, Uint8Array.from(createHash('sha256').update(zk.files.verifying_key).digest()))
  assert.equal(zk.logrows, 10)
  const settings = JSON.parse(new TextDecoder().decode(zk.files.settings)) as { run_args: Record<string, unknown> }
  assert.equal(settings.run_args.logrows, 10)
  assert.equal(settings.run_args.decomp_base, 128)
  assert.equal(settings.run_args.decomp_legs, 4)
  assert.equal(settings.run_args.input_visibility, 'Public')
  assert.equal(settings.run_args.output_visibility, 'Public')
  assert.equal(settings.run_args.param_visibility, 'Fixed')
  assert.deepEqual(settings.run_args.variables, [['batch', 1]])

  // Every step reported, start then done, in order.
  assert.deepEqual(
    progress.map((p) => `${p.index}/${p.total} ${p.step} ${p.status}`),
    ZK_STEPS.flatMap((s, i) => [`${i + 1}/8 ${s} start`, `${i + 1}/8 ${s} done`]),
  )
  const calibrated = progress.find((p) => p.step === 'calibrate' && p.status === 'done')!
  assert.match(formatZkProgress(calibrated), /^\[zk 2\/8\] calibrate done in \d+\.\d s: logrows 10 \(input scale \d+, param scale \d+\)$/)

  // The sample input: 4 features, the first of the generated calibration samples.
  assert.equal(zk.sample.input.input_data[0]!.length, 4)
  assert.deepEqual(zk.sample.input.input_data[0], zk.calibration.input_data[0]!.slice(0, 4))

  // The engine the node proves and verifies with accepts the Python setup's proof and artefacts…
  const srs = clamped(zk.files.srs)
  assert.equal(ezkl.verify(clamped(zk.sample.proof), clamped(zk.files.verifying_key), clamped(zk.files.settings), srs), true)
  // …and proves with them.
  const input = clamped(new TextEncoder().encode(JSON.stringify(zk.sample.input)))
  const witness = ezkl.genWitness(clamped(zk.files.compiled_circuit), input)
  const proof = ezkl.prove(clamped(witness), clamped(zk.files.proving_key), clamped(zk.files.compiled_circuit), srs)
  assert.equal(ezkl.verify(clamped(proof), clamped(zk.files.verifying_key), clamped(zk.files.settings), srs), true)
})

test('the SRS is generated once per logrows under <home>/zk/srs and reused; calibration data given is used as is', async () => {
  const progress: ZkSetupProgress[] = []
  const calibration = { input_data: [[0.5, -0.5, 0.25, 1, 0, 0.125, -1, 0.75]] }
  const zk = await zkSetup(buildRiskScorer(), { home, calibration, onProgress: (p) => progress.push(p) })
  const srsStep = progress.find((p) => p.step === 'srs' && p.status === 'done')!
  assert.equal(srsStep.detail?.cached, true, 'made by the first test')
  assert.equal(srsStep.detail?.path, join(home, 'zk', 'srs', `kzg${zk.logrows}.srs`))
  assert.ok(existsSync(join(home, 'zk', 'srs', `kzg${zk.logrows}.srs`)))
  assert.deepEqual(zk.calibration, calibration)
  assert.deepEqual(zk.sample.input, { input_data: [[0.5, -0.5, 0.25, 1]] })
})

test('an operator EZKL has no circuit for is refused, named: Det (tract: Unimplemented) and Mod (tract: "Unknown op: Rem")', async () => {
  const det = new OnnxBuilder({ opset: 13 })
  det.input('x', 'float32', [2, 2]).output('y', 'float32', [])
  det.node('Det', ['x'], ['y'])
  const e1 = await refused(zkSetup(det.build(), { home }), 'unsupportedOperator', /^EZKL cannot prove operator Det \(node "Det_0"\)/)
  assert.equal(e1.detail.operator, 'Det')
  const mod = oneOp('Mod', { fmod: 1 }, (m) => {
    m.initializer('d', [1], [3])
    return ['d']
  })
  const e2 = await refused(zkSetup(mod, { home }), 'unsupportedOperator', /^EZKL cannot prove operator Mod: EZKL 21 has no circuit for it/)
  assert.equal(e2.detail.operator, 'Mod')
})

test('a circuit over the logrows limit is refused with its size: the limit given, and the default 17 (a 512×512 MLP needs 18)', async () => {
  const small = await refused(
    zkSetup(buildRiskScorer(), { home, maxLogrows: 9 }),
    'tooLarge',
    /^the model's circuit needs 2\^10 rows \(logrows 10\), over the limit of 2\^9 \(logrows 9\)/,
  )
  assert.deepEqual(small.detail, { logrows: 10, maxLogrows: 9 })
  assert.equal(DEFAULT_MAX_LOGROWS, 17)
  const big = await refused(
    zkSetup(buildMlp({ inputs: 512, hidden: 512, outputs: 1 }), { home }),
    'tooLarge',
    /needs 2\^18 rows \(logrows 18\), over the limit of 2\^17 \(logrows 17\)/,
  )
  assert.equal(big.detail.logrows, 18)
  assert.equal(existsSync(join(home, 'zk', 'srs', 'kzg18.srs')), false, 'refused before any SRS or key was made')
})

test('a key over the hub’s artefact limit is refused with its size, before the self-check', async () => {
  const progress: ZkSetupProgress[] = []
  const err = await refused(
    zkSetup(buildRiskScorer(), { home, maxArtefactBytes: 1024 * 1024, onProgress: (p) => progress.push(p) }),
    'tooLarge',
    /^the model's proving key is 4\.9 MiB \(\d+ bytes\), over the hub's artefact limit of 1 MiB \(1048576 bytes\) \(the circuit has 2\^10 rows\)/,
  )
  assert.equal(err.detail.artefact, 'proving_key')
  assert.ok(!progress.some((p) => p.step === 'prove'), 'no self-check proof was made')
})

test('inputs a circuit cannot take are refused before EZKL runs: strings, unknown dims, no inputs', async () => {
  const text = new OnnxBuilder({ opset: 13 })
  text.input('s', 'string', [1]).output('y', 'string', [1])
  text.node('Identity', ['s'], ['y'])
  await refused(zkSetup(text.build(), { home }), 'unsupportedInput', /^input "s" is string; EZKL circuits take numeric tensors only$/)
  const unknown = new OnnxBuilder({ opset: 13 })
  unknown.input('x', 'float32', [-1, 4]).output('y', 'float32', [-1, 4])
  unknown.node('Relu', ['x'], ['y'])
  await refused(zkSetup(unknown.build(), { home }), 'unsupportedInput', /^input "x" has an unknown dim 0 \(no size, no name\)/)
  const none = new OnnxBuilder({ opset: 13 })
  none.output('y', 'float32', [1])
  none.initializer('c', [1], [1])
  none.node('Identity', ['c'], ['y'])
  await refused(zkSetup(none.build(), { home }), 'unsupportedInput', /^the model has no inputs/)
})
