import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { modelCid } from '../../app/modelHub/cid.ts'
import { ModelHubServer } from '../../app/modelHub/modelHubServer.ts'
import type { ModelMetadata } from '../../app/modelHub/modelMetadata.ts'
import { ModelStore } from '../../app/modelHub/modelStore.ts'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const PIPE = join(REPO, 'scripts/pipe.mjs')
const SCORER = join(REPO, 'models/risk-scorer.onnx')

let dir: string
let hub: ModelHubServer
let deadUrl: string

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pipe-cli-'))
  hub = new ModelHubServer(new ModelStore({ dir: join(dir, 'store') }))
  await hub.listen('127.0.0.1:0')
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  deadUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`
  await new Promise((resolve) => probe.close(resolve))
})

after(async () => {
  await hub.close()
  await rm(dir, { recursive: true, force: true })
})

/** Runs the real CLI in a child process (asynchronously: this process serves the hub meanwhile). */
function pipe(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env }
  delete env.PIPE_NODE
  return new Promise((resolve) => {
    execFile(process.execPath, [PIPE, ...args], { cwd: REPO, env }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

test('pipe model upload prints the CID and the inputs/outputs table; a second upload says it was there', async () => {
  const cid = await modelCid(await readFile(SCORER))
  const first = await pipe('model', 'upload', SCORER, '--node', hub.url)
  assert.equal(first.code, 0, first.stderr)
  assert.equal(first.stderr, '')
  assert.match(first.stdout, new RegExp(`^uploaded ${SCORER.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} → ${hub.url}\n`))
  assert.match(first.stdout, new RegExp(`^cid +${cid}$`, 'm'))
  assert.match(first.stdout, /^opset +13 \(IR version 7\)$/m)
  assert.match(first.stdout, /^batchable +yes$/m)
  assert.match(first.stdout, /^ +name +type +shape$/m)
  assert.match(first.stdout, /^input +features +float32 +\[batch, 4\]$/m)
  assert.match(first.stdout, /^output +score +float32 +\[batch, 1\]$/m)

  const second = await pipe('model', 'upload', SCORER, `--node=${hub.url}/`)
  assert.equal(second.code, 0, second.stderr)
  assert.match(second.stdout, /^already on the node: /)
})

test('pipe model info prints the metadata; --json prints it as JSON', async () => {
  const res = await fetch(`${hub.url}/v1/models`, { method: 'PUT', body: await readFile(join(REPO, 'models/types-echo.onnx')) })
  const metadata = (await res.json()) as ModelMetadata
  const info = await pipe('model', 'info', metadata.cid, '--node', hub.url)
  assert.equal(info.code, 0, info.stderr)
  assert.match(info.stdout, new RegExp(`^cid +${metadata.cid}$`, 'm'))
  assert.match(info.stdout, /^batchable +no$/m)
  for (const [name, type] of [
    ['f32', 'float32'],
    ['f64', 'float64'],
    ['i32', 'int32'],
    ['i64', 'int64'],
    ['s', 'string'],
  ]) {
    assert.match(info.stdout, new RegExp(`^input +${name} +${type} +\\[2\\]$`, 'm'))
    assert.match(info.stdout, new RegExp(`^output +${name}_out +${type} +\\[2\\]$`, 'm'))
  }
  const json = await pipe('model', 'info', metadata.cid, '--node', hub.url, '--json')
  assert.equal(json.code, 0, json.stderr)
  assert.deepEqual(JSON.parse(json.stdout), metadata)

  const list = await pipe('model', 'list', '--node', hub.url, '--json')
  assert.equal(list.code, 0, list.stderr)
  assert.ok((JSON.parse(list.stdout) as ModelMetadata[]).some((m) => m.cid === metadata.cid))
})

test('failures exit 1 with a message naming the problem', async () => {
  const missing = await pipe('model', 'upload', join(dir, 'nope.onnx'), '--node', hub.url)
  assert.equal(missing.code, 1)
  assert.equal(missing.stderr, `pipe: cannot read ${join(dir, 'nope.onnx')}: no such file\n`)

  const unreachable = await pipe('model', 'upload', SCORER, '--node', deadUrl)
  assert.equal(unreachable.code, 1)
  assert.match(unreachable.stderr, new RegExp(`^pipe: cannot reach the PIPE node at ${deadUrl} \\(ECONNREFUSED\\); is it running\\?`))

  const notOnnx = join(dir, 'notes.onnx')
  await writeFile(notOnnx, 'these are notes, not a model')
  const refused = await pipe('model', 'upload', notOnnx, '--node', hub.url)
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /^pipe: the node refused the model: not an ONNX model: .*\[modelhub\/3, HTTP 400\]\n$/)

  const unknown = await modelCid(new TextEncoder().encode('never uploaded'))
  const notFound = await pipe('model', 'info', unknown, '--node', hub.url)
  assert.equal(notFound.code, 1)
  assert.match(notFound.stderr, new RegExp(`^pipe: the node cannot show ${unknown}: model not found: .*\\[modelhub/14, HTTP 404\\]\n$`))

  const badCid = await pipe('model', 'info', 'bafkreinotacid', '--node', hub.url)
  assert.equal(badCid.code, 1)
  assert.match(badCid.stderr, /^pipe: invalid model CID: "bafkreinotacid" is not a CID/)

  // Something that is not a PIPE REST port: a plain server answering text.
  const other = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('nope'))
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
  try {
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`
    const wrongPort = await pipe('model', 'info', unknown, '--node', url)
    assert.equal(wrongPort.code, 1)
    assert.match(wrongPort.stderr, /answered 404 Not Found with a body that is not JSON; is it the REST address of a PIPE node/)
  } finally {
    await new Promise((resolve) => other.close(resolve))
  }
})

