import assert from 'node:assert/strict'
import fs from 'node:fs'
import { after, before, test } from 'node:test'
import { GasPrice, QueryClient, SigningStargateClient, StargateClient } from '@cosmjs/stargate'
import { connectComet } from '@cosmjs/tendermint-rpc'
import { toBech32Address } from '../../app/modules/auth/address.ts'
import { QueryModelRequest, QueryModelResponse } from '../../app/proto/pipe/inference/v1/query.ts'
import { devEthWallet, msgSend, pipeRegistry } from '../support/cosmos.ts'
import { rawRpc, waitFor } from '../support/rpc.ts'
import { PORT_OFFSETS, startTestChain, type TestChain } from '../support/testChain.ts'
import { receiptsOf, type SentTx, sendMixedWorkload } from '../support/workload.ts'

/**
 * A 4-validator localnet of real cometbft + pipe processes: every node must report the same app
 * hash at every height under a mixed workload (Ethereum and Cosmos txs), and a validator killed with SIGKILL must come
 * back with the same state, blocks and receipts and catch up.
 */
let chain: TestChain
const VALIDATORS = 4

before(async () => {
  chain = await startTestChain({ name: 'consensus', portOffset: PORT_OFFSETS.consensus, validators: VALIDATORS, blockTime: '300ms' })
})
after(async () => {
  await chain?.stop()
})

async function cometBlock(node: number, height: bigint): Promise<{ appHash: string; txs: number }> {
  const res = await fetch(`${chain.comet(node)}/block?height=${height}`)
  const body = (await res.json()) as { result: { block: { header: { app_hash: string }; data: { txs: string[] | null } } } }
  return { appHash: body.result.block.header.app_hash, txs: body.result.block.data.txs?.length ?? 0 }
}

async function ethBlockHash(node: number, height: bigint): Promise<string> {
  const b = (await rawRpc(chain.rpc(node), 'eth_getBlockByNumber', [`0x${height.toString(16)}`, false])).result as {
    hash: string
    stateRoot: string
    receiptsRoot: string
  }
  return `${b.hash}/${b.stateRoot}/${b.receiptsRoot}`
}

async function height(node: number): Promise<bigint> {
  return BigInt((await rawRpc(chain.rpc(node), 'eth_blockNumber')).result as string)
}

/** Every node's app hash and Ethereum block (hash, state root, receipts root) at every height. */
async function assertAgreement(upTo: bigint, nodes: number[]): Promise<{ distinctAppHashes: number; txBlocks: number }> {
  const seen = new Set<string>()
  let txBlocks = 0
  for (let h = 1n; h <= upTo; h++) {
    const blocks = await Promise.all(nodes.map((n) => cometBlock(n, h)))
    for (const b of blocks) assert.equal(b.appHash, blocks[0]!.appHash, `app hash at height ${h} differs between nodes`)
    const eth = await Promise.all(nodes.map((n) => ethBlockHash(n, h)))
    for (const e of eth) assert.equal(e, eth[0], `Ethereum block ${h} differs between nodes`)
    seen.add(blocks[0]!.appHash)
    if (blocks[0]!.txs > 0) txBlocks++
  }
  return { distinctAppHashes: seen.size, txBlocks }
}

test('4 validators under a mixed workload report the same app hash at every height', async () => {
  const nodes = [0, 1, 2, 3]
  // two waves, the second sent once the first is committed, so the workload spans at least two
  // blocks however fast the intake is
  const rpcFor = (s: number) => chain.rpc(s % VALIDATORS)
  const first = await sendMixedWorkload({ senders: [0, 1, 2, 3], perSender: 15, rpcFor })
  const firstReceipts = await receiptsOf(chain.rpc(0), first)
  const second = await sendMixedWorkload({ senders: [4, 5, 6, 7], perSender: 15, rpcFor })
  const sent = [...first, ...second]
  const receipts = new Map([...firstReceipts, ...(await receiptsOf(chain.rpc(0), second))])
  const statuses = new Map<string, Set<string>>()
  for (const t of sent) {
    const set = statuses.get(t.kind) ?? new Set()
    set.add(receipts.get(t.hash)!.status as string)
    statuses.set(t.kind, set)
  }
  assert.deepEqual([...statuses.get('deploy')!], ['0x1'])
  assert.deepEqual([...statuses.get('store call')!], ['0x1'])
  assert.deepEqual([...statuses.get('transfer')!], ['0x1'])
  assert.deepEqual([...statuses.get('out-of-gas call')!], ['0x0'])
  const top = (await Promise.all(nodes.map(height))).reduce((a, b) => (a < b ? a : b))
  await chain.net.waitForHeight(top + 1n)
  const { distinctAppHashes, txBlocks } = await assertAgreement(top, nodes)
  assert.ok(txBlocks >= 2, `workload spread over ${txBlocks} blocks`)
  assert.ok(distinctAppHashes > txBlocks / 2, 'state actually changed')
  // the EVM block context comes from the CometBFT header: height, time, proposer, block hash
  const proposers = new Set<string>()
  for (let h = 1n; h <= top; h++) {
    const comet = (await (await fetch(`${chain.comet(0)}/block?height=${h}`)).json()) as {
      result: { block_id: { hash: string }; block: { header: { height: string; time: string; proposer_address: string } } }
    }
    const header = comet.result.block.header
    const eth = (await rawRpc(chain.rpc(0), 'eth_getBlockByNumber', [`0x${h.toString(16)}`, false])).result as Record<string, string>
    assert.equal(BigInt(eth.number!), BigInt(header.height))
    assert.equal(BigInt(eth.timestamp!), BigInt(Math.floor(Date.parse(header.time) / 1000)), `timestamp of block ${h}`)
    assert.equal(eth.miner, `0x${header.proposer_address.toLowerCase()}`, `coinbase of block ${h} is its proposer`)
    assert.equal(eth.mixHash, `0x${comet.result.block_id.hash.toLowerCase()}`, `PREVRANDAO of block ${h} is the CometBFT block hash`)
    proposers.add(eth.miner)
  }
  assert.ok(proposers.size > 1, 'proposers rotate, and so does the coinbase')
  // every node serves the same receipts
  for (const n of [1, 2, 3]) {
    const other = await receiptsOf(chain.rpc(n), sent.slice(0, 20))
    for (const [hash, r] of other) assert.deepEqual(r, receipts.get(hash))
  }
})

