import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { RLP } from '@ethereumjs/rlp'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { hexToBytes, type PrefixedHexString } from '@ethereumjs/util'
import { CheckTxType, ResponseProcessProposal_ProposalStatus as Status } from 'cosmjs-types/tendermint/abci/types'
import { encodeFunctionData } from 'viem'
import { createChainCommon } from '../../app/modules/evm/chainConfig.ts'
import { INFERENCE_PRECOMPILE_ADDRESS, ogInferenceAbi } from '../../app/modules/inference/precompile/abi.ts'
import { decodeResultsTx, encodeResultsTx, RESULTS_TX_MAGIC } from '../../app/modules/inference/block/resultsTx.ts'
import { openInProcessApp, devKeys, type InProcessApp } from '../support/inProcessApp.ts'
import { waitFor } from '../support/rpc.ts'

/**
 * ProcessProposal's inference checks, on the app driven in-process (real LevelDB, real model
 * store and executor): every way a results tx can be wrong is rejected; a good one accepted.
 */
let a: InProcessApp
let cid: string
let slowCid: string
const common = createChainCommon()

before(async () => {
  a = await openInProcessApp()
  cid = (await a.app.inference.store.put(fs.readFileSync('models/risk-scorer.onnx'))).metadata.cid
  slowCid = (await a.app.inference.store.put(fs.readFileSync('models/slow.onnx'))).metadata.cid
  await a.block([])
})
after(async () => {
  await a.close()
})

/** A tx from dev account `from` calling the precompile with features (x, 0, 0, 0). */
function inferenceTx(from: number, nonce: bigint, x: bigint, slow = false): Uint8Array {
  const tensor = slow
    ? { name: 'x', values: Array.from({ length: 512 }, () => ({ value: x, decimals: 3n })), shape: [1, 512] }
    : { name: 'features', values: [x, 0n, 0n, 0n].map((value) => ({ value, decimals: 0n })), shape: [1, 4] }
  const data = encodeFunctionData({
    abi: ogInferenceAbi,
    functionName: 'runModelInference',
    args: [{ mode: 0, modelCID: slow ? slowCid : cid, input: { numbers: [tensor], strings: [] } }] as never,
  })
  return createFeeMarket1559Tx({ nonce, to: INFERENCE_PRECOMPILE_ADDRESS, data, gasLimit: 15_000_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n }, { common })
    .sign(hexToBytes(devKeys[from].privateKey as PrefixedHexString))
    .serialize()
}

async function admitAndWait(raw: Uint8Array): Promise<void> {
  const r = await a.abci.checkTx({ tx: raw, type: CheckTxType.NEW })
  assert.equal(r.code, 0, r.log)
  const eth = a.app.evm.txCache.decode(raw)
  await waitFor('the tx to be ready', async () => (a.app.inference.mempool.isReady(eth) ? true : undefined), 20_000)
}

const height = () => a.app.lastCommit.height + 1n
const base = () => ({
  misbehavior: [], hash: new Uint8Array(32), height: height(), time: { seconds: 1_700_000_100n, nanos: 0 },
  nextValidatorsHash: new Uint8Array(32), proposerAddress: new Uint8Array(20).fill(0xab),
})
const prepare = async (txs: Uint8Array[]) =>
  (await a.abci.prepareProposal({ ...base(), maxTxBytes: 1_000_000n, txs, localLastCommit: { round: 0, votes: [] } })).txs as Uint8Array[]
const process = async (txs: Uint8Array[]) => (await a.abci.processProposal({ ...base(), txs, proposedLastCommit: { round: 0, votes: [] } })).status

let tx1: Uint8Array
let tx2: Uint8Array
let good: Uint8Array[]

