import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { CheckTxType } from 'cosmjs-types/tendermint/abci/types'
import { InferenceExecutor } from '../../app/executor/index.ts'
import { ModelStore } from '../../app/modelHub/modelStore.ts'
import { isResultsTx } from '../../app/modules/inference/block/resultsTx.ts'
import { HeldExecutor } from '../support/heldExecutor.ts'
import { directInferenceTx, row } from '../support/inference.ts'
import { openInProcessApp, transfer } from '../support/inProcessApp.ts'
import { waitFor } from '../support/rpc.ts'

/**
 * A tx whose inference is not computed is not proposed, and holds up nothing else: the test
 * holds the model's runs, so "not computed yet" does not depend on how fast the machine is.
 */
test('while its inference runs, a tx stays out of proposals and other txs commit; once computed it is proposed with its result', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-readiness-'))
  const hub = new ModelStore({ dir: path.join(dir, 'models') })
  const held = new HeldExecutor(new InferenceExecutor(hub, { workers: 1 }))
  const a = await openInProcessApp({ dir, app: { hub, modelExecutor: held } })
  try {
    await a.block([])
    const cid = (await hub.put(fs.readFileSync('models/risk-scorer.onnx'))).metadata.cid
    const inference = directInferenceTx(1, 0n, cid, [row('features', [1n, 2n, 3n, 4n])])
    const eth = a.app.evm.txCache.decode(inference)
    assert.equal((await a.abci.checkTx({ tx: inference, type: CheckTxType.NEW })).code, 0)
    await waitFor('the run to be asked for', async () => (held.held(cid) === 1 ? true : undefined))
    assert.equal(a.app.inference.mempool.status(eth.hashHex)?.state, 'running')

    // Blocks go on: a transfer is proposed and committed, the inference tx is not proposed.
    for (const nonce of [0n, 1n]) {
      const t = transfer(2, nonce)
      assert.equal((await a.abci.checkTx({ tx: t, type: CheckTxType.NEW })).code, 0)
      const proposal = await a.propose([inference, t])
      assert.deepEqual(proposal, [t], 'only the transfer')
      assert.deepEqual((await a.block(proposal, { skipCheckTx: true })).codes, [0])
      // CometBFT rechecks what its mempool still holds after every commit.
      assert.equal((await a.abci.checkTx({ tx: inference, type: CheckTxType.RECHECK })).code, 0)
      assert.equal(a.app.inference.mempool.status(eth.hashHex)?.state, 'running', 'still waiting for its inference')
    }

    held.release(cid)
    await waitFor('the tx to be ready', async () => (a.app.inference.mempool.isReady(eth) ? true : undefined))
    const proposal = await a.propose([inference])
    assert.equal(proposal.length, 2)
    assert.ok(isResultsTx(proposal[0] as Uint8Array), 'its result first')
    assert.deepEqual(proposal[1], inference)
    assert.deepEqual((await a.block(proposal, { skipCheckTx: true })).codes, [0, 0])
    const [record] = await a.app.inference.keeper.recordsOfTx(eth.hash)
    assert.equal(record?.status, 'success')
  } finally {
    await a.close()
  }
})
