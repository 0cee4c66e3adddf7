import assert from 'node:assert/strict'
import net from 'node:net'
import { test } from 'node:test'
import { Request, Response } from 'cosmjs-types/tendermint/abci/types'
import type { AbciApplication } from '../../app/abci/connections.ts'
import { FrameDecoder } from '../../app/abci/frameDecoder.ts'
import { AbciServer } from '../../app/abci/server.ts'
import { encodeUvarint } from '../../app/abci/varint.ts'
import { silentLogger } from '../../app/log.ts'

/** An in-process fake app that records call order; `finalizeBlock` is slow on purpose. */
function fakeApp(events: string[]): AbciApplication {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
  const unused = async () => {
    throw new Error('unused')
  }
  return {
    info: async () => ({ data: 'fake', lastBlockHeight: 7n }),
    query: async () => ({ code: 0 }),
    checkTx: async (r) => {
      events.push(`checkTx ${r.tx[0]}`)
      await sleep(r.tx[0] === 1 ? 30 : 0)
      return { code: r.tx[0] }
    },
    initChain: unused,
    prepareProposal: unused,
    processProposal: unused,
    extendVote: unused,
    verifyVoteExtension: unused,
    finalizeBlock: async (r) => {
      events.push(`finalize ${r.height} start`)
      await sleep(40)
      events.push(`finalize ${r.height} end`)
      return { appHash: Uint8Array.from([Number(r.height)]) }
    },
    commit: async () => {
      events.push('commit')
      return {}
    },
    listSnapshots: async () => ({ snapshots: [] }),
    offerSnapshot: unused,
    loadSnapshotChunk: unused,
    applySnapshotChunk: async () => {
      throw new Error('boom')
    },
  }
}

async function connect(port: number) {
  const socket = net.connect(port, '127.0.0.1')
  await new Promise((r) => socket.once('connect', r))
  const decoder = new FrameDecoder()
  const responses: Response[] = []
  const waiters: (() => void)[] = []
  socket.on('data', (chunk) => {
    for (const f of decoder.push(chunk)) responses.push(Response.decode(f))
    for (const w of waiters.splice(0)) w()
  })
  return {
    send(req: Partial<Request>) {
      const body = Request.encode(Request.fromPartial(req)).finish()
      socket.write(Buffer.concat([encodeUvarint(body.length), body]))
    },
    async take(n: number): Promise<Response[]> {
      while (responses.length < n) await new Promise<void>((r) => waiters.push(r))
      return responses.splice(0, n)
    },
    close: () => socket.destroy(),
  }
}

test('ABCI server answers in request order per connection, with Flush', async () => {
  const events: string[] = []
  const server = new AbciServer(fakeApp(events), silentLogger)
  await server.listen('tcp://127.0.0.1:0')
  const port = ((server as unknown as { server: net.Server }).server.address() as net.AddressInfo).port
  const c = await connect(port)
  c.send({ checkTx: { tx: Uint8Array.from([1]), type: 0 } })
  c.send({ checkTx: { tx: Uint8Array.from([2]), type: 0 } })
  c.send({ flush: {} })
  c.send({ echo: { message: 'hi' } })
  c.send({ info: { version: 'x', blockVersion: 0n, p2pVersion: 0n, abciVersion: '2.0.0' } })
  const [a, b, f, e, i] = await c.take(5)
  assert.equal(a!.checkTx?.code, 1, 'slow first CheckTx still answered first')
  assert.equal(b!.checkTx?.code, 2)
  assert.deepEqual(f!.flush, {})
  assert.equal(e!.echo?.message, 'hi')
  assert.equal(i!.info?.lastBlockHeight, 7n)
  c.close()
  await server.close()
})

test('ABCI server serializes consensus requests across connections and reports handler failures as exceptions', async () => {
  const events: string[] = []
  const server = new AbciServer(fakeApp(events), silentLogger)
  await server.listen('tcp://127.0.0.1:0')
  const port = ((server as unknown as { server: net.Server }).server.address() as net.AddressInfo).port
  const c1 = await connect(port)
  const c2 = await connect(port)
  const fb = (height: bigint) => ({
    finalizeBlock: {
      height,
      txs: [],
      misbehavior: [],
      hash: new Uint8Array(32),
      proposerAddress: new Uint8Array(20),
      nextValidatorsHash: new Uint8Array(32),
      decidedLastCommit: { round: 0, votes: [] },
      time: { seconds: 1n, nanos: 0 },
    },
  })
  c1.send(fb(1n))
  c2.send(fb(2n))
  const [[r1], [r2]] = await Promise.all([c1.take(1), c2.take(1)])
  assert.deepEqual([...r1!.finalizeBlock!.appHash], [1])
  assert.deepEqual([...r2!.finalizeBlock!.appHash], [2])
  assert.deepEqual(events, ['finalize 1 start', 'finalize 1 end', 'finalize 2 start', 'finalize 2 end'])
  c1.send({ applySnapshotChunk: { index: 0, chunk: new Uint8Array(0), sender: '' } })
  const [ex] = await c1.take(1)
  assert.match(ex!.exception?.error ?? '', /applySnapshotChunk: boom/)
  c1.close()
  c2.close()
  await server.close()
})
