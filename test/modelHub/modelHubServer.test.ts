import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { modelCid } from '../../app/modelHub/cid.ts'
import { ModelHubServer } from '../../app/modelHub/modelHubServer.ts'
import type { ModelMetadata } from '../../app/modelHub/modelMetadata.ts'
import { ModelStore, type ModelStoreOptions } from '../../app/modelHub/modelStore.ts'
import { buildRiskAdjuster, buildRiskScorer, buildTypesEcho } from '../../scripts/models/exampleModels.ts'
import { OnnxBuilder } from '../../scripts/models/onnxBuilder.ts'

const cleanups: (() => Promise<void>)[] = []
after(async () => {
  for (const c of cleanups.reverse()) await c()
})

async function newStore(opts: Partial<ModelStoreOptions> = {}): Promise<ModelStore> {
  const dir = await mkdtemp(join(tmpdir(), 'pipe-model-hub-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  return new ModelStore({ dir, ...opts })
}

async function startHub(store: ModelStore, at = 'http://127.0.0.1:0', opts: { maxBodyBytes?: number } = {}): Promise<ModelHubServer> {
  const hub = new ModelHubServer(store, opts)
  await hub.listen(at)
  cleanups.push(() => hub.close())
  return hub
}

/** A plain HTTP server standing in for a broken peer; records what it was asked. */
async function fakePeer(
  answer: (url: string) => { status: number; body: Uint8Array },
): Promise<{ url: string; requests: { url: string; headers: IncomingHttpHeaders }[] }> {
  const requests: { url: string; headers: IncomingHttpHeaders }[] = []
  const server: Server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers })
    const { status, body } = answer(req.url ?? '')
    res.writeHead(status, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }
}

