/**
 * `npx pipe model register <cid> --zk` end to end: the real CLI in a child process, the real
 * EZKL setup (project venv), a real node (cometbft + pipe node): the artefacts land in the
 * node's hub, the registry holds ZKML with the verifying key's hash and the artefact CIDs. A
 * model EZKL cannot prove, a bad calibration file and a second registration are refused with
 * their reasons, and nothing is registered or uploaded for them.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { QueryClient } from '@cosmjs/stargate'
import { connectComet } from '@cosmjs/tendermint-rpc'
import { modelCid } from '../../app/modelHub/cid.ts'
import { toBech32Address } from '../../app/modules/auth/address.ts'
import { devAccounts } from '../../app/modules/evm/devAccounts.ts'
import { QueryModelRequest, QueryModelResponse } from '../../app/proto/pipe/inference/v1/query.ts'
import { VerificationMode } from '../../app/proto/pipe/inference/v1/types.ts'
import { OnnxBuilder } from '../../scripts/models/onnxBuilder.ts'
import { PORT_OFFSETS, startTestChain, type TestChain } from '../support/testChain.ts'

let chain: TestChain
let rest: string
let home: string
const owner = toBech32Address(Buffer.from(devAccounts(3)[2]!.address.slice(2), 'hex'))

before(async () => {
  chain = await startTestChain({ name: 'zk-register', portOffset: PORT_OFFSETS.zkRegister })
  rest = chain.net.endpoints(0).rest
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-zk-cli-home-'))
})
after(async () => {
  await chain?.stop()
  if (home) fs.rmSync(home, { recursive: true, force: true })
})

async function upload(bytes: Uint8Array): Promise<string> {
  const res = await fetch(`${rest}/v1/models`, { method: 'PUT', body: bytes })
  assert.ok(res.status === 201 || res.status === 200, `upload: ${res.status} ${await res.clone().text()}`)
  return ((await res.json()) as { cid: string }).cid
}

/** Runs the real `pipe` CLI in a child process. */
function pipeCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env }
  delete env.PIPE_KEY
  delete env.PIPE_COMET
  delete env.PIPE_NODE
  return new Promise((resolve) => {
    execFile(process.execPath, ['scripts/pipe.mjs', ...args], { env, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr })
    })
  })
}

const zkArgs = (cid: string, ...more: string[]) => [
  'model',
  'register',
  cid,
  '--zk',
  '--dev-account',
  '2',
  '--node',
  rest,
  '--comet',
  chain.comet(),
  '--home',
  home,
  ...more,
]

async function registered(cid: string): Promise<QueryModelResponse | undefined> {
  const query = QueryClient.withExtensions(await connectComet(chain.comet()))
  try {
    return QueryModelResponse.decode(
      (await query.queryAbci('/pipe.inference.v1.Query/Model', QueryModelRequest.encode({ cid }).finish())).value,
    )
  } catch (err) {
    if (/is not registered/.test((err as Error).message)) return undefined
    throw err
  }
}

