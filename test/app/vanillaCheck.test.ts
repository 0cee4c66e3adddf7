import assert from 'node:assert/strict'
import fs from 'node:fs'
import { test } from 'node:test'
import { CheckTxType, ResponseProcessProposal_ProposalStatus as Status } from 'cosmjs-types/tendermint/abci/types'
import { checkProposal } from '../../app/block/proposal.ts'
import { decodeResultsTx, encodeResultsTx } from '../../app/modules/inference/block/resultsTx.ts'
import { ErrVanillaMismatch } from '../../app/modules/inference/errors.ts'
import { INFERENCE_PRECOMPILE_ADDRESS } from '../../app/modules/inference/precompile/abi.ts'
import { decodeModelOutput } from '../../app/modules/inference/precompile/abiDecoder.ts'
import { encodeModelOutput } from '../../app/modules/inference/precompile/abiEncoder.ts'
import { precompileCall, row } from '../support/inference.ts'
import { openInProcessApp, signedTx } from '../support/inProcessApp.ts'
import { waitFor } from '../support/rpc.ts'

/**
 * VANILLA results checked by the validator set: a validator that computed a request itself
 * (its mempool pre-executed the tx) rejects a proposal whose output for it is not bit-identical
 * to its own; one that never computed it cannot tell, and accepts (docs/verification.md).
 */
test('a forged VANILLA output is rejected by every validator that computed the request, and the honest proposal by none; one that did not compute it cannot tell', async () => {
  const [a, b, c] = await Promise.all([openInProcessApp(), openInProcessApp(), openInProcessApp()])
  try {
    const model = fs.readFileSync('models/risk-scorer.onnx')
    let cid = ''
    for (const app of [a, b, c]) {
      cid = (await app.app.inference.hub.put(model)).metadata.cid
      await app.block([])
    }
    const tx = signedTx(1, 0n, {
      to: INFERENCE_PRECOMPILE_ADDRESS,
      data: precompileCall(cid, [row('features', [100n, 500n, -300n, 900n], 3n)]),
    })
    // A (the proposer) and B hold the tx: both pre-execute it. C never sees it.
    for (const app of [a, b]) {
      assert.equal((await app.abci.checkTx({ tx, type: CheckTxType.NEW })).code, 0)
      const eth = app.app.evm.txCache.decode(tx)
      await waitFor('ready', async () => (app.app.inference.mempool.isReady(eth) ? true : undefined), 30_000)
    }
    const honest = await a.propose([tx])
    assert.equal(honest.length, 2, 'the results tx and the tx')
    for (const app of [a, b, c]) assert.equal(await app.process(honest), Status.ACCEPT)

    // The proposer changes the output it computed (one unit of the score's last decimal).
    const [result] = decodeResultsTx(honest[0]!)
    assert.ok(result)
    const output = decodeModelOutput(result.output)
    output.numbers[0]!.values[0]!.value += 1n
    const forged = [encodeResultsTx([{ ...result, output: encodeModelOutput(output) }]), honest[1]!]
    for (const [name, app] of [
      ['the proposer itself', a],
      ['B, which computed the request', b],
    ] as const) {
      const problem = await checkProposal(app.app, forged)
      assert.ok(ErrVanillaMismatch.is(problem), `${name}: ${problem?.message}`)
      assert.match(problem.message, /the proposer's output bytes differ from this validator's own computation of the request/)
      assert.equal(await app.process(forged), Status.REJECT, name)
    }
    assert.equal(await c.process(forged), Status.ACCEPT, 'C never computed the request: it cannot check a VANILLA output')
  } finally {
    await Promise.all([a.close(), b.close(), c.close()])
  }
})