test('a ready inference tx is proposed after one results tx that carries exactly its result; validators accept it', async () => {
  tx1 = inferenceTx(1, 0n, 1n)
  tx2 = inferenceTx(2, 0n, 2n)
  await admitAndWait(tx1)
  await admitAndWait(tx2)
  good = await prepare([tx1, tx2])
  assert.equal(good.length, 3)
  assert.deepEqual([...good[0].subarray(0, 4)], [...RESULTS_TX_MAGIC])
  assert.equal(decodeResultsTx(good[0]).length, 2)
  assert.deepEqual(good.slice(1), [tx1, tx2])
  assert.equal(await process(good), Status.ACCEPT)
})

test('a tx not yet ready is left out of the proposal, and so is its result', async () => {
  const pending = inferenceTx(3, 0n, 3n, true) // ~1 s of inference: not ready for a while
  assert.equal((await a.abci.checkTx({ tx: pending, type: CheckTxType.NEW })).code, 0)
  const proposal = await prepare([tx1, pending])
  assert.ok(!proposal.some((t) => Buffer.from(t).equals(Buffer.from(pending))), 'the unready tx is not proposed')
})

test('ProcessProposal rejects every way the results can be wrong', async () => {
  const results = decodeResultsTx(good[0])
  // a tx whose result is missing: no results tx at all, or one with only the other result
  assert.equal(await process([tx1, tx2]), Status.REJECT)
  assert.equal(await process([encodeResultsTx([results[0]]), tx1, tx2]), Status.REJECT)
  // a result no tx needs
  assert.equal(await process([good[0], tx1]), Status.REJECT)
  // a malformed results tx
  assert.equal(await process([Uint8Array.from([...RESULTS_TX_MAGIC, 1, 0xc1]), tx1, tx2]), Status.REJECT)
  assert.equal(await process([Uint8Array.from([...RESULTS_TX_MAGIC, 9, 0xc0]), tx1, tx2]), Status.REJECT, 'unknown version')
  // duplicates: the same entry twice (encoded by hand: the encoder would sort and keep both)
  const item = (RLP.decode(good[0].subarray(5)) as Uint8Array[][])[0]
  const dup = Uint8Array.from([...RESULTS_TX_MAGIC, 1, ...RLP.encode([item, item])])
  assert.equal(await process([dup, tx1, tx2]), Status.REJECT)
  // a forged output: valid encoding, but not the output of that request… is accepted by design
  // (VANILLA trusts the proposer); a forged output that is not a ModelOutput is not
  const forged = encodeResultsTx([{ ...results[0], output: new Uint8Array(32) }, results[1]])
  assert.equal(await process([forged, tx1, tx2]), Status.REJECT)
  // the results tx anywhere but first
  assert.equal(await process([tx1, good[0], tx2]), Status.REJECT)
  // unchanged good proposal still accepted
  assert.equal(await process(good), Status.ACCEPT)
})

test('users cannot send a results tx', async () => {
  const r = await a.abci.checkTx({ tx: good[0], type: CheckTxType.NEW })
  assert.equal(r.code, 61)
  assert.match(r.log!, /inference results are injected by the block proposer only/)
})

test('FinalizeBlock records the results and executes the txs; a tx without its result reverts with the reason', async () => {
  const before = a.app.inference.keeper.root()
  const r = await a.block([good[0], tx1, tx2], { skipCheckTx: true })
  assert.deepEqual(r.codes, [0, 0, 0])
  assert.notDeepEqual(a.app.inference.keeper.root(), before, 'the inference root moved')
  const records = await a.app.inference.keeper.recordsOfTx(a.app.evm.txCache.decode(tx1).hash)
  assert.equal(records.length, 1)
  assert.equal(records[0].status, 'success')
  // a faulty proposer's block: tx without its result
  const lonely = inferenceTx(4, 0n, 4n)
  const r2 = await a.block([lonely], { skipCheckTx: true })
  assert.deepEqual(r2.codes, [0])
  const receipt = await a.app.evm.blocks.tx(a.app.evm.txCache.decode(lonely).hash)
  assert.equal(receipt?.receipt.status, 0, 'reverted')
  const [missing] = await a.app.inference.keeper.recordsOfTx(a.app.evm.txCache.decode(lonely).hash)
  assert.equal(missing.status, 'missing')
})