test('usage errors exit 2 and print the usage; --help exits 0', async () => {
  const help = await pipe('--help')
  assert.equal(help.code, 0)
  assert.match(help.stdout, /^usage: pipe model <command> \[options\]/)
  assert.match(help.stdout, /pipe model upload <file\.onnx>/)

  const cases: [string[], RegExp][] = [
    [[], /^pipe: missing command\n/],
    [['frobnicate'], /^pipe: unknown command "frobnicate" \(model, inference or proof\)\n/],
    [['inference', 'show', '0x00'], /^pipe: pipe inference takes one command: pipe inference get <id>\n/],
    [['proof', 'verify'], /^pipe: pipe proof verify needs one inference id\n/],
    [['proof', 'verify', '0x01', '0x02'], /^pipe: pipe proof verify needs one inference id\n/],
    [['model'], /^pipe: missing model command \(upload, info, list or register\)\n/],
    [['model', 'register'], /^pipe: pipe model register needs a CID: pipe model register <cid>\n/],
    [['model', 'register', 'bafkrei', '--key', '0x12'], /^pipe: --key must be 32 bytes of hex\n/],
    [['model', 'register', 'bafkrei', '--dev-account', 'x'], /^pipe: --dev-account "x" must be an index 0-99\n/],
    [['model', 'register', 'bafkrei', '--dev-account', '0', '--key', '00'], /^pipe: give --key or --dev-account, not both\n/],
    [
      ['model', 'register', 'bafkrei', '--dev-account', '0', '--modes', 'zkml,zkml'],
      /^pipe: --modes: invalid verification modes: ZKML is listed twice\n/,
    ],
    [['model', 'register', 'bafkrei', '--dev-account', '0', '--artefact', 'novalue'], /^pipe: --artefact "novalue" must be name=cid\n/],
    [
      ['model', 'register', 'bafkrei', '--dev-account', '0', '--comet', 'tcp://x'],
      /^pipe: --comet "tcp:\/\/x" must be an http:\/\/ or https:\/\/ URL/,
    ],
    [['model', 'delete', 'x'], /^pipe: unknown model command "delete"/],
    [['model', 'upload'], /^pipe: pipe model upload needs a file: pipe model upload <file\.onnx>\n/],
    [['model', 'info', 'a', 'b'], /^pipe: unexpected argument "b"\n/],
    [['model', 'info', 'x', '--nod', 'y'], /^pipe: Unknown option '--nod'/],
    [['model', 'list', '--node', 'localhost'], /^pipe: --node "localhost" is not a URL/],
    [['model', 'list', '--node', 'ftp://host'], /^pipe: --node "ftp:\/\/host" must be an http:\/\/ or https:\/\/ URL/],
  ]
  for (const [args, message] of cases) {
    const r = await pipe(...args)
    assert.equal(r.code, 2, `pipe ${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, message)
    assert.match(r.stderr, /usage: pipe model <command>/)
    assert.equal(r.stdout, '')
  }
})
