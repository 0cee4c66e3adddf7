import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common'
import { createLegacyTx } from '@ethereumjs/tx'
import { bytesToHex, hexToBytes, type PrefixedHexString } from '@ethereumjs/util'
import { keccak256, toHex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { type DevAccount, devAccounts } from '../../app/modules/evm/devAccounts.ts'
import { raw1559, SECP256K1_N } from '../support/rawTx.ts'
import { rawRpc, waitFor } from '../support/rpc.ts'
import { PORT_OFFSETS, startTestChain, type TestChain } from '../support/testChain.ts'

/**
 * Every CheckTx rejection of the chain-foundation issue, against a real cometbft + pipe node:
 * each gets its own ABCI code and a clear message through both CometBFT's broadcast_tx_sync and
 * eth_sendRawTransaction, and none of them changes anything on chain.
 */
let chain: TestChain
const [alice, bob, carol] = devAccounts(3) as [DevAccount, DevAccount, DevAccount]
const aliceAccount = privateKeyToAccount(alice.privateKey)
const gwei = 10n ** 9n

before(async () => {
  chain = await startTestChain({ name: 'checktx', portOffset: PORT_OFFSETS.checkTx })
})
after(async () => {
  await chain?.stop()
})

async function comet(method: string, params: Record<string, unknown>) {
  const res = await fetch(chain.comet(), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  })
  // CometBFT's answers, as far as these tests read them.
  return (await res.json()) as {
    result: {
      code: number
      codespace: string
      log: string
      n_txs: string
      sync_info: { latest_block_height: string; latest_app_hash: string }
    }
    error?: { code: number; message: string; data?: unknown }
  }
}

async function sign(fields: Partial<Parameters<typeof aliceAccount.signTransaction>[0]>, account = aliceAccount): Promise<`0x${string}`> {
  return account.signTransaction({
    chainId: 1337,
    type: 'eip1559',
    to: bob.address,
    value: 1n,
    gas: 21_000n,
    maxFeePerGas: 10n * gwei,
    maxPriorityFeePerGas: 1n,
    nonce: 1,
    ...fields,
  } as Parameters<typeof aliceAccount.signTransaction>[0])
}

async function ethNonce(addr: string) {
  return BigInt((await rawRpc(chain.rpc(), 'eth_getTransactionCount', [addr, 'latest'])).result as string)
}
async function ethBalance(addr: string) {
  return BigInt((await rawRpc(chain.rpc(), 'eth_getBalance', [addr, 'latest'])).result as string)
}

interface Case {
  name: string
  raw: () => Promise<`0x${string}`>
  code: number
  message: RegExp
}

const rejected: `0x${string}`[] = []
const nobody = privateKeyToAccount(generatePrivateKey())

const cases: Case[] = [
  { name: 'undecodable bytes', raw: async () => '0xdeadbeef', code: 2, message: /invalid transaction encoding/ },
  { name: 'wrong chain id', raw: () => sign({ chainId: 1 }), code: 3, message: /wrong chain id: tx is for chain 1, this chain is 1337/ },
  {
    name: 'unprotected (pre-EIP-155) legacy tx',
    raw: async () => {
      const homestead = createCustomCommon({ chainId: 1337 }, Mainnet, { hardfork: Hardfork.Homestead })
      const tx = createLegacyTx({ nonce: 1n, to: bob.address, value: 1n, gasLimit: 21000n, gasPrice: 10n * gwei }, { common: homestead })
      return bytesToHex(tx.sign(hexToBytes(alice.privateKey as PrefixedHexString)).serialize()) as `0x${string}`
    },
    code: 4,
    message: /only replay-protected \(EIP-155\) transactions are accepted/,
  },
  {
    name: 'bad signature (r = s = 0)',
    raw: async () => bytesToHex(raw1559({ nonce: 1n, r: 0n, s: 0n })) as `0x${string}`,
    code: 5,
    message: /invalid transaction signature/,
  },
  {
    name: 'bad signature (high s)',
    raw: async () => bytesToHex(raw1559({ nonce: 1n, r: 5n, s: SECP256K1_N - 5n })) as `0x${string}`,
    code: 5,
    message: /s-values greater than secp256k1n\/2/,
  },
  {
    name: 'nonce too low',
    raw: () => sign({ nonce: 0 }),
    code: 6,
    message: /nonce too low: tx nonce 0, account 0x[0-9a-f]{40} is at nonce 1/,
  },
  {
    name: 'nonce too far ahead',
    raw: () => sign({ nonce: 65 }),
    code: 7,
    message: /nonce too high: tx nonce 65, next expected nonce of 0x[0-9a-f]{40} is 1; at most 64 ahead can wait/,
  },
  {
    name: 'insufficient balance for gas × price + value',
    raw: () => sign({ nonce: 0 }, nobody),
    code: 8,
    message: /insufficient funds for gas \* price \+ value: address 0x[0-9a-f]{40} has 0 wei, tx needs up to 210000000000001/,
  },
  { name: 'value above balance', raw: () => sign({ value: 10n ** 30n }), code: 8, message: /insufficient funds/ },
  {
    name: 'intrinsic gas too low',
    raw: () => sign({ gas: 20_999n }),
    code: 9,
    message: /intrinsic gas too low: tx gas limit 20999 is below the 21000/,
  },
  {
    name: 'gas above the block gas limit',
    raw: () => sign({ gas: 100_000_001n }),
    code: 10,
    message: /gas limit exceeds the block gas limit: tx gas limit 100000001 > block gas limit 100000000/,
  },
  {
    name: 'oversize tx',
    raw: () => sign({ data: toHex(new Uint8Array(130 * 1024)), gas: 5_000_000n }),
    code: 11,
    message: /transaction too large: \d+ bytes, the limit is 131072/,
  },
  {
    name: 'max fee below base fee',
    raw: () => sign({ maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }),
    code: 12,
    message: /max fee per gas less than block base fee: max fee per gas 1 < base fee \d+/,
  },
  { name: 'unsupported tx type (EIP-4844 blob)', raw: async () => '0x03c0', code: 13, message: /unsupported transaction type: type 3/ },
]

