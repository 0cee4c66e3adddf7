import assert from 'node:assert/strict'
import fs from 'node:fs'
import { after, before, test } from 'node:test'
import type { Hex } from 'viem'
import { devAccounts } from '../../app/modules/evm/devAccounts.ts'
import { INFERENCE_PRECOMPILE_ADDRESS } from '../../app/modules/inference/precompile/abi.ts'
import { QueryInferencesByTxRequest, QueryInferencesByTxResponse } from '../../app/proto/pipe/inference/v1/query.ts'
import { precompileCall, row } from '../support/inference.ts'
import { rawRpc, waitFor } from '../support/rpc.ts'
import { assertOneAppHash, PORT_OFFSETS, proposersOf, sendTx, startTestChain, type TestChain } from '../support/testChain.ts'
import { uploadModel } from '../support/workload.ts'

/**
 * VANILLA checked by the validator set, on 4 validators (real cometbft + pipe nodes): validator 3
 * proposes VANILLA outputs raised by one unit (--test-byzantine-proposer forge-vanilla-outputs).
 * Every validator pre-executes every tx it receives (CometBFT gossips them), so the honest ones
 * reject its proposals; every tx is committed in a block an honest validator proposed, with the
 * output onnxruntime gives, and all nodes keep one app hash.
 */
let chain: TestChain
const VALIDATORS = 4
const BYZANTINE = 3
const keys = devAccounts(10)

before(async () => {
  chain = await startTestChain({
    name: 'vanilla-byzantine',
    portOffset: PORT_OFFSETS.vanillaByzantine,
    validators: VALIDATORS,
    nodeArgsOf: (i) => (i === BYZANTINE ? ['--test-byzantine-proposer', 'forge-vanilla-outputs'] : []),
  })
})
after(async () => {
  await chain?.stop()
})

const send = (node: number, sender: number, nonce: number, data: Hex) =>
  sendTx(chain, node, keys[sender]!.privateKey, nonce, { to: INFERENCE_PRECOMPILE_ADDRESS, data, gas: 1_000_000n })

async function query<T>(i: number, method: string, data: Uint8Array, type: { decode(b: Uint8Array): T }): Promise<T> {
  const url = `${chain.comet(i)}/abci_query?path=${encodeURIComponent(`"${method}"`)}&data=0x${Buffer.from(data).toString('hex')}`
  const body = (await (await fetch(url)).json()) as { result: { response: { code: number; log: string; value: string | null } } }
  assert.equal(body.result.response.code, 0, `${method} on node ${i}: ${body.result.response.log}`)
  return type.decode(Buffer.from(body.result.response.value ?? '', 'base64'))
}

test('a proposer forging VANILLA outputs is rejected by the validators that computed them; only honest outputs are committed and the chain goes on', async () => {
  let cid = ''
  for (let i = 0; i < VALIDATORS; i++) cid = await uploadModel(chain.net.endpoints(i).rest)
  const honestLogs = () => [0, 1, 2].map((i) => fs.readFileSync(chain.net.logFile(i, 'pipe'), 'utf8')).join('\n')
  const REJECTED = /rejecting proposal for height \d+: .*the proposer's output bytes differ from this validator's own computation/
  const sent: { hash: Hex; data: Hex }[] = []
  const receipts: Record<string, string>[] = []
  // Rounds of txs to every node until the byzantine validator has had a turn with txs to propose.
  for (let round = 0; round < 12 && !REJECTED.test(honestLogs()); round++) {
    const batch: { hash: Hex; data: Hex }[] = []
    for (let s = 1; s <= 6; s++) {
      const data = precompileCall(cid, [row('features', [BigInt(s * 100 + round), 500n, -300n, 900n], 3n)])
      batch.push({ hash: await send((s + round) % VALIDATORS, s, round, data), data })
    }
    sent.push(...batch)
    for (const { hash } of batch) {
      receipts.push(
        await waitFor(
          `receipt of ${hash}`,
          async () => (await rawRpc(chain.rpc(0), 'eth_getTransactionReceipt', [hash])).result as Record<string, string> | null,
          120_000,
        ),
      )
    }
  }
  assert.match(honestLogs(), REJECTED, 'the honest validators said why they rejected the byzantine proposals')
  for (const r of receipts) assert.equal(r.status, '0x1', `tx ${r.transactionHash} failed`)

  // Every block holding one of the txs was proposed by an honest validator.
  const proposers = await proposersOf(
    chain,
    VALIDATORS,
    receipts.map((r) => Number(r.blockNumber)),
  )
  for (const [i, p] of proposers.entries()) assert.notEqual(p, BYZANTINE, `block ${Number(receipts[i]!.blockNumber)}`)

  // Each committed output is what onnxruntime gives (an eth_call of the same request on an
  // honest node), on every node.
  for (const { hash, data } of sent) {
    const preview = (await rawRpc(chain.rpc(1), 'eth_call', [{ to: INFERENCE_PRECOMPILE_ADDRESS, data }, 'latest'])).result as Hex
    const txHash = Buffer.from(hash.slice(2), 'hex')
    for (let i = 0; i < VALIDATORS; i++) {
      const { inferences } = await query(
        i,
        '/pipe.inference.v1.Query/InferencesByTx',
        QueryInferencesByTxRequest.encode({ txHash }).finish(),
        QueryInferencesByTxResponse,
      )
      assert.equal(inferences.length, 1)
      assert.equal(`0x${Buffer.from(inferences[0]!.output).toString('hex')}`, preview, `output of ${hash} on node ${i}`)
    }
  }

  // One app hash everywhere, up to a height all have committed.
  const height = Math.max(...receipts.map((r) => Number(r.blockNumber))) + 1
  for (let i = 0; i < VALIDATORS; i++) {
    await waitFor(
      `block ${height} on node ${i}`,
      async () => ((await (await fetch(`${chain.comet(i)}/block?height=${height}`)).json()) as { result?: unknown }).result,
    )
  }
  await assertOneAppHash(chain, VALIDATORS, BigInt(height))
})