test('pipe model register --zk: setup with progress, artefacts in the hub, ZKML + VANILLA registered with the key hash and CIDs', async () => {
  const cid = await upload(fs.readFileSync('models/risk-scorer.onnx'))
  const run = await pipeCli(...zkArgs(cid))
  assert.equal(run.code, 0, run.stderr + run.stdout)
  for (const step of ['settings', 'calibrate', 'compile', 'srs', 'keys', 'witness', 'prove', 'verify']) {
    assert.match(run.stdout, new RegExp(`^\\[zk \\d/8\\] ${step}: .*…$`, 'm'), `${step} started`)
    assert.match(run.stdout, new RegExp(`^\\[zk \\d/8\\] ${step} done in \\d+\\.\\d s`, 'm'), `${step} done`)
  }
  assert.match(run.stdout, /^\[zk 2\/8\] calibrate done in .*: logrows 10 /m)
  assert.match(run.stdout, new RegExp(`^\\[zk 4/8\\] srs done in .*: generated ${home}/zk/srs/kzg10\\.srs`, 'm'))
  assert.match(run.stdout, new RegExp(`^registered ${cid} for VANILLA, ZKML by ${owner}$`, 'm'))

  const model = (await registered(cid))?.model
  assert.ok(model, 'registered')
  assert.deepEqual(model.modes, [VerificationMode.VERIFICATION_MODE_VANILLA, VerificationMode.VERIFICATION_MODE_ZKML])
  assert.equal(model.owner, owner)
  assert.deepEqual(
    model.artefacts.map((a) => a.name),
    ['compiled_circuit', 'proving_key', 'settings', 'srs', 'verifying_key'],
  )
  for (const a of model.artefacts) {
    const res = await fetch(`${rest}/v1/artefacts/${a.cid}`)
    assert.equal(res.status, 200, a.name)
    const bytes = new Uint8Array(await res.arrayBuffer())
    assert.equal(await modelCid(bytes), a.cid, `${a.name} is content-addressed`)
    assert.match(run.stdout, new RegExp(`^\\[zk\\] uploaded ${a.name} \\(${bytes.length} bytes\\) → ${a.cid}`, 'm'))
    if (a.name === 'verifying_key') assert.deepEqual(model.zkVerifyingKeyHash, Uint8Array.from(createHash('sha256').update(bytes).digest()))
  }

  // Registered already: refused before any setup is run.
  const again = await pipeCli(...zkArgs(cid))
  assert.equal(again.code, 1)
  assert.equal(again.stderr, `pipe: ${cid} is registered already; a model's modes are set once, at its registration\n`)
  assert.doesNotMatch(again.stdout, /\[zk/)
})

test('a model EZKL cannot prove is refused naming the operator; nothing is uploaded or registered', async () => {
  const m = new OnnxBuilder({ opset: 13 })
  m.input('x', 'float32', [2, 2]).output('y', 'float32', [])
  m.node('Det', ['x'], ['y'])
  const cid = await upload(m.build())
  const run = await pipeCli(...zkArgs(cid))
  assert.equal(run.code, 1, run.stdout)
  assert.match(run.stderr, new RegExp(`^pipe: ${cid} cannot be registered for ZKML: EZKL cannot prove operator Det \\(node "Det_0"\\)`))
  assert.match(run.stdout, /^\[zk 1\/8\] settings: generating circuit settings…$/m)
  assert.doesNotMatch(run.stdout, /uploaded/)
  assert.equal(await registered(cid), undefined)
})

test('--calibration: a bad file is refused before the setup; a good one is used; usage errors exit 2', async () => {
  const m = new OnnxBuilder({ opset: 13 })
  m.input('x', 'float32', ['batch', 3]).output('y', 'float32', ['batch', 3])
  m.node('Relu', ['x'], ['y'])
  const cid = await upload(m.build())
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-zk-cal-'))
  try {
    const bad = path.join(dir, 'bad.json')
    fs.writeFileSync(bad, JSON.stringify({ input_data: [[1, 2, 3, 4]] }))
    const refused = await pipeCli(...zkArgs(cid, '--calibration', bad))
    assert.equal(refused.code, 1)
    assert.match(
      refused.stderr,
      /^pipe: --calibration .*bad\.json: input_data\[0\] \("x", shape \[1, 3\]\) has 4 numbers, not a whole number of samples of 3\n$/,
    )
    const missing = await pipeCli(...zkArgs(cid, '--calibration', path.join(dir, 'none.json')))
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /^pipe: cannot read --calibration .*none\.json: no such file\n$/)
    assert.equal(await registered(cid), undefined)

    const good = path.join(dir, 'good.json')
    fs.writeFileSync(good, JSON.stringify({ input_data: [[0.5, -1, 2, 1, 0, -0.5]] }))
    const run = await pipeCli(...zkArgs(cid, '--calibration', good, '--modes', 'tee', '--json'))
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stderr, new RegExp(`^ZK setup of ${cid} \\(\\d+ bytes\\) with EZKL: .*good\\.json calibration data$`, 'm'))
    assert.match(run.stderr, /^\[zk 8\/8\] verify done/m, 'progress on stderr with --json')
    assert.deepEqual((JSON.parse(run.stdout) as { modes: string[] }).modes, ['ZKML', 'TEE'], '--zk adds ZKML to the modes given')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }

  const withHash = await pipeCli(...zkArgs(cid, '--zk-vk-hash', '00'.repeat(32)))
  assert.equal(withHash.code, 2)
  assert.match(withHash.stderr, /^pipe: --zk makes the verifying key and the artefacts itself: leave out --zk-vk-hash and --artefact\n/)
  const noZk = await pipeCli('model', 'register', cid, '--dev-account', '2', '--calibration', 'x.json', '--comet', chain.comet())
  assert.equal(noZk.code, 2)
  assert.match(noZk.stderr, /^pipe: --calibration and --home go with --zk\n/)
})
