import assert from 'node:assert/strict'
import fs from 'node:fs'
import { test } from 'node:test'
import { CheckTxType, ResponseProcessProposal_ProposalStatus as Status } from 'cosmjs-types/tendermint/abci/types'
import { type Abi, encodeDeployData, encodeFunctionData, getContractAddress, type Hex } from 'viem'
import { INFERENCE_PRECOMPILE_ADDRESS } from '../../app/modules/inference/precompile/abi.ts'
import { compileFixture } from '../support/contracts.ts'
import { precompileCall, row } from '../support/inference.ts'
import { devKeys, type InProcessApp, openInProcessApp, signedTx, transfer } from '../support/inProcessApp.ts'
import { waitFor } from '../support/rpc.ts'

/**
 * After a commit the inference mempool re-simulates a ready tx only when the block wrote state
 * the tx's execution read, or the execution read the block context; the others stay ready
 * without a new simulation, and what the mempool calls ready the proposer's own
 * ProcessProposal accepts.
 */

test('a block re-simulates only the ready txs whose simulated reads it wrote; the new request gets its result', async () => {
  const a = await openInProcessApp()
  try {
    await a.block([])
    const cid = (await a.app.inference.hub.put(fs.readFileSync('models/risk-scorer.onnx'))).metadata.cid
    const c = compileFixture('StateInput.sol', 'StateInput')
    const abi = c.abi as Abi
    const deploy = signedTx(1, 0n, { data: encodeDeployData({ abi, bytecode: c.bytecode }) })
    assert.deepEqual((await a.block([deploy])).codes, [0])
    const contract = getContractAddress({ from: devKeys[1]!.address as Hex, nonce: 0n })
    const mempool = a.app.inference.mempool

    const viaContract = signedTx(2, 0n, { to: contract, data: encodeFunctionData({ abi, functionName: 'infer', args: [cid] }) })
    const direct = signedTx(3, 0n, { to: INFERENCE_PRECOMPILE_ADDRESS, data: precompileCall(cid, [row('features', [1n, 2n, 3n, 4n])]) })
    const pending = [viaContract, direct].map((raw) => ({ raw, eth: a.app.evm.txCache.decode(raw) }))
    for (const p of pending) assert.equal((await a.abci.checkTx({ tx: p.raw, type: CheckTxType.NEW })).code, 0)
    for (const p of pending) await waitFor('ready', async () => (mempool.isReady(p.eth) ? true : undefined), 20_000)
    const readyAt = pending.map((p) => mempool.status(p.eth.hashHex)!.height)
    const firstRequest = mempool.status(pending[0]!.eth.hashHex)!.requests[0]!.keyHex
    const recheck = async () => {
      for (const p of pending) assert.equal((await a.abci.checkTx({ tx: p.raw, type: CheckTxType.RECHECK })).code, 0)
    }

    // A block of unrelated transfers writes nothing either tx read: both stay ready, unsimulated.
    assert.deepEqual((await a.block([transfer(4, 0n), transfer(5, 0n)])).codes, [0, 0])
    for (const [i, p] of pending.entries()) {
      assert.ok(mempool.isReady(p.eth), `tx ${i} still ready right after the commit`)
      assert.equal(mempool.status(p.eth.hashHex)!.height, readyAt[i], `tx ${i} was not simulated again`)
    }
    await recheck()

    // A block that changes the contract's stored feature: the contract call must be simulated
    // again (its request changes); the direct call read nothing the block wrote.
    const set = signedTx(4, 1n, { to: contract, data: encodeFunctionData({ abi, functionName: 'set', args: [7n] }) })
    assert.deepEqual((await a.block([set])).codes, [0])
    assert.equal(mempool.isReady(pending[0]!.eth), false, 'the contract call waits for a new simulation')
    assert.ok(mempool.isReady(pending[1]!.eth), 'the direct call stays ready')
    assert.equal(mempool.status(pending[1]!.eth.hashHex)!.height, readyAt[1])
    await recheck()
    await waitFor('ready again', async () => (mempool.isReady(pending[0]!.eth) ? true : undefined), 20_000)
    assert.notEqual(mempool.status(pending[0]!.eth.hashHex)!.requests[0]!.keyHex, firstRequest, 'a new request, for the new feature')

    // Both go into a block and succeed: the block carries the new request's result.
    const { codes, logs } = await a.block(
      pending.map((p) => p.raw),
      { inMempool: true },
    )
    assert.deepEqual(codes, [0, 0, 0], logs.join('; ')) // the results tx, then the two txs
    const receipts = await Promise.all(pending.map(async (p) => (await a.app.evm.blocks.tx(p.eth.hash))?.receipt))
    assert.deepEqual(
      receipts.map((r) => r?.status),
      [1, 1],
    )
  } finally {
    await a.close()
  }
})

