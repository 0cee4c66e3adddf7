/**
 * Artefacts in the model hub (app/modelHub/artefactStore.ts, ModelStore.putArtefact/artefact,
 * REST PUT /v1/artefacts and GET /v1/artefacts/{cid}): any bytes, stored under their CID,
 * fetched from peers and checked against the CID, refused when empty or over the size limit.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import type { ErrorKind } from '../../app/errors.ts'
import { DEFAULT_MAX_ARTEFACT_BYTES } from '../../app/modelHub/artefactStore.ts'
import { modelCid } from '../../app/modelHub/cid.ts'
import { ErrArtefactEmpty, ErrArtefactTooLarge, ErrInvalidCid } from '../../app/modelHub/errors.ts'
import { ModelHubServer } from '../../app/modelHub/modelHubServer.ts'
import { ModelStore, type ModelStoreOptions } from '../../app/modelHub/modelStore.ts'
import { HubClient, HubRequestError } from '../../scripts/cli/hubClient.ts'

const cleanups: (() => Promise<void>)[] = []
after(async () => {
  for (const c of cleanups.reverse()) await c()
})

async function newStore(opts: Partial<ModelStoreOptions> = {}): Promise<ModelStore> {
  const dir = await mkdtemp(join(tmpdir(), 'pipe-artefacts-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  return new ModelStore({ dir, ...opts })
}

async function startHub(store: ModelStore, at = 'http://127.0.0.1:0'): Promise<ModelHubServer> {
  const hub = new ModelHubServer(store)
  await hub.listen(at)
  cleanups.push(() => hub.close())
  return hub
}

/** A plain HTTP server standing in for a peer that lies; records what it was asked. */
async function fakePeer(body: Uint8Array): Promise<{ url: string; requests: { url: string; headers: IncomingHttpHeaders }[] }> {
  const requests: { url: string; headers: IncomingHttpHeaders }[] = []
  const server: Server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers })
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }
}

async function rejectsWith(promise: Promise<unknown>, kind: ErrorKind, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(kind.is(err), `expected ${kind.codespace}/${kind.code}, got ${(err as Error).message}`)
    assert.match((err as Error).message, message)
    return true
  })
}

async function expectError(res: Response, status: number, code: number, message: RegExp): Promise<void> {
  const body = (await res.json()) as { error: { code: number; codespace: string; message: string } }
  assert.equal(res.status, status, JSON.stringify(body))
  assert.equal(body.error.codespace, 'modelhub')
  assert.equal(body.error.code, code)
  assert.match(body.error.message, message)
}

test('putArtefact stores any bytes under their CID (the models’ CID scheme) in <dir>/artefacts; artefact reads them back', async () => {
  const store = await newStore()
  const bytes = new TextEncoder().encode('{"run_args":{"logrows":10}}')
  const cid = await store.putArtefact(bytes)
  assert.equal(cid, await modelCid(bytes))
  assert.match(cid, /^bafkrei[a-z2-7]+$/)
  assert.deepEqual(await store.artefact(cid), Buffer.from(bytes))
  assert.deepEqual(await readFile(join(store.dir, 'artefacts', cid)), Buffer.from(bytes))
  assert.equal(await store.putArtefact(bytes), cid, 'idempotent')
  assert.deepEqual(await readdir(join(store.dir, 'artefacts')), [cid], 'one file, no temp files left')
  assert.deepEqual(await store.list(), [], 'artefacts are not models')
  assert.equal(await store.artefact(await modelCid(randomBytes(8))), undefined, 'unknown, no peers')
  assert.equal(store.maxArtefactBytes, DEFAULT_MAX_ARTEFACT_BYTES)
  assert.equal(DEFAULT_MAX_ARTEFACT_BYTES, 512 * 1024 * 1024)
})

test('putArtefact refuses empty and oversized artefacts and writes nothing; artefact refuses malformed CIDs', async () => {
  const store = await newStore({ maxArtefactBytes: 1000 })
  await rejectsWith(store.putArtefact(new Uint8Array(0)), ErrArtefactEmpty, /artefact is empty: the upload has 0 bytes/)
  await rejectsWith(
    store.putArtefact(new Uint8Array(1001)),
    ErrArtefactTooLarge,
    /artefact is too large: the artefact has 1001 bytes, over this node's limit of 1000 bytes/,
  )
  assert.equal((await store.putArtefact(new Uint8Array(1000))).length > 0, true, 'the limit itself is accepted')
  assert.equal((await readdir(join(store.dir, 'artefacts'))).length, 1)
  await rejectsWith(store.artefact('not-a-cid'), ErrInvalidCid, /"not-a-cid" is not a CID/)
  await rejectsWith(store.artefact('bafyreigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi'), ErrInvalidCid, /codec 0x71/)
})