/** A port nothing listens on: bound, then released. */
async function closedPortUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}`
}

async function expectError(res: Response, status: number, code: number, message: RegExp): Promise<void> {
  const body = (await res.json()) as { error: { code: number; codespace: string; message: string } }
  assert.equal(res.status, status, JSON.stringify(body))
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
  assert.equal(body.error.codespace, 'modelhub')
  assert.equal(body.error.code, code)
  assert.match(body.error.message, message)
}

test('PUT /v1/models stores a model (201, then 200); GET serves its metadata, its bytes and the list', async () => {
  const store = await newStore()
  const hub = await startHub(store)
  const bytes = buildRiskScorer()
  const cid = await modelCid(bytes)

  const created = await fetch(`${hub.url}/v1/models`, { method: 'PUT', body: bytes })
  assert.equal(created.status, 201)
  const metadata = (await created.json()) as ModelMetadata
  assert.equal(metadata.cid, cid)
  assert.deepEqual(metadata.inputs, [{ name: 'features', type: 'float32', shape: ['batch', 4] }])
  assert.deepEqual(metadata.outputs, [{ name: 'score', type: 'float32', shape: ['batch', 1] }])
  assert.equal(metadata.batchable, true)
  assert.deepEqual(metadata, await store.metadata(cid))

  const again = await fetch(`${hub.url}/v1/models`, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/x-onnx' } })
  assert.equal(again.status, 200)
  assert.deepEqual(await again.json(), metadata)

  const info = await fetch(`${hub.url}/v1/models/${cid}`)
  assert.equal(info.status, 200)
  assert.deepEqual(await info.json(), metadata)

  const raw = await fetch(`${hub.url}/v1/models/${cid}/raw`)
  assert.equal(raw.status, 200)
  assert.equal(raw.headers.get('content-type'), 'application/octet-stream')
  assert.equal(raw.headers.get('content-length'), String(bytes.length))
  assert.deepEqual(new Uint8Array(await raw.arrayBuffer()), bytes)

  const head = await fetch(`${hub.url}/v1/models/${cid}/raw`, { method: 'HEAD' })
  assert.equal(head.status, 200)
  assert.equal(head.headers.get('content-length'), String(bytes.length))

  await fetch(`${hub.url}/v1/models`, { method: 'PUT', body: buildRiskAdjuster() })
  const list = (await (await fetch(`${hub.url}/v1/models`)).json()) as { models: ModelMetadata[] }
  assert.deepEqual(
    list.models.map((m) => m.cid),
    [cid, await modelCid(buildRiskAdjuster())].sort(),
  )

  const health = await fetch(`${hub.url}/health`)
  assert.equal(health.status, 200)
  assert.deepEqual(await health.json(), { status: 'ok' })
})

test('refused uploads answer 400/413 with the error code and message, and store nothing', async () => {
  const store = await newStore()
  const hub = await startHub(store, undefined, { maxBodyBytes: 1000 })
  const put = (body: Uint8Array): Promise<Response> => fetch(`${hub.url}/v1/models`, { method: 'PUT', body })

  await expectError(await put(new Uint8Array(0)), 400, 1, /^model is empty/)
  await expectError(await put(new TextEncoder().encode('hello world')), 400, 3, /^not an ONNX model/)
  await expectError(
    await put(new OnnxBuilder({ opset: 30 }).input('x', 'float32', [1]).output('y', 'float32', [1]).node('Relu', ['x'], ['y']).build()),
    400,
    4,
    /opset 30 is outside 7–26/,
  )
  await expectError(
    await put(new OnnxBuilder({ opset: 13 }).input('x', 'float32', [1]).output('y', 'float32', [1]).node('NoSuchOp', ['x'], ['y']).build()),
    400,
    10,
    /No Op registered for NoSuchOp/,
  )
  const failing = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [2]).output('y', 'float32', [3])
  failing.initializer('shape', [1], [3n], 'int64').node('Reshape', ['x', 'shape'], ['y'])
  await expectError(await put(failing.build()), 400, 11, /^probe inference failed: .*cannot be reshaped/)

  // Over the body limit: announced by Content-Length, and streamed without one.
  await expectError(
    await put(new Uint8Array(5000)),
    413,
    2,
    /the request body has 4\.9 KiB \(5000 bytes\), over this node's limit of 1000 bytes/,
  )
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < 20; i++) controller.enqueue(new Uint8Array(500))
      controller.close()
    },
  })
  const streamed = await fetch(`${hub.url}/v1/models`, { method: 'PUT', body: stream, duplex: 'half' } as RequestInit)
  await expectError(streamed, 413, 2, /the request body passed this node's limit of 1000 bytes/)

  assert.deepEqual(await readdir(store.dir), [])
  // The server still works after refusing a streamed upload halfway.
  assert.equal((await fetch(`${hub.url}/health`)).status, 200)
})

test('bad CIDs, unknown models, unknown routes and wrong methods get 400, 404 and 405', async () => {
  const store = await newStore()
  const hub = await startHub(store)
  const unknown = await modelCid(new TextEncoder().encode('nobody uploaded this'))

  await expectError(await fetch(`${hub.url}/v1/models/not-a-cid`), 400, 13, /"not-a-cid" is not a CID/)
  await expectError(await fetch(`${hub.url}/v1/models/QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG/raw`), 400, 13, /CIDv0/)
  await expectError(await fetch(`${hub.url}/v1/models/${unknown}`), 404, 14, new RegExp(`no model with CID ${unknown}`))
  await expectError(await fetch(`${hub.url}/v1/models/${unknown}/raw`), 404, 14, /^model not found/)
  await expectError(await fetch(`${hub.url}/v2/things`), 404, 20, /^no such route: GET \/v2\/things; routes: /)

  const del = await fetch(`${hub.url}/v1/models`, { method: 'DELETE' })
  assert.equal(del.headers.get('allow'), 'GET, PUT, HEAD')
  await expectError(del, 405, 21, /DELETE is not allowed on this route; use GET or PUT/)
  const post = await fetch(`${hub.url}/v1/models/${unknown}`, { method: 'POST', body: 'x' })
  assert.equal(post.headers.get('allow'), 'GET, HEAD')
  await expectError(post, 405, 21, /POST is not allowed/)
})

test('a node missing a model fetches it from a peer, checks it and stores it', async () => {
  const a = await newStore()
  const hubA = await startHub(a)
  const { metadata } = await a.put(buildTypesEcho())
  const b = await newStore({ peers: [`${hubA.url}/`] })
  const hubB = await startHub(b)

  const res = await fetch(`${hubB.url}/v1/models/${metadata.cid}`)
  assert.equal(res.status, 200)
  const fetched = (await res.json()) as ModelMetadata
  assert.deepEqual({ ...fetched, costMicros: 0 }, { ...metadata, costMicros: 0 }, 'same model, cost measured by B itself')
  assert.deepEqual((await readdir(b.dir)).sort(), [`${metadata.cid}.json`, `${metadata.cid}.onnx`])
  const raw = await fetch(`${hubB.url}/v1/models/${metadata.cid}/raw`)
  assert.deepEqual(new Uint8Array(await raw.arrayBuffer()), buildTypesEcho())
})

test('a peer serving bytes that do not hash to the CID is skipped; the next peer is used', async () => {
  const good = await newStore()
  const goodHub = await startHub(good)
  const { metadata } = await good.put(buildRiskScorer())
  // A valid model, but not the one asked for.
  const liar = await fakePeer(() => ({ status: 200, body: buildRiskAdjuster() }))
  const unreachable = await closedPortUrl()

  const onlyLiar = await newStore({ peers: [liar.url] })
  assert.equal(await onlyLiar.metadata(metadata.cid), undefined)
  assert.deepEqual(await readdir(onlyLiar.dir), [], 'the wrong bytes were not stored')
  assert.deepEqual(
    liar.requests.map((r) => r.url),
    [`/v1/models/${metadata.cid}/raw`],
  )

  const store = await newStore({ peers: [unreachable, liar.url, goodHub.url] })
  const got = await store.metadata(metadata.cid)
  assert.equal(got?.cid, metadata.cid)
  assert.equal(liar.requests.length, 2, 'the liar was asked before the good peer')
  assert.deepEqual(new Uint8Array((await store.bytes(metadata.cid))!), buildRiskScorer())
})

test('peers that lack a model answer from their own store only, so two nodes never ask each other in a loop', async () => {
  const missing = await modelCid(new TextEncoder().encode('a model nobody has'))
  const recorder = await fakePeer(() => ({ status: 404, body: new Uint8Array(0) }))
  // Two real nodes peering each other (ports picked first, so each can name the other), plus a
  // recorder after them to see who asks.
  const [urlA, urlB] = [await closedPortUrl(), await closedPortUrl()]
  const hubA = await startHub(await newStore({ peers: [urlB, recorder.url] }), urlA)
  await startHub(await newStore({ peers: [urlA, recorder.url] }), urlB)

  const res = await fetch(`${hubA.url}/v1/models/${missing}`)
  await expectError(res, 404, 14, /on this node or its peers/)
  // A asked B (local only: B did not ask anyone) and the recorder; nobody asked A back.
  assert.equal(recorder.requests.length, 1)
  assert.equal(recorder.requests[0]!.headers['x-pipe-local-only'], '1')
})