async function deploy(a: InProcessApp, from: number, fixture: string): Promise<{ abi: Abi; address: Hex }> {
  const c = compileFixture(`${fixture}.sol`, fixture)
  const abi = c.abi as Abi
  assert.deepEqual((await a.block([signedTx(from, 0n, { data: encodeDeployData({ abi, bytecode: c.bytecode }) })])).codes, [0])
  return { abi, address: getContractAddress({ from: devKeys[from]!.address as Hex, nonce: 0n }) }
}

test("a tx reading its sender's balance or the block number is simulated again when they change; one reading neither is not; the proposer accepts its own proposal", async () => {
  const a = await openInProcessApp()
  try {
    const cid = (await a.app.inference.hub.put(fs.readFileSync('models/risk-scorer.onnx'))).metadata.cid
    const mempool = a.app.inference.mempool
    const contracts = [await deploy(a, 1, 'BalanceInput'), await deploy(a, 6, 'BlockInput'), await deploy(a, 7, 'StateInput')]
    // Senders 2, 3 and 5 call BalanceInput, BlockInput and StateInput.
    const pending = contracts.map((c, i) => {
      const raw = signedTx([2, 3, 5][i]!, 0n, {
        to: c.address,
        data: encodeFunctionData({ abi: c.abi, functionName: 'infer', args: [cid] }),
      })
      return { raw, eth: a.app.evm.txCache.decode(raw) }
    })
    for (const p of pending) assert.equal((await a.abci.checkTx({ tx: p.raw, type: CheckTxType.NEW })).code, 0)
    for (const p of pending) await waitFor('ready', async () => (mempool.isReady(p.eth) ? true : undefined), 20_000)
    const before = pending.map((p) => ({ ...mempool.status(p.eth.hashHex)! }))

    // One block sends ether to the BalanceInput caller and to the StateInput caller.
    const funding = [
      transfer(4, 0n, { to: devKeys[2]!.address, value: 5n * 10n ** 18n }),
      transfer(4, 1n, { to: devKeys[5]!.address, value: 1n }),
    ]
    assert.deepEqual((await a.block(funding)).codes, [0, 0])
    assert.equal(mempool.isReady(pending[0]!.eth), false, 'its execution read the balance the block changed')
    assert.equal(mempool.isReady(pending[1]!.eth), false, 'the next block has another number')
    assert.ok(mempool.isReady(pending[2]!.eth), "its sender's account changed, but only the VM's fee bookkeeping reads it")
    assert.equal(mempool.status(pending[2]!.eth.hashHex)!.height, before[2]!.height, 'not simulated again')
    for (const p of pending) assert.equal((await a.abci.checkTx({ tx: p.raw, type: CheckTxType.RECHECK })).code, 0)
    for (const p of pending) await waitFor('ready again', async () => (mempool.isReady(p.eth) ? true : undefined), 20_000)
    for (const i of [0, 1]) {
      assert.notEqual(
        mempool.status(pending[i]!.eth.hashHex)!.requests[0]!.keyHex,
        before[i]!.requests[0]!.keyHex,
        `tx ${i}: a new request`,
      )
    }

    const proposal = await a.propose(pending.map((p) => p.raw))
    assert.equal(proposal.length, 4, 'the results tx, then the three txs')
    assert.equal(await a.process(proposal), Status.ACCEPT)
    const { codes, logs } = await a.block(
      pending.map((p) => p.raw),
      { inMempool: true },
    )
    assert.deepEqual(codes, [0, 0, 0, 0], logs.join('; '))
  } finally {
    await a.close()
  }
})
