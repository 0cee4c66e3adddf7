import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { CheckTxType } from 'cosmjs-types/tendermint/abci/types'
import { type Abi, encodeDeployData, encodeFunctionData, getContractAddress, type Hex } from 'viem'
import { InferenceExecutor } from '../../app/executor/index.ts'
import { ModelStore } from '../../app/modelHub/modelStore.ts'
import { MAX_REQUESTS_PER_TX } from '../../app/modules/inference/params.ts'
import { INFERENCE_PRECOMPILE_ADDRESS } from '../../app/modules/inference/precompile/abi.ts'
import { buildCostModel, costModelSpecFor } from '../../scripts/models/modelFactory.ts'
import { compileFixture } from '../support/contracts.ts'
import { HeldExecutor } from '../support/heldExecutor.ts'
import { precompileCall, row } from '../support/inference.ts'
import { devKeys, openInProcessApp, signedTx, transfer } from '../support/inProcessApp.ts'
import { waitFor } from '../support/rpc.ts'

/** The inference mempool's limits each refuse or drop with a clear reason. */
function slowCall(cid: string, x: bigint): Hex {
  return precompileCall(cid, [row('x', Array<bigint>(512).fill(x), 3n)])
}

test('over the pending limit CheckTx refuses; an inference that times out drops its tx, with the reason', async () => {
  // The test holds the model's runs: the first tx waits until its inference times out.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-limits-'))
  const hub = new ModelStore({ dir: path.join(dir, 'models') })
  const held = new HeldExecutor(new InferenceExecutor(hub, { workers: 1 }))
  const a = await openInProcessApp({ dir, app: { hub, modelExecutor: held, inferenceMempool: { maxPending: 1, timeoutMs: 150 } } })
  try {
    await a.block([])
    const cid = (await hub.put(fs.readFileSync('models/slow.onnx'))).metadata.cid
    const slow = signedTx(1, 0n, { to: INFERENCE_PRECOMPILE_ADDRESS, data: slowCall(cid, 1n) })
    assert.equal((await a.abci.checkTx({ tx: slow, type: CheckTxType.NEW })).code, 0)
    const second = signedTx(2, 0n, { to: INFERENCE_PRECOMPILE_ADDRESS, data: slowCall(cid, 2n) })
    const full = await a.abci.checkTx({ tx: second, type: CheckTxType.NEW })
    assert.equal(full.code, 59)
    assert.match(full.log!, /too many transactions waiting for inference: 1 transactions are waiting for inference; try again later/)
    // a plain transfer is not held back by the limit
    const plain = transfer(3, 0n, { to: devKeys[5]!.address, value: 1n })
    assert.equal((await a.abci.checkTx({ tx: plain, type: CheckTxType.NEW })).code, 0)
    const hashHex = a.app.evm.txCache.decode(slow).hashHex
    const status = await waitFor('the slow tx to time out', async () => {
      const s = a.app.inference.mempool.status(hashHex)
      return s?.state === 'failed' ? s : undefined
    })
    assert.match(status.reason!, /model bafkrei\w+: .*timed out/i)
    await a.block([]) // RECHECK follows a Commit
    const recheck = await a.abci.checkTx({ tx: slow, type: CheckTxType.RECHECK })
    assert.notEqual(recheck.code, 0, 'RECHECK drops it from the mempool')
    assert.match(recheck.log!, /timed out/)
    assert.equal((await a.abci.checkTx({ tx: second, type: CheckTxType.NEW })).code, 0, 'room again')
  } finally {
    await a.close()
  }
})

