import assert from 'node:assert/strict'
import fs from 'node:fs'
import { test } from 'node:test'
import { CheckTxType, ResponseProcessProposal_ProposalStatus as Status } from 'cosmjs-types/tendermint/abci/types'
import { type Abi, encodeDeployData, encodeFunctionData, getContractAddress, type Hex } from 'viem'
import { decodeResultsTx, encodeResultsTx } from '../../app/modules/inference/block/resultsTx.ts'
import { encodeModelOutput } from '../../app/modules/inference/precompile/abiEncoder.ts'
import { inferenceRequest } from '../../app/modules/inference/types/request.ts'
import { resultOf } from '../../app/modules/inference/types/result.ts'
import { compileFixture } from '../support/contracts.ts'
import { row } from '../support/inference.ts'
import { devKeys, type InProcessApp, openInProcessApp, signedTx, transfer } from '../support/inProcessApp.ts'
import { waitFor } from '../support/rpc.ts'

/**
 * ProcessProposal's verdict is a function of the proposal and committed state only: a node
 * holding the proposal's txs in its mempool (A) and nodes that never saw them (B) reach the
 * same verdict on every proposal — including one built before a block changed the balance a
 * tx's request depends on — except the deliberate one: a VANILLA output that differs from the
 * node's own computation of the request (docs/verification.md).
 */
const ETHER = 10n ** 18n

async function ready(app: InProcessApp, raw: Uint8Array): Promise<void> {
  assert.equal((await app.abci.checkTx({ tx: raw, type: CheckTxType.NEW })).code, 0)
  const eth = app.app.evm.txCache.decode(raw)
  await waitFor('the tx to be ready', async () => (app.app.inference.mempool.isReady(eth) ? true : undefined))
}

async function verdicts(apps: InProcessApp[], proposal: Uint8Array[]): Promise<Status[]> {
  return Promise.all(apps.map((x) => x.process(proposal)))
}

test('a node holding the txs in its mempool and nodes that do not reach the same verdict on the same proposal', async () => {
  const [a, b, c] = await Promise.all([openInProcessApp(), openInProcessApp(), openInProcessApp()])
  const all = [a, b, c] as InProcessApp[]
  try {
    const model = fs.readFileSync('models/risk-scorer.onnx')
    const cid = (await Promise.all(all.map((x) => x.app.inference.hub.put(model))))[0]!.metadata.cid
    const fixture = compileFixture('BalanceInput.sol', 'BalanceInput')
    const deploy = signedTx(1, 0n, { data: encodeDeployData({ abi: fixture.abi as Abi, bytecode: fixture.bytecode }) })
    for (const x of all) assert.deepEqual((await x.block([deploy])).codes, [0])
    const contract = getContractAddress({ from: devKeys[1]!.address as Hex, nonce: 0n })
    const infer = encodeFunctionData({ abi: fixture.abi as Abi, functionName: 'infer', args: [cid] })

    // A holds the tx, ready; B and C never saw it.
    const tx = signedTx(2, 0n, { to: contract, data: infer })
    await ready(a, tx)
    const good = await a.propose([tx])
    assert.equal(good.length, 2, 'the results tx, then the tx')
    const [resultsTx] = good as [Uint8Array, Uint8Array]
    const carried = decodeResultsTx(resultsTx)
    const otherOutput = encodeModelOutput({
      numbers: [{ name: 'score', values: [{ value: 1n, decimals: 1n }], shape: [1, 1] }],
      strings: [],
      jsons: [],
      is_simulation_result: false,
    })
    const extra = resultOf(inferenceRequest(0, cid, { numbers: [row('features', [9n, 9n, 9n, 9n])], strings: [] }), otherOutput, 1n)
    // Verdicts of A (holds the tx) and B (does not).
    const proposals: [string, Uint8Array[], [Status, Status]][] = [
      ["the proposer's own", good, [Status.ACCEPT, Status.ACCEPT]],
      ['without its result', [tx], [Status.REJECT, Status.REJECT]],
      ['with a result no tx needs', [encodeResultsTx([...carried, extra]), tx], [Status.REJECT, Status.REJECT]],
      // The one verdict that depends on the node, on purpose (ResultVerification.checkVanilla):
      // A computed this request and knows the output is not onnxruntime's; B never did and
      // takes the proposer's word.
      [
        'with another output for its request',
        [encodeResultsTx(carried.map((r) => ({ ...r, output: otherOutput }))), tx],
        [Status.REJECT, Status.ACCEPT],
      ],
      // Gas comes from each hub's measurement and is not compared; A's mempool holds another
      // gas, so A cannot take its shortcut and simulates, like B.
      [
        'with another gas for its request',
        [encodeResultsTx(carried.map((r) => ({ ...r, modelGas: r.modelGas + 1n }))), tx],
        [Status.ACCEPT, Status.ACCEPT],
      ],
    ]
    for (const [what, proposal, expected] of proposals) {
      assert.deepEqual(await verdicts([a, b], proposal), expected, `proposal ${what}`)
    }
    for (const x of all) assert.deepEqual((await x.block(good, { skipCheckTx: true })).codes, [0, 0])

    // A holds a second tx, ready, and builds a proposal with it; then a block sends its sender
    // 5 ether, which changes what the tx asks for.
    const stale = signedTx(3, 0n, { to: contract, data: infer })
    await ready(a, stale)
    const fromStaleView = await a.propose([stale])
    assert.equal(fromStaleView.length, 2)
    const simulatedAt = a.app.inference.mempool.status(a.app.evm.txCache.decode(stale).hashHex)!.height
    const funding = transfer(4, 0n, { to: devKeys[3]!.address, value: 5n * ETHER })
    for (const x of all) assert.deepEqual((await x.block([funding])).codes, [0])
    assert.deepEqual(
      await verdicts([a, b], fromStaleView),
      [Status.REJECT, Status.REJECT],
      'its request changed with the balance: both reject',
    )
    // A's mempool saw the block write the balance the tx's execution read, and simulates it
    // again; C sees the tx only now. Both propose what it asks for on the current state.
    await ready(a, stale)
    assert.ok(a.app.inference.mempool.status(a.app.evm.txCache.decode(stale).hashHex)!.height > simulatedAt, 'A simulated it again')
    await ready(c, stale)
    const fresh = await c.propose([stale])
    assert.notDeepEqual(fresh[0], fromStaleView[0])
    assert.deepEqual(await verdicts([a, b], fresh), [Status.ACCEPT, Status.ACCEPT])
    assert.deepEqual(await verdicts([a, b], await a.propose([stale])), [Status.ACCEPT, Status.ACCEPT], "A's own proposal now")
    const [ha, hb, hc] = await Promise.all(all.map((x) => x.block(fresh, { skipCheckTx: true })))
    assert.deepEqual(ha?.codes, [0, 0])
    assert.deepEqual(ha?.appHash, hb?.appHash)
    assert.deepEqual(ha?.appHash, hc?.appHash)
  } finally {
    await Promise.all(all.map((x) => x.close()))
  }
})