test('Cosmos txs sent through different validators: every node reports the same app hash and answers the same queries', async () => {
  const upload = await fetch(`${chain.net.endpoints(0).rest}/v1/models`, {
    method: 'PUT',
    body: fs.readFileSync('models/risk-scorer.onnx'),
  })
  const { cid } = (await upload.json()) as { cid: string }
  const sends = [8, 9].map(async (i) => {
    const client = await SigningStargateClient.connectWithSigner(chain.comet(i % VALIDATORS), await devEthWallet(i), {
      registry: pipeRegistry(),
      gasPrice: GasPrice.fromString('2000000000apipe'),
      broadcastPollIntervalMs: 200,
    })
    try {
      const { address } = (await (await devEthWallet(i)).getAccounts())[0]!
      const msgs = [msgSend(address, toBech32Address(new Uint8Array(20).fill(i)), 1000n)]
      if (i === 8)
        msgs.push({
          typeUrl: '/pipe.inference.v1.MsgRegisterModel',
          value: { owner: address, modelCid: cid, modes: [0], zkVerifyingKeyHash: new Uint8Array(0), artefacts: [] },
        })
      const r = await client.signAndBroadcast(address, msgs, 'auto')
      assert.equal(r.code, 0, r.rawLog)
      return r.height
    } finally {
      client.disconnect()
    }
  })
  const heights = await Promise.all(sends)
  const top = BigInt(Math.max(...heights))
  await chain.net.waitForHeight(top + 1n)
  await assertAgreement(top, [0, 1, 2, 3])
  // the new account (numbered at the end of its block) and the registration, as every node sees them
  const answers = await Promise.all(
    [0, 1, 2, 3].map(async (n) => {
      const client = await StargateClient.connect(chain.comet(n))
      try {
        const account = await client.getAccount(toBech32Address(new Uint8Array(20).fill(8)))
        const q = QueryClient.withExtensions(await connectComet(chain.comet(n)))
        const model = QueryModelResponse.decode(
          (await q.queryAbci('/pipe.inference.v1.Query/Model', QueryModelRequest.encode({ cid }).finish(), Number(top))).value,
        )
        return JSON.stringify({
          number: String(account?.accountNumber),
          owner: model.model?.owner,
          height: String(model.model?.registeredHeight),
        })
      } finally {
        client.disconnect()
      }
    }),
  )
  assert.ok(
    answers.every((a) => a === answers[0]),
    answers.join('\n'),
  )
  assert.match(answers[0]!, /"number":"\d+","owner":"pipe1\w+"/)
})

test('a validator killed with SIGKILL restarts with the same state, blocks and receipts, and catches up', async () => {
  const victim = 3
  const before: SentTx[] = await sendMixedWorkload({ senders: [8], perSender: 6, rpcFor: () => chain.rpc(0) })
  await receiptsOf(chain.rpc(0), before)
  await waitFor('victim to have the txs', async () =>
    (await rawRpc(chain.rpc(victim), 'eth_getTransactionReceipt', [before.at(-1)!.hash])).result ? true : null,
  )
  // kill mid-workload: txs keep flowing to node 0 while the victim is down
  const during = sendMixedWorkload({ senders: [9], perSender: 12, rpcFor: () => chain.rpc(0) })
  await new Promise((r) => setTimeout(r, 400))
  const downAt = await height(0)
  await chain.net.stopNode(victim, 'SIGKILL')
  const sentDuring = await during
  await receiptsOf(chain.rpc(0), sentDuring)
  const target = (await height(0)) + 2n
  assert.ok(target > downAt + 2n, 'the other three kept producing blocks')
  await chain.net.startNode(victim)
  await chain.net.waitForHeight(target, { nodes: [victim], timeoutMs: 90_000 })
  // same blocks (hash, state root, receipts root) and app hashes as the others, at every height
  await assertAgreement(target, [0, victim])
  // same receipts for txs committed before, during and after the crash
  const all = [...before, ...sentDuring]
  const a = await receiptsOf(chain.rpc(0), all)
  const b = await receiptsOf(chain.rpc(victim), all)
  for (const t of all) assert.deepEqual(b.get(t.hash), a.get(t.hash), `receipt of ${t.hash}`)
  const balance = async (n: number) =>
    (await rawRpc(chain.rpc(n), 'eth_getBalance', ['0xa0Ee7A142d267C1f36714E4a8F75612F20a79720', `0x${target.toString(16)}`])).result
  assert.equal(await balance(victim), await balance(0))
})