test(`a tx making more than ${MAX_REQUESTS_PER_TX} inference requests is dropped with the reason`, async () => {
  const a = await openInProcessApp()
  try {
    await a.block([])
    const cid = (await a.app.inference.hub.put(fs.readFileSync('models/risk-scorer.onnx'))).metadata.cid
    const loop = compileFixture('InferenceLoop.sol', 'InferenceLoop')
    const deploy = signedTx(1, 0n, { data: encodeDeployData({ abi: loop.abi as Abi, bytecode: loop.bytecode }) })
    assert.deepEqual((await a.block([deploy])).codes, [0])
    const address = getContractAddress({ from: devKeys[1]!.address as Hex, nonce: 0n })
    const call = (n: number, nonce: bigint) =>
      signedTx(1, nonce, { to: address, data: encodeFunctionData({ abi: loop.abi as Abi, functionName: 'run', args: [cid, BigInt(n)] }) })
    const ok = call(MAX_REQUESTS_PER_TX, 1n)
    const tooMany = call(MAX_REQUESTS_PER_TX + 1, 2n)
    for (const tx of [ok, tooMany]) assert.equal((await a.abci.checkTx({ tx, type: CheckTxType.NEW })).code, 0)
    const okStatus = await waitFor(
      '16 requests to be ready',
      async () => {
        const s = a.app.inference.mempool.status(a.app.evm.txCache.decode(ok).hashHex)
        return s?.state === 'ready' || s?.state === 'failed' ? s : undefined
      },
      30_000,
    )
    assert.equal(okStatus.state, 'ready', okStatus.reason)
    assert.equal(okStatus.requests.length, MAX_REQUESTS_PER_TX)
    const status = await waitFor(
      '17 requests to fail',
      async () => {
        const s = a.app.inference.mempool.status(a.app.evm.txCache.decode(tooMany).hashHex)
        return s?.state === 'failed' ? s : undefined
      },
      30_000,
    )
    assert.match(status.reason!, /too many inference requests in one transaction: at most 16 per transaction/)
  } finally {
    await a.close()
  }
})

test('the inference mempool, not the executor, bounds waiting work: every tx it admits becomes ready, however many wait for one worker', async () => {
  // The executor's queue is sized to what the mempool admits (maxPending txs × 16 requests), so
  // an admitted tx is never refused for a full queue; beyond maxPending, CheckTx refuses.
  // The test holds every run until the 13th tx has been refused: no run can finish early.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-limits-'))
  const hub = new ModelStore({ dir: path.join(dir, 'models') })
  const held = new HeldExecutor(new InferenceExecutor(hub, { workers: 1 }))
  const a = await openInProcessApp({ dir, app: { hub, modelExecutor: held, inferenceMempool: { maxPending: 12 } } })
  try {
    await a.block([])
    const spec = costModelSpecFor({ targetMs: 1 })
    const cid = (await hub.put(buildCostModel(spec))).metadata.cid
    const call = (x: bigint): Hex =>
      precompileCall(cid, [
        row(
          'x',
          Array.from({ length: spec.size }, (_, i) => x + BigInt(i)),
          3n,
        ),
      ])
    const txs = Array.from({ length: 13 }, (_, i) =>
      signedTx(i % 8, BigInt(Math.floor(i / 8)), { to: INFERENCE_PRECOMPILE_ADDRESS, data: call(BigInt(100 + i)) }),
    )
    const codes = []
    for (const tx of txs) codes.push((await a.abci.checkTx({ tx, type: CheckTxType.NEW })).code)
    assert.deepEqual(codes, [...Array<number>(12).fill(0), 59], 'the 13th is refused while 12 wait')
    held.release(cid)
    const mempool = a.app.inference.mempool
    const hashes = txs.slice(0, 12).map((tx) => a.app.evm.txCache.decode(tx).hashHex)
    const settled = (h: string) => ['ready', 'failed'].includes(mempool.status(h)?.state ?? '')
    await waitFor('every tx settled', async () => (hashes.every(settled) ? true : undefined), 60_000)
    assert.deepEqual(
      hashes.map((h) => mempool.status(h)?.reason ?? mempool.status(h)?.state),
      hashes.map(() => 'ready'),
    )
    assert.equal(a.app.inference.executor.stats().failed, 0, 'the executor refused nothing')
  } finally {
    await a.close()
  }
})