test('one tx commits first, so "nonce too low" has something to be low against', async () => {
  const raw = await sign({ nonce: 0, value: 42n })
  const res = await rawRpc(chain.rpc(), 'eth_sendRawTransaction', [raw])
  assert.equal(res.result, keccak256(raw))
  await waitFor('the first tx receipt', async () => (await rawRpc(chain.rpc(), 'eth_getTransactionReceipt', [keccak256(raw)])).result)
  assert.equal(await ethNonce(alice.address), 1n)
  const again = await rawRpc(chain.rpc(), 'eth_sendRawTransaction', [raw])
  assert.equal(again.error?.code, -32000)
  assert.match(again.error!.message, /^nonce too low: tx 0x[0-9a-f]{64} is already in block \d+$/)
})

for (const c of cases) {
  test(`CheckTx rejects: ${c.name}`, async () => {
    const raw = await c.raw()
    const viaComet = await comet('broadcast_tx_sync', { tx: Buffer.from(hexToBytes(raw)).toString('base64') })
    assert.equal(viaComet.error, undefined, JSON.stringify(viaComet.error))
    assert.equal(viaComet.result.code, c.code, viaComet.result.log)
    assert.equal(viaComet.result.codespace, 'evm')
    assert.match(viaComet.result.log, c.message)
    const viaEth = await rawRpc(chain.rpc(), 'eth_sendRawTransaction', [raw])
    assert.equal(viaEth.result, undefined)
    assert.equal(viaEth.error?.code, -32000)
    assert.match(viaEth.error!.message, c.message)
    rejected.push(raw)
  })
}

test('nothing rejected was committed: no tx, no nonce or balance change, same app hash over 3 blocks', async () => {
  assert.equal(rejected.length, cases.length)
  const status = async () => (await comet('status', {})).result.sync_info
  // A header carries the app hash of the block before it: let the first tx's block settle.
  await chain.net.waitForHeight(BigInt((await status()).latest_block_height) + 2n)
  const start = await status()
  const balances = await Promise.all([alice, bob, carol, nobody].map((a) => ethBalance(a.address)))
  const h = BigInt(start.latest_block_height)
  await chain.net.waitForHeight(h + 3n)
  const end = await status()
  assert.equal(end.latest_app_hash, start.latest_app_hash, 'state unchanged')
  assert.equal(await ethNonce(alice.address), 1n)
  assert.equal(await ethNonce(nobody.address), 0n)
  assert.deepEqual(await Promise.all([alice, bob, carol, nobody].map((a) => ethBalance(a.address))), balances)
  for (const raw of rejected) {
    assert.equal((await rawRpc(chain.rpc(), 'eth_getTransactionByHash', [keccak256(raw)])).result, null)
    const sha = Buffer.from(await crypto.subtle.digest('SHA-256', hexToBytes(raw))).toString('base64')
    const cometTx = await comet('tx', { hash: sha })
    assert.ok(cometTx.error, 'CometBFT has no such tx')
  }
  const mempool = await comet('num_unconfirmed_txs', {})
  assert.equal(mempool.result.n_txs, '0')
})

test("one sender's 200 txs in one JSON-RPC batch all reach CheckTx in order (past the 64-nonce window), and a bad or repeated tx among them fails alone", async () => {
  const carolAccount = privateKeyToAccount(carol.privateKey)
  const raws = await Promise.all(Array.from({ length: 200 }, (_, nonce) => sign({ nonce, to: bob.address }, carolAccount)))
  const badChain = await sign({ nonce: 200, chainId: 1 }, carolAccount)
  const batch = [...raws.slice(0, 100), badChain, raws[50]!, ...raws.slice(100)]
  const res = await fetch(chain.rpc(), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(batch.map((raw, id) => ({ jsonrpc: '2.0', id, method: 'eth_sendRawTransaction', params: [raw] }))),
  })
  const replies = ((await res.json()) as { id: number; result?: string; error?: { code: number; message: string } }[]).sort(
    (a, b) => a.id - b.id,
  )
  assert.equal(replies.length, batch.length)
  replies.forEach((r, i) => {
    if (i === 100) assert.match(r.error?.message ?? '', /chain id/i, 'the wrong-chain tx is refused')
    else if (i === 101) assert.match(r.error?.message ?? '', /already known/, 'the repeated tx is refused')
    else assert.equal(r.result, keccak256(batch[i]!), `tx ${i}: ${JSON.stringify(r.error)}`)
  })
  await waitFor('carol nonce 200', async () => ((await ethNonce(carol.address)) === 200n ? true : undefined), 60_000)
  for (const raw of [raws[0]!, raws[199]!]) {
    const receipt = (await rawRpc(chain.rpc(), 'eth_getTransactionReceipt', [keccak256(raw)])).result as { status: string }
    assert.equal(receipt.status, '0x1')
  }
  assert.equal((await rawRpc(chain.rpc(), 'eth_getTransactionByHash', [keccak256(badChain)])).result, null)
})
