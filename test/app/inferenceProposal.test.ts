import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { RLP } from '@ethereumjs/rlp'
import { CheckTxType, ResponseProcessProposal_ProposalStatus as Status } from 'cosmjs-types/tendermint/abci/types'
import { InferenceExecutor } from '../../app/executor/index.ts'
import { ModelStore } from '../../app/modelHub/modelStore.ts'
import { decodeResultsTx, encodeResultsTx, RESULTS_TX_MAGIC } from '../../app/modules/inference/block/resultsTx.ts'
import { HeldExecutor } from '../support/heldExecutor.ts'
import { directInferenceTx, row } from '../support/inference.ts'
import { type InProcessApp, openInProcessApp } from '../support/inProcessApp.ts'
import { waitFor } from '../support/rpc.ts'

/**
 * Proposals with inference, on the app driven in-process (real LevelDB, model store and
 * executor): PrepareProposal proposes ready txs after their results; ProcessProposal rejects
 * every way a results tx can be wrong. Every test makes its own txs from its own senders, so
 * each passes alone.
 */
let a: InProcessApp
let cid: string
/** A model whose runs the test holds: its txs stay not ready. */
let heldCid: string

before(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-proposal-'))
  const hub = new ModelStore({ dir: path.join(dir, 'models') })
  cid = (await hub.put(fs.readFileSync('models/risk-scorer.onnx'))).metadata.cid
  heldCid = (await hub.put(fs.readFileSync('models/risk-adjuster.onnx'))).metadata.cid
  a = await openInProcessApp({ dir, app: { hub, modelExecutor: new HeldExecutor(new InferenceExecutor(hub, { workers: 1 }), [cid]) } })
  await a.block([])
})
after(async () => {
  await a.close()
})

/** A tx from dev account `from` calling the risk scorer with features (x, 0, 0, 0), admitted and ready. */
async function readyTx(from: number, x: bigint): Promise<Uint8Array> {
  const raw = directInferenceTx(from, 0n, cid, [row('features', [x, 0n, 0n, 0n])])
  assert.equal((await a.abci.checkTx({ tx: raw, type: CheckTxType.NEW })).code, 0)
  const eth = a.app.evm.txCache.decode(raw)
  await waitFor('the tx to be ready', async () => (a.app.inference.mempool.isReady(eth) ? true : undefined))
  return raw
}

test('a ready inference tx is proposed after one results tx that carries exactly its result; validators accept it', async () => {
  const [tx1, tx2] = [await readyTx(1, 1n), await readyTx(2, 2n)]
  const good = await a.propose([tx1, tx2])
  assert.equal(good.length, 3)
  assert.deepEqual([...(good[0] as Uint8Array).subarray(0, 4)], [...RESULTS_TX_MAGIC])
  assert.equal(decodeResultsTx(good[0] as Uint8Array).length, 2)
  assert.deepEqual(good.slice(1), [tx1, tx2])
  assert.equal(await a.process(good), Status.ACCEPT)
})

test('a tx whose inference is not computed is left out of the proposal, and so is its result', async () => {
  const ready = await readyTx(3, 3n)
  const pending = directInferenceTx(4, 0n, heldCid, [row('score', [1n])])
  assert.equal((await a.abci.checkTx({ tx: pending, type: CheckTxType.NEW })).code, 0)
  const proposal = await a.propose([ready, pending])
  assert.equal(proposal.length, 2)
  assert.deepEqual(proposal[1], ready)
  assert.equal(decodeResultsTx(proposal[0] as Uint8Array).length, 1)
})

test('ProcessProposal rejects every way the results can be wrong', async () => {
  const [tx1, tx2] = [await readyTx(5, 5n), await readyTx(6, 6n)]
  const good = await a.propose([tx1, tx2])
  const resultsTx = good[0] as Uint8Array
  const results = decodeResultsTx(resultsTx)
  // a tx whose result is missing: no results tx at all, or one with only the other result
  assert.equal(await a.process([tx1, tx2]), Status.REJECT)
  assert.equal(await a.process([encodeResultsTx([results[0]!]), tx1, tx2]), Status.REJECT)
  // a result no tx needs
  assert.equal(await a.process([resultsTx, tx1]), Status.REJECT)
  // a malformed results tx
  assert.equal(await a.process([Uint8Array.from([...RESULTS_TX_MAGIC, 1, 0xc1]), tx1, tx2]), Status.REJECT)
  assert.equal(await a.process([Uint8Array.from([...RESULTS_TX_MAGIC, 9, 0xc0]), tx1, tx2]), Status.REJECT, 'unknown version')
  // duplicates: the same entry twice (encoded by hand: the encoder would sort and keep both)
  const item = (RLP.decode(resultsTx.subarray(5)) as Uint8Array[][])[0]
  const dup = Uint8Array.from([...RESULTS_TX_MAGIC, 1, ...RLP.encode([item, item])])
  assert.equal(await a.process([dup, tx1, tx2]), Status.REJECT)
  // a forged output that is not a ModelOutput (a well-formed forged output is refused only by
  // validators that computed the request themselves: test/app/vanillaCheck.test.ts)
  const forged = encodeResultsTx([{ ...results[0]!, output: new Uint8Array(32) }, results[1]!])
  assert.equal(await a.process([forged, tx1, tx2]), Status.REJECT)
  // the results tx anywhere but first
  assert.equal(await a.process([tx1, resultsTx, tx2]), Status.REJECT)
  // unchanged good proposal still accepted
  assert.equal(await a.process(good), Status.ACCEPT)
})

test('users cannot send a results tx', async () => {
  const proposal = await a.propose([await readyTx(7, 7n)])
  const r = await a.abci.checkTx({ tx: proposal[0] as Uint8Array, type: CheckTxType.NEW })
  assert.equal(r.code, 61)
  assert.match(r.log!, /inference results are injected by the block proposer only/)
})

test('FinalizeBlock records the results and executes the txs; a tx without its result reverts with the reason', async () => {
  const tx = await readyTx(8, 8n)
  const proposal = await a.propose([tx])
  const before = a.app.inference.keeper.root()
  const r = await a.block(proposal, { skipCheckTx: true })
  assert.deepEqual(r.codes, [0, 0])
  assert.notDeepEqual(a.app.inference.keeper.root(), before, 'the inference root moved')
  const records = await a.app.inference.keeper.recordsOfTx(a.app.evm.txCache.decode(tx).hash)
  assert.equal(records.length, 1)
  assert.equal(records[0]?.status, 'success')
  // a faulty proposer's block: tx without its result
  const lonely = directInferenceTx(9, 0n, cid, [row('features', [9n, 0n, 0n, 0n])])
  const r2 = await a.block([lonely], { skipCheckTx: true })
  assert.deepEqual(r2.codes, [0])
  const receipt = await a.app.evm.blocks.tx(a.app.evm.txCache.decode(lonely).hash)
  assert.equal(receipt?.receipt.status, 0, 'reverted')
  const [missing] = await a.app.inference.keeper.recordsOfTx(a.app.evm.txCache.decode(lonely).hash)
  assert.equal(missing?.status, 'missing')
})
