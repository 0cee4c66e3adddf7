import assert from 'node:assert/strict'
import fs from 'node:fs'
import { after, before, test } from 'node:test'
import { type Abi, encodeDeployData, encodeFunctionData, type Hex } from 'viem'
import { devAccounts } from '../../app/modules/evm/devAccounts.ts'
import { loadContract } from '../support/contracts.ts'
import { rawRpc, waitFor } from '../support/rpc.ts'
import { assertOneAppHash, PORT_OFFSETS, sendTx, startTestChain, type TestChain } from '../support/testChain.ts'

/**
 * 4 validators (real cometbft + pipe nodes) with inference txs sent to every node: proposers
 * rotate, so each validator both builds results txs and checks other proposers' ones; all must
 * keep one app hash and the same inference records.
 */
let chain: TestChain
const VALIDATORS = 4
const keys = devAccounts(8)
const ONE = 10n ** 18n

before(async () => {
  chain = await startTestChain({ name: 'inference-consensus', portOffset: PORT_OFFSETS.inferenceConsensus, validators: VALIDATORS })
})
after(async () => {
  await chain?.stop()
})

const send = (node: number, sender: number, nonce: number, fields: Record<string, unknown>): Promise<Hex> =>
  sendTx(chain, node, keys[sender]!.privateKey, nonce, { gas: 1_500_000n, ...fields })

const receipt = (node: number, hash: Hex) =>
  waitFor(
    `receipt of ${hash} on node ${node}`,
    async () => (await rawRpc(chain.rpc(node), 'eth_getTransactionReceipt', [hash])).result as Record<string, string> | null,
    60_000,
  )

test('4 validators with inference txs on every node keep one app hash and the same records', async () => {
  const cids: Record<string, string> = {}
  for (const file of ['risk-scorer', 'risk-adjuster']) {
    const res = await fetch(`${chain.net.endpoints(0).rest}/v1/models`, { method: 'PUT', body: fs.readFileSync(`models/${file}.onnx`) })
    cids[file] = ((await res.json()) as { cid: string }).cid
  }
  // another validator serves the model too (shared store / peer fetch)
  assert.equal((await fetch(`${chain.net.endpoints(2).rest}/v1/models/${cids['risk-scorer']}`)).status, 200)
  const scorer = loadContract('RiskScorer')
  const chained = loadContract('ChainedRiskScorer')
  const deployScorer = await send(0, 0, 0, {
    data: encodeDeployData({ abi: scorer.abi as Abi, bytecode: scorer.bytecode, args: [cids['risk-scorer'], 0] }),
    gas: 3_000_000n,
  })
  const deployChained = await send(0, 0, 1, {
    data: encodeDeployData({ abi: chained.abi as Abi, bytecode: chained.bytecode, args: [cids['risk-scorer'], cids['risk-adjuster']] }),
    gas: 4_000_000n,
  })
  const scorerAddress = (await receipt(0, deployScorer)).contractAddress as Hex
  const chainedAddress = (await receipt(0, deployChained)).contractAddress as Hex

  const sent: Hex[] = []
  await Promise.all(
    [1, 2, 3, 4, 5, 6, 7].map(async (s) => {
      const node = s % VALIDATORS
      for (let i = 0; i < 4; i++) {
        const features = [(BigInt(s) * ONE) / 10n, (BigInt(i) * ONE) / 7n, ONE, (-BigInt(s + i) * ONE) / 13n]
        const target = i % 2 === 0 ? scorerAddress : chainedAddress
        const abi = (i % 2 === 0 ? scorer.abi : chained.abi) as Abi
        const data = encodeFunctionData({ abi, functionName: 'score', args: [keys[s]!.address, features, 18n] })
        sent.push(await send(node, s, i, { to: target, data }))
      }
    }),
  )
  const receipts = await Promise.all(sent.map((h) => receipt(0, h)))
  for (const r of receipts) assert.equal(r.status, '0x1', `tx ${r.transactionHash}`)
  const top = BigInt((await rawRpc(chain.rpc(0), 'eth_blockNumber')).result as string)
  await chain.net.waitForHeight(top + 2n)
  const { resultsBlocks: withResults } = await assertOneAppHash(chain, VALIDATORS, top + 1n)
  assert.ok(withResults >= 1, 'some block carried inference results')
  // every node serves the same inference records
  for (const h of sent.slice(0, 8)) {
    const records = await Promise.all(
      Array.from({ length: VALIDATORS }, async (_, n) => (await rawRpc(chain.rpc(n), 'pipe_getInferencesByTransaction', [h])).result),
    )
    assert.ok((records[0] as unknown[]).length >= 1)
    for (const r of records) assert.deepEqual(r, records[0])
  }
})