test('REST: PUT /v1/artefacts answers 201 { cid, size } then 200; GET /v1/artefacts/{cid} serves the bytes; HubClient speaks both', async () => {
  const store = await newStore()
  const hub = await startHub(store)
  const bytes = randomBytes(300_000)
  const cid = await modelCid(bytes)
  const first = await fetch(`${hub.url}/v1/artefacts`, { method: 'PUT', body: bytes })
  assert.equal(first.status, 201)
  assert.deepEqual(await first.json(), { cid, size: bytes.length })
  const again = await fetch(`${hub.url}/v1/artefacts`, { method: 'PUT', body: bytes })
  assert.equal(again.status, 200)
  assert.deepEqual(await again.json(), { cid, size: bytes.length })
  const got = await fetch(`${hub.url}/v1/artefacts/${cid}`)
  assert.equal(got.status, 200)
  assert.equal(got.headers.get('content-type'), 'application/octet-stream')
  assert.equal(got.headers.get('content-length'), String(bytes.length))
  assert.equal(got.headers.get('etag'), `"${cid}"`)
  assert.deepEqual(Buffer.from(await got.arrayBuffer()), bytes)
  const head = await fetch(`${hub.url}/v1/artefacts/${cid}`, { method: 'HEAD' })
  assert.equal(head.status, 200)
  assert.equal(head.headers.get('content-length'), String(bytes.length))

  const client = new HubClient(hub.url)
  const other = randomBytes(100)
  assert.deepEqual(await client.putArtefact(other), { cid: await modelCid(other), size: 100, created: true })
  assert.deepEqual(await client.artefact(cid), Uint8Array.from(bytes))
})

test('REST: empty, oversized, unknown, malformed and wrong-method artefact requests get 400, 413, 404 and 405', async () => {
  const store = await newStore({ maxArtefactBytes: 1024 })
  const hub = await startHub(store)
  await expectError(await fetch(`${hub.url}/v1/artefacts`, { method: 'PUT', body: new Uint8Array(0) }), 400, 16, /artefact is empty/)
  await expectError(
    await fetch(`${hub.url}/v1/artefacts`, { method: 'PUT', body: new Uint8Array(2048) }),
    413,
    17,
    /artefact is too large: the request body has 2 KiB \(2048 bytes\), over this node's limit of 1 KiB/,
  )
  const unknown = await modelCid(randomBytes(8))
  await expectError(
    await fetch(`${hub.url}/v1/artefacts/${unknown}`),
    404,
    18,
    /artefact not found: no artefact with CID .* on this node or its peers/,
  )
  await expectError(await fetch(`${hub.url}/v1/artefacts/bafkrei`), 400, 13, /invalid model CID/)
  await expectError(await fetch(`${hub.url}/v1/artefacts`), 405, 21, /GET is not allowed on this route; use PUT/)
  await expectError(await fetch(`${hub.url}/v1/artefacts/${unknown}`, { method: 'PUT', body: 'x' }), 405, 21, /use GET/)
  assert.deepEqual(await readdir(store.dir), [], 'nothing stored')
  await assert.rejects(new HubClient(hub.url).artefact(unknown), (err: unknown) => {
    assert.ok(err instanceof HubRequestError)
    assert.equal(err.status, 404)
    assert.match(err.message, /artefact not found/)
    return true
  })
})

test('a node missing an artefact fetches it from a peer, checks it against the CID and keeps it', async () => {
  const a = await newStore()
  const hubA = await startHub(a)
  const bytes = randomBytes(50_000)
  const cid = await a.putArtefact(bytes)
  const b = await newStore({ peers: [hubA.url] })
  const hubB = await startHub(b)
  // Through the REST API of B, which has never seen it…
  const res = await fetch(`${hubB.url}/v1/artefacts/${cid}`)
  assert.equal(res.status, 200)
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes)
  // …and kept it.
  assert.deepEqual(await readdir(join(b.dir, 'artefacts')), [cid])
  const c = await newStore({ peers: [hubA.url] })
  assert.deepEqual(await c.artefact(cid), bytes, 'the library call fetches too')
  assert.equal(await c.artefact(cid, { localOnly: true }).then((x) => x?.length), bytes.length)
})

test('a peer serving bytes that do not hash to the CID is skipped; the next one is used; local-only asks are not forwarded', async () => {
  const good = await newStore()
  const goodHub = await startHub(good)
  const bytes = randomBytes(1000)
  const cid = await good.putArtefact(bytes)
  const liar = await fakePeer(randomBytes(1000))
  const onlyLiar = await newStore({ peers: [liar.url] })
  assert.equal(await onlyLiar.artefact(cid), undefined, 'wrong bytes are never returned')
  assert.deepEqual(await readdir(onlyLiar.dir), [], 'nor stored')
  assert.equal(liar.requests[0]?.url, `/v1/artefacts/${cid}`)
  assert.equal(liar.requests[0]?.headers['x-pipe-local-only'], '1')
  const store = await newStore({ peers: [liar.url, goodHub.url] })
  assert.deepEqual(await store.artefact(cid), bytes)

  // A node asked with the local-only header answers 404 without asking its own peers.
  const relay = await newStore({ peers: [liar.url] })
  const relayHub = await startHub(relay)
  const asked = liar.requests.length
  const res = await fetch(`${relayHub.url}/v1/artefacts/${cid}`, { headers: { 'x-pipe-local-only': '1' } })
  await expectError(res, 404, 18, /artefact not found/)
  assert.equal(liar.requests.length, asked)
})

test('a peer artefact over the size limit is abandoned', async () => {
  const big = await newStore()
  const bigHub = await startHub(big)
  const cid = await big.putArtefact(randomBytes(5000))
  const small = await newStore({ peers: [bigHub.url], maxArtefactBytes: 4096 })
  assert.equal(await small.artefact(cid), undefined)
  assert.deepEqual(await readdir(small.dir), [])
})
