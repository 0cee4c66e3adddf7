/**
 * Every Ethereum JSON-RPC method of the list, checked on the wire with raw requests
 * (exact results, error codes and messages): block tags and historical state, blocks by number
 * and hash, fee oracle and fee history, polling filters, pending nonces, batches, errors, and
 * eth_subscribe / eth_unsubscribe over WebSocket. One validator of real processes.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  type Abi,
  type Address,
  encodeAbiParameters,
  encodeDeployData,
  encodeErrorResult,
  encodeEventTopics,
  encodeFunctionData,
  getContractAddress,
  type Hex,
  keccak256,
  pad,
  toHex,
} from 'viem'
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts'
import WebSocket from 'ws'
import { devAccounts } from '../../app/modules/evm/devAccounts.ts'
import { MIN_BASE_FEE } from '../../app/modules/evm/params.ts'
import { type CompiledContract, compileFixture } from '../support/contracts.ts'
import { type RawRpcResponse, rawRpc, waitFor } from '../support/rpc.ts'
import { PORT_OFFSETS, startTestChain, type TestChain } from '../support/testChain.ts'

const GWEI = 10n ** 9n
const ETH = 10n ** 18n
const DEV_BALANCE = 10_000n * ETH
/** Every tx of this file pays exactly this tip (maxFeePerGas is far above base fee + tip). */
const TIP = 1n * GWEI
const MAX_FEE = 20n * GWEI

const HEX_QUANTITY = /^0x(0|[1-9a-f][0-9a-f]*)$/
const HASH = /^0x[0-9a-f]{64}$/
const ADDRESS = /^0x[0-9a-f]{40}$/

type Json = Record<string, unknown>

const q = (n: bigint | number): string => toHex(BigInt(n))

/** The result of a call that must succeed. */
async function call<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await rawRpc(url, method, params)
  assert.equal(res.error, undefined, `${method}(${JSON.stringify(params)}) failed: ${JSON.stringify(res.error)}`)
  assert.ok('result' in res, `${method}: no result`)
  return res.result as T
}

/** The error of a call that must fail. */
async function callError(url: string, method: string, params: unknown[] = []): Promise<NonNullable<RawRpcResponse['error']>> {
  const res = await rawRpc(url, method, params)
  assert.ok(res.error, `${method}(${JSON.stringify(params)}) should fail, got result ${JSON.stringify(res.result)}`)
  assert.equal(res.result, undefined)
  return res.error
}

async function batch(
  url: string,
  requests: { id: number | string; method: string; params: unknown[] }[],
): Promise<(RawRpcResponse & { id: unknown; jsonrpc: string })[]> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(requests.map((r) => ({ jsonrpc: '2.0', ...r }))),
  })
  assert.equal(res.status, 200)
  return (await res.json()) as (RawRpcResponse & { id: unknown; jsonrpc: string })[]
}

/** A minimal WebSocket JSON-RPC client: requests by id, notifications collected per subscription. */
class WsRpc {
  private nextId = 1
  private readonly waiting = new Map<number, (msg: Json) => void>()
  readonly notifications = new Map<string, Json[]>()

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (raw) => {
      const msg = JSON.parse(raw.toString()) as Json
      if (msg.method === 'eth_subscription') {
        const p = msg.params as { subscription: string; result: Json }
        const list = this.notifications.get(p.subscription) ?? []
        list.push(p.result)
        this.notifications.set(p.subscription, list)
        return
      }
      const resolve = this.waiting.get(msg.id as number)
      this.waiting.delete(msg.id as number)
      resolve?.(msg)
    })
  }

  static open(url: string): Promise<WsRpc> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url)
      socket.once('open', () => resolve(new WsRpc(socket)))
      socket.once('error', reject)
    })
  }

  request(method: string, params: unknown[] = []): Promise<Json> {
    const id = this.nextId++
    return new Promise((resolve) => {
      this.waiting.set(id, resolve)
      this.socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }))
    })
  }

  received(sub: string): Json[] {
    return this.notifications.get(sub) ?? []
  }

  close(): void {
    this.socket.close()
  }
}

describe('JSON-RPC methods on the wire', { timeout: 300_000 }, () => {
  const accounts = devAccounts(10)
  let chain: TestChain
  let url: string
  let counter: CompiledContract
  let abi: Abi

  /** Nonce of each of this file's senders, tracked locally. */
  const nonces = new Map<Address, bigint>()

  async function signed(from: PrivateKeyAccount, tx: { to?: Address; value?: bigint; data?: Hex; gas?: bigint }): Promise<Hex> {
    const nonce = nonces.get(from.address) ?? 0n
    nonces.set(from.address, nonce + 1n)
    return from.signTransaction({
      type: 'eip1559',
      chainId: 1337,
      nonce: Number(nonce),
      to: tx.to,
      value: tx.value ?? 0n,
      data: tx.data,
      gas: tx.gas ?? 21_000n,
      maxFeePerGas: MAX_FEE,
      maxPriorityFeePerGas: TIP,
    })
  }

  async function send(from: PrivateKeyAccount, tx: { to?: Address; value?: bigint; data?: Hex; gas?: bigint }): Promise<Hex> {
    const raw = await signed(from, tx)
    const hash = await call<Hex>(url, 'eth_sendRawTransaction', [raw])
    assert.equal(hash, keccak256(raw), 'eth_sendRawTransaction returns the Ethereum tx hash')
    return hash
  }

  function receipt(hash: Hex): Promise<Json> {
    return waitFor(`receipt of ${hash}`, () => call<Json | null>(url, 'eth_getTransactionReceipt', [hash]))
  }

  /** Waits until the chain is at least at height `h` (JSON-RPC view). */
  function reach(h: bigint): Promise<bigint> {
    return waitFor(`block ${h}`, async () => {
      const n = BigInt(await call<string>(url, 'eth_blockNumber'))
      return n >= h ? n : undefined
    })
  }

  const alice = privateKeyToAccount(devAccounts(1)[0]!.privateKey)
  const bob = accounts[1]!.address
  let counterAddress: Address
  let deployReceipt: Json
  let incReceipt: Json
  let incHash: Hex

  before(async () => {
    counter = compileFixture('Counter.sol', 'Counter')
    abi = counter.abi as Abi
    chain = await startTestChain({ name: 'rpc-methods', portOffset: PORT_OFFSETS.rpcMethods })
    url = chain.rpc()
  })

  after(async () => {
    await chain?.stop()
  })

  describe('node identity', () => {
    test('web3_clientVersion, net_version, net_listening, eth_chainId, eth_syncing, eth_accounts', async () => {
      const version = await call<string>(url, 'web3_clientVersion')
      assert.equal(typeof version, 'string')
      assert.ok(version.startsWith('pipe/'), version)
      assert.equal(await call(url, 'net_version'), '1337')
      assert.equal(await call(url, 'net_listening'), true)
      assert.equal(await call(url, 'eth_chainId'), '0x539')
      assert.equal(await call(url, 'eth_syncing'), false)
      assert.deepEqual(await call(url, 'eth_accounts'), [])
    })

    test('eth_blockNumber is a hex quantity that follows the chain', async () => {
      const n = await call<string>(url, 'eth_blockNumber')
      assert.match(n, HEX_QUANTITY)
      assert.ok(BigInt(n) >= 1n)
      await reach(BigInt(n) + 2n)
    })
  })

  describe('fees on an idle chain', () => {
    test('base fee decays to the floor; eth_gasPrice = floor, eth_maxPriorityFeePerGas = 0 with no tx yet', async () => {
      // 1 gwei × (7/8)^n reaches the 0.1 gwei floor after 18 empty blocks.
      await waitFor(
        'the base fee floor',
        async () => {
          const b = await call<Json>(url, 'eth_getBlockByNumber', ['latest', false])
          return b.baseFeePerGas === q(MIN_BASE_FEE) ? b : undefined
        },
        60_000,
      )
      assert.equal(await call(url, 'eth_maxPriorityFeePerGas'), '0x0')
      assert.equal(await call(url, 'eth_gasPrice'), q(MIN_BASE_FEE))
    })
  })

  describe('transactions, receipts and historical state', () => {
    let transferHash: Hex
    let transferReceipt: Json
    const value = 1n * ETH + 12345n

    test('eth_sendRawTransaction of a transfer; eth_getTransactionByHash and the receipt', async () => {
      transferHash = await send(alice, { to: bob, value })
      transferReceipt = await receipt(transferHash)
      const tx = await call<Json>(url, 'eth_getTransactionByHash', [transferHash])
      assert.equal(tx.hash, transferHash)
      assert.equal(tx.type, '0x2')
      assert.equal(tx.nonce, '0x0')
      assert.equal(tx.from, alice.address.toLowerCase())
      assert.equal(tx.to, bob.toLowerCase())
      assert.equal(tx.value, q(value))
      assert.equal(tx.gas, q(21_000))
      assert.equal(tx.input, '0x')
      assert.equal(tx.chainId, '0x539')
      assert.equal(tx.maxFeePerGas, q(MAX_FEE))
      assert.equal(tx.maxPriorityFeePerGas, q(TIP))
      assert.equal(tx.blockHash, transferReceipt.blockHash)
      assert.equal(tx.blockNumber, transferReceipt.blockNumber)
      assert.equal(tx.transactionIndex, '0x0')
      assert.deepEqual(tx.accessList, [])
      assert.match(tx.r as string, HEX_QUANTITY)
      assert.match(tx.s as string, HEX_QUANTITY)

      const block = await call<Json>(url, 'eth_getBlockByNumber', [transferReceipt.blockNumber, false])
      const baseFee = BigInt(block.baseFeePerGas as string)
      assert.equal(tx.gasPrice, q(baseFee + TIP))

      assert.deepEqual(transferReceipt, {
        transactionHash: transferHash,
        transactionIndex: '0x0',
        blockHash: block.hash,
        blockNumber: block.number,
        from: alice.address.toLowerCase(),
        to: bob.toLowerCase(),
        cumulativeGasUsed: q(21_000),
        gasUsed: q(21_000),
        effectiveGasPrice: q(baseFee + TIP),
        contractAddress: null,
        logs: [],
        logsBloom: `0x${'0'.repeat(512)}`,
        type: '0x2',
        status: '0x1',
      })
      // An unknown hash: null for both.
      const unknown = pad('0x1234', { size: 32 })
      assert.equal(await call(url, 'eth_getTransactionByHash', [unknown]), null)
      assert.equal(await call(url, 'eth_getTransactionReceipt', [unknown]), null)
    })

    test('eth_getBalance / eth_getTransactionCount at earliest, old numbers and every tag', async () => {
      const h = BigInt(transferReceipt.blockNumber as string)
      const gasCost = 21_000n * BigInt(transferReceipt.effectiveGasPrice as string)
      const tags = ['latest', 'pending', 'safe', 'finalized'] as const
      // Genesis state.
      assert.equal(await call(url, 'eth_getBalance', [alice.address, 'earliest']), q(DEV_BALANCE))
      assert.equal(await call(url, 'eth_getBalance', [bob, 'earliest']), q(DEV_BALANCE))
      assert.equal(await call(url, 'eth_getBalance', [alice.address, '0x0']), q(DEV_BALANCE))
      assert.equal(await call(url, 'eth_getTransactionCount', [alice.address, 'earliest']), '0x0')
      // The block before the transfer still has the old balances and nonce.
      assert.equal(await call(url, 'eth_getBalance', [alice.address, q(h - 1n)]), q(DEV_BALANCE))
      assert.equal(await call(url, 'eth_getBalance', [bob, q(h - 1n)]), q(DEV_BALANCE))
      assert.equal(await call(url, 'eth_getTransactionCount', [alice.address, q(h - 1n)]), '0x0')
      // From the transfer's block on, the new ones.
      assert.equal(await call(url, 'eth_getBalance', [alice.address, q(h)]), q(DEV_BALANCE - value - gasCost))
      assert.equal(await call(url, 'eth_getBalance', [bob, q(h)]), q(DEV_BALANCE + value))
      assert.equal(await call(url, 'eth_getTransactionCount', [alice.address, q(h)]), '0x1')
      // EIP-1898 block objects.
      assert.equal(await call(url, 'eth_getBalance', [bob, { blockNumber: q(h - 1n) }]), q(DEV_BALANCE))
      assert.equal(await call(url, 'eth_getBalance', [bob, { blockHash: transferReceipt.blockHash }]), q(DEV_BALANCE + value))
      for (const tag of tags) {
        assert.equal(await call(url, 'eth_getBalance', [alice.address, tag]), q(DEV_BALANCE - value - gasCost), `balance at ${tag}`)
        assert.equal(await call(url, 'eth_getBalance', [bob, tag]), q(DEV_BALANCE + value), `bob's balance at ${tag}`)
        assert.equal(await call(url, 'eth_getTransactionCount', [alice.address, tag]), '0x1', `nonce at ${tag}`)
      }
      // Omitted block = latest.
      assert.equal(await call(url, 'eth_getBalance', [bob]), q(DEV_BALANCE + value))
      // An account that never existed.
      const nobody = '0x000000000000000000000000000000000000dEaD'
      assert.equal(await call(url, 'eth_getBalance', [nobody, 'latest']), '0x0')
      assert.equal(await call(url, 'eth_getTransactionCount', [nobody, 'latest']), '0x0')
      // A block beyond the head.
      const err = await callError(url, 'eth_getBalance', [bob, q(h + 1_000_000n)])
      assert.equal(err.code, -32000)
      assert.equal(err.message, 'header not found')
    })

    test('deploy Counter; eth_getCode at earliest / before / after and at every tag', async () => {
      const data = encodeDeployData({ abi, bytecode: counter.bytecode })
      const estimate = await call<string>(url, 'eth_estimateGas', [{ from: alice.address, data }])
      assert.match(estimate, HEX_QUANTITY)
      const hash = await send(alice, { data, gas: BigInt(estimate) })
      deployReceipt = await receipt(hash)
      counterAddress = getContractAddress({ from: alice.address, nonce: 1n })
      assert.equal(deployReceipt.status, '0x1')
      assert.equal(deployReceipt.to, null)
      assert.equal(deployReceipt.contractAddress, counterAddress.toLowerCase())
      const h = BigInt(deployReceipt.blockNumber as string)
      assert.equal(await call(url, 'eth_getCode', [counterAddress, 'earliest']), '0x')
      assert.equal(await call(url, 'eth_getCode', [counterAddress, q(h - 1n)]), '0x')
      assert.equal(await call(url, 'eth_getCode', [counterAddress, q(h)]), counter.deployedBytecode)
      for (const tag of ['latest', 'pending', 'safe', 'finalized']) {
        assert.equal(await call(url, 'eth_getCode', [counterAddress, tag]), counter.deployedBytecode, `code at ${tag}`)
      }
      assert.equal(await call(url, 'eth_getCode', [bob, 'latest']), '0x')
    })

    test('increment(5): eth_getStorageAt and eth_call at the blocks before and after, and at every tag', async () => {
      incHash = await send(alice, {
        to: counterAddress,
        data: encodeFunctionData({ abi, functionName: 'increment', args: [5n] }),
        gas: 100_000n,
      })
      incReceipt = await receipt(incHash)
      assert.equal(incReceipt.status, '0x1')
      const h = BigInt(incReceipt.blockNumber as string)
      const zero = pad('0x0', { size: 32 })
      const five = pad('0x5', { size: 32 })
      const valueCall = { to: counterAddress, data: encodeFunctionData({ abi, functionName: 'value' }) }

      assert.equal(await call(url, 'eth_getStorageAt', [counterAddress, '0x0', 'earliest']), zero)
      assert.equal(await call(url, 'eth_getStorageAt', [counterAddress, '0x0', q(h - 1n)]), zero)
      assert.equal(await call(url, 'eth_getStorageAt', [counterAddress, '0x0', q(h)]), five)
      // A full 32-byte slot key is the same slot.
      assert.equal(await call(url, 'eth_getStorageAt', [counterAddress, zero, q(h)]), five)
      assert.equal(await call(url, 'eth_getStorageAt', [counterAddress, '0x1', q(h)]), zero)
      assert.equal(await call(url, 'eth_call', [valueCall, q(h - 1n)]), zero)
      assert.equal(await call(url, 'eth_call', [valueCall, q(h)]), five)
      // Before the deployment there is no code: the call returns nothing.
      assert.equal(await call(url, 'eth_call', [valueCall, 'earliest']), '0x')
      for (const tag of ['latest', 'pending', 'safe', 'finalized']) {
        assert.equal(await call(url, 'eth_getStorageAt', [counterAddress, '0x0', tag]), five, `storage at ${tag}`)
        assert.equal(await call(url, 'eth_call', [valueCall, tag]), five, `eth_call at ${tag}`)
      }
      assert.equal(await call(url, 'eth_call', [valueCall]), five)
    })

    test('the receipt of increment(5) holds the log; eth_getLogs by range, by blockHash and by topic', async () => {
      const [topic0, topic1] = encodeEventTopics({ abi, eventName: 'Incremented', args: { by: alice.address } })
      const expectedLog = {
        address: counterAddress.toLowerCase(),
        topics: [topic0, topic1],
        data: encodeAbiParameters([{ type: 'uint256' }, { type: 'uint256' }], [5n, 5n]),
        blockNumber: incReceipt.blockNumber,
        blockHash: incReceipt.blockHash,
        transactionHash: incHash,
        transactionIndex: '0x0',
        logIndex: '0x0',
        removed: false,
      }
      const logs = incReceipt.logs as Json[]
      assert.equal(logs.length, 1)
      const { blockTimestamp, ...rest } = logs[0]!
      assert.deepEqual(rest, expectedLog)
      const block = await call<Json>(url, 'eth_getBlockByNumber', [incReceipt.blockNumber, false])
      assert.equal(blockTimestamp, block.timestamp)
      assert.notEqual(incReceipt.logsBloom, `0x${'0'.repeat(512)}`)

      const byRange = await call<Json[]>(url, 'eth_getLogs', [
        { fromBlock: deployReceipt.blockNumber, toBlock: 'latest', address: counterAddress },
      ])
      assert.deepEqual(byRange, logs)
      const byHash = await call<Json[]>(url, 'eth_getLogs', [{ blockHash: incReceipt.blockHash }])
      assert.deepEqual(byHash, logs)
      const byTopic = await call<Json[]>(url, 'eth_getLogs', [{ fromBlock: '0x0', topics: [topic0, topic1] }])
      assert.deepEqual(byTopic, logs)
      const otherSender = pad(bob.toLowerCase() as Hex, { size: 32 })
      assert.deepEqual(await call(url, 'eth_getLogs', [{ fromBlock: '0x0', topics: [topic0, otherSender] }]), [])
      // A range without the tx's block: nothing.
      assert.deepEqual(
        await call(url, 'eth_getLogs', [
          { fromBlock: '0x0', toBlock: q(BigInt(incReceipt.blockNumber as string) - 1n), address: counterAddress },
        ]),
        [],
      )
      // A reversed range, or a fromBlock past the head with toBlock latest, is -32602 (as geth and the spec).
      const reversed = await callError(url, 'eth_getLogs', [{ fromBlock: '0x5', toBlock: '0x4' }])
      assert.deepEqual(reversed, { code: -32602, message: 'filter: fromBlock 5 is after toBlock 4' })
      const future = await callError(url, 'eth_getLogs', [{ fromBlock: '0xffffff', toBlock: 'latest' }])
      assert.equal(future.code, -32602)
    })

    test('eth_getBlockByHash: hashes vs full transactions; transaction counts by number and hash', async () => {
      const hashesBlock = await call<Json>(url, 'eth_getBlockByHash', [transferReceipt.blockHash, false])
      const fullBlock = await call<Json>(url, 'eth_getBlockByHash', [transferReceipt.blockHash, true])
      const byNumber = await call<Json>(url, 'eth_getBlockByNumber', [transferReceipt.blockNumber, false])
      assert.deepEqual(hashesBlock, byNumber)
      assert.equal(hashesBlock.hash, transferReceipt.blockHash)
      assert.equal(hashesBlock.number, transferReceipt.blockNumber)
      assert.deepEqual(hashesBlock.transactions, [transferHash])
      const txObject = await call<Json>(url, 'eth_getTransactionByHash', [transferHash])
      assert.deepEqual(fullBlock.transactions, [txObject])
      const { transactions: _a, ...headerOfFull } = fullBlock
      const { transactions: _b, ...headerOfHashes } = hashesBlock
      assert.deepEqual(headerOfFull, headerOfHashes)
      // Block shape.
      for (const key of ['hash', 'parentHash', 'stateRoot', 'transactionsRoot', 'receiptsRoot'])
        assert.match(hashesBlock[key] as string, HASH, key)
      for (const key of ['number', 'gasLimit', 'gasUsed', 'timestamp', 'baseFeePerGas', 'size'])
        assert.match(hashesBlock[key] as string, HEX_QUANTITY, key)
      assert.match(hashesBlock.miner as string, ADDRESS)
      assert.equal(hashesBlock.gasUsed, q(21_000))
      assert.deepEqual(hashesBlock.uncles, [])
      const parent = await call<Json>(url, 'eth_getBlockByNumber', [q(BigInt(transferReceipt.blockNumber as string) - 1n), false])
      assert.equal(hashesBlock.parentHash, parent.hash)

      assert.equal(await call(url, 'eth_getBlockTransactionCountByHash', [transferReceipt.blockHash]), '0x1')
      assert.equal(await call(url, 'eth_getBlockTransactionCountByNumber', [transferReceipt.blockNumber]), '0x1')
      assert.equal(await call(url, 'eth_getBlockTransactionCountByNumber', [parent.number]), '0x0')
      assert.equal(await call(url, 'eth_getBlockTransactionCountByHash', [parent.hash]), '0x0')
      assert.equal(await call(url, 'eth_getBlockTransactionCountByNumber', ['earliest']), '0x0')
      // Unknown blocks: null.
      const unknown = pad('0xbeef', { size: 32 })
      assert.equal(await call(url, 'eth_getBlockByHash', [unknown, false]), null)
      assert.equal(await call(url, 'eth_getBlockTransactionCountByHash', [unknown]), null)
      assert.equal(await call(url, 'eth_getBlockByNumber', ['0xffffffff', false]), null)
      assert.equal(await call(url, 'eth_getBlockTransactionCountByNumber', ['0xffffffff']), null)
    })

    test('eth_getBlockByNumber: earliest is block 0; latest / pending / safe / finalized are the head', async () => {
      const genesis = await call<Json>(url, 'eth_getBlockByNumber', ['earliest', false])
      assert.ok(genesis)
      assert.equal(genesis.number, '0x0')
      assert.deepEqual(genesis.transactions, [])
      assert.deepEqual(await call(url, 'eth_getBlockByNumber', ['0x0', false]), genesis)
      assert.deepEqual(await call(url, 'eth_getBlockByHash', [genesis.hash, false]), genesis)
      const one = await call<Json>(url, 'eth_getBlockByNumber', ['0x1', false])
      assert.equal(one.parentHash, genesis.hash)

      for (const tag of ['latest', 'pending', 'safe', 'finalized']) {
        const before = BigInt(await call<string>(url, 'eth_blockNumber'))
        const b = await call<Json>(url, 'eth_getBlockByNumber', [tag, false])
        const afterN = BigInt(await call<string>(url, 'eth_blockNumber'))
        const n = BigInt(b.number as string)
        assert.ok(n >= before && n <= afterN, `${tag}: block ${n} outside ${before}..${afterN}`)
        // The same block when asked by its number.
        assert.deepEqual(await call(url, 'eth_getBlockByNumber', [b.number, false]), b, tag)
      }
    })

    test('fees after txs: eth_maxPriorityFeePerGas is the tip paid, eth_gasPrice = base fee + tip', async () => {
      // Every tx so far paid exactly TIP, so any percentile of recent tips is TIP; the base fee
      // stays at the floor (blocks are far below the gas target).
      const res = await batch(url, [
        { id: 1, method: 'eth_maxPriorityFeePerGas', params: [] },
        { id: 2, method: 'eth_gasPrice', params: [] },
      ])
      assert.deepEqual(
        res.map((r) => [r.id, r.result]),
        [
          [1, q(TIP)],
          [2, q(MIN_BASE_FEE + TIP)],
        ],
      )
    })

    test('eth_feeHistory with reward percentiles', async () => {
      const h = BigInt(incReceipt.blockNumber as string)
      await reach(h + 1n)
      const blockCount = 4
      const history = await call<Json>(url, 'eth_feeHistory', [q(blockCount), q(h), [25, 75]])
      assert.equal(history.oldestBlock, q(h - 3n))
      const baseFees = history.baseFeePerGas as string[]
      const ratios = history.gasUsedRatio as number[]
      const reward = history.reward as string[][]
      assert.equal(baseFees.length, blockCount + 1)
      assert.equal(ratios.length, blockCount)
      assert.equal(reward.length, blockCount)
      for (let i = 0; i < blockCount; i++) {
        const b = await call<Json>(url, 'eth_getBlockByNumber', [q(h - 3n + BigInt(i)), false])
        assert.equal(baseFees[i], b.baseFeePerGas, `baseFeePerGas[${i}]`)
        assert.equal(ratios[i], Number(BigInt(b.gasUsed as string)) / Number(BigInt(b.gasLimit as string)), `gasUsedRatio[${i}]`)
        const paidTip = (b.transactions as string[]).length > 0
        assert.deepEqual(reward[i], paidTip ? [q(TIP), q(TIP)] : ['0x0', '0x0'], `reward[${i}]`)
      }
      // The last entry is the base fee of the block after the newest.
      const next = await call<Json>(url, 'eth_getBlockByNumber', [q(h + 1n), false])
      assert.equal(baseFees[blockCount], next.baseFeePerGas)
      assert.deepEqual(reward[blockCount - 1], [q(TIP), q(TIP)])

      // Without percentiles: no reward field; 'latest' works as newest block.
      const plain = await call<Json>(url, 'eth_feeHistory', ['0x2', 'latest'])
      assert.equal('reward' in plain, false)
      assert.equal((plain.baseFeePerGas as string[]).length, 3)
      assert.equal((plain.gasUsedRatio as number[]).length, 2)
    })

    test('eth_feeHistory rewards are gas-weighted percentiles of the tips in a block', async () => {
      // Two senders, two tips: a 21000-gas transfer tipping 1 gwei and a ~45000-gas increment tipping 3 gwei.
      const low = privateKeyToAccount(accounts[4]!.privateKey)
      const high = privateKeyToAccount(accounts[5]!.privateKey)
      for (let attempt = 0; attempt < 5; attempt++) {
        const lowNonce = nonces.get(low.address) ?? 0n
        const highNonce = nonces.get(high.address) ?? 0n
        nonces.set(low.address, lowNonce + 1n)
        nonces.set(high.address, highNonce + 1n)
        const rawLow = await low.signTransaction({
          type: 'eip1559',
          chainId: 1337,
          nonce: Number(lowNonce),
          to: bob,
          value: 1n,
          gas: 21_000n,
          maxFeePerGas: MAX_FEE,
          maxPriorityFeePerGas: 1n * GWEI,
        })
        const rawHigh = await high.signTransaction({
          type: 'eip1559',
          chainId: 1337,
          nonce: Number(highNonce),
          to: counterAddress,
          data: encodeFunctionData({ abi, functionName: 'increment', args: [1n] }),
          gas: 100_000n,
          maxFeePerGas: MAX_FEE,
          maxPriorityFeePerGas: 3n * GWEI,
        })
        const [hLow, hHigh] = await Promise.all([
          call<Hex>(url, 'eth_sendRawTransaction', [rawLow]),
          call<Hex>(url, 'eth_sendRawTransaction', [rawHigh]),
        ])
        const rLow = await receipt(hLow)
        const rHigh = await receipt(hHigh)
        if (rLow.blockHash !== rHigh.blockHash) continue
        const block = await call<Json>(url, 'eth_getBlockByHash', [rLow.blockHash, false])
        if ((block.transactions as string[]).length !== 2) continue
        const gasLow = BigInt(rLow.gasUsed as string)
        const gasHigh = BigInt(rHigh.gasUsed as string)
        assert.equal(gasLow, 21_000n)
        assert.ok(gasHigh > gasLow, `increment gas ${gasHigh}`)
        // Sorted by tip: [low (21000 gas), high]. Percentile p picks the first tx whose cumulative
        // gas reaches p% of the block's gas.
        const lowShare = Number((gasLow * 100n) / (gasLow + gasHigh))
        const percentiles = [0, lowShare - 1, lowShare + 1, 100]
        const history = await call<Json>(url, 'eth_feeHistory', ['0x1', rLow.blockNumber, percentiles])
        assert.equal(history.oldestBlock, rLow.blockNumber)
        assert.deepEqual(history.reward, [[q(GWEI), q(GWEI), q(3n * GWEI), q(3n * GWEI)]])
        assert.deepEqual(history.gasUsedRatio, [Number(gasLow + gasHigh) / Number(BigInt(block.gasLimit as string))])
        return
      }
      assert.fail('the two txs never landed alone in one block')
    })

    test('eth_estimateGas of a transfer is 21000', async () => {
      assert.equal(await call(url, 'eth_estimateGas', [{ from: alice.address, to: bob, value: '0x1' }]), q(21_000))
    })
  })

  describe('calls the sender cannot afford', () => {
    // geth: "insufficient funds for gas * price + value" (eth_call) and "insufficient funds for
    // transfer" (eth_estimateGas), -32000, even when no gas price is given.
    const poor = '0x00000000000000000000000000000000000000aa'
    const tooMuch = q(DEV_BALANCE * 1000n)

    test('eth_call with a value above the balance of `from` is an insufficient-funds error', async () => {
      const err = await callError(url, 'eth_call', [{ from: alice.address, to: bob, value: tooMuch }, 'latest'])
      assert.equal(err.code, -32000)
      assert.match(err.message, /^insufficient funds/)
      const empty = await callError(url, 'eth_call', [{ from: poor, to: bob, value: '0x1' }, 'latest'])
      assert.equal(empty.code, -32000)
      assert.match(empty.message, /^insufficient funds/)
    })

    test('eth_estimateGas with a value above the balance of `from` is an insufficient-funds error', async () => {
      const err = await callError(url, 'eth_estimateGas', [{ from: alice.address, to: bob, value: tooMuch }])
      assert.equal(err.code, -32000)
      assert.match(err.message, /^insufficient funds/)
    })
  })

  describe('reverts', () => {
    const revertData = encodeErrorResult({
      abi: [{ type: 'error', name: 'Error', inputs: [{ type: 'string', name: 'message' }] }],
      errorName: 'Error',
      args: ['counter: nope'],
    })

    test('a reverted eth_call is code 3 with the Error(string) data and the decoded message', async () => {
      const err = await callError(url, 'eth_call', [
        { to: counterAddress, data: encodeFunctionData({ abi, functionName: 'failRequire' }) },
        'latest',
      ])
      assert.deepEqual(err, { code: 3, message: 'execution reverted: counter: nope', data: revertData })
    })

    test('eth_estimateGas of a reverting call is code 3 too', async () => {
      const err = await callError(url, 'eth_estimateGas', [
        { from: alice.address, to: counterAddress, data: encodeFunctionData({ abi, functionName: 'failRequire' }) },
      ])
      assert.deepEqual(err, { code: 3, message: 'execution reverted: counter: nope', data: revertData })
    })

    test('a custom error and a Panic: code 3 with their data', async () => {
      const current = BigInt(await call<string>(url, 'eth_getStorageAt', [counterAddress, '0x0', 'latest']))
      assert.ok(current >= 5n)
      const custom = await callError(url, 'eth_call', [
        { to: counterAddress, data: encodeFunctionData({ abi, functionName: 'failCustom' }) },
        'latest',
      ])
      assert.deepEqual(custom, {
        code: 3,
        message: 'execution reverted',
        data: encodeErrorResult({ abi, errorName: 'CounterTooSmall', args: [current, 1000n] }),
      })
      const panic = await callError(url, 'eth_call', [
        { to: counterAddress, data: encodeFunctionData({ abi, functionName: 'failAssert' }) },
      ])
      assert.deepEqual(panic, {
        code: 3,
        message: 'execution reverted: panic: assert(false)',
        data: '0x4e487b710000000000000000000000000000000000000000000000000000000000000001',
      })
    })
  })

  describe('pending nonces', () => {
    test("two quick sends: 'pending' counts both before they are mined, 'latest' catches up; same-block indexes", async () => {
      const sender = privateKeyToAccount(accounts[2]!.privateKey)
      const incData = encodeFunctionData({ abi, functionName: 'increment', args: [1n] })
      let sawPending = false
      let sawSameBlock = false
      for (let attempt = 0; attempt < 5 && !(sawPending && sawSameBlock); attempt++) {
        const n = nonces.get(sender.address) ?? 0n
        const latestBefore = await call<string>(url, 'eth_getTransactionCount', [sender.address, 'latest'])
        assert.equal(latestBefore, q(n))
        const raw1 = await signed(sender, { to: counterAddress, data: incData, gas: 100_000n })
        const raw2 = await signed(sender, { to: counterAddress, data: incData, gas: 100_000n })
        const hash1 = await call<Hex>(url, 'eth_sendRawTransaction', [raw1])
        const hash2 = await call<Hex>(url, 'eth_sendRawTransaction', [raw2])
        const res = await batch(url, [
          { id: 'pending', method: 'eth_getTransactionCount', params: [sender.address, 'pending'] },
          { id: 'latest', method: 'eth_getTransactionCount', params: [sender.address, 'latest'] },
          { id: 'r1', method: 'eth_getTransactionReceipt', params: [hash1] },
          { id: 'r2', method: 'eth_getTransactionReceipt', params: [hash2] },
          { id: 'tx2', method: 'eth_getTransactionByHash', params: [hash2] },
        ])
        const byId = new Map(res.map((r) => [r.id, r]))
        // Whatever was mined meanwhile, pending is always past both txs.
        assert.equal(byId.get('pending')?.result, q(n + 2n))
        // The tx is known (pending or mined) right after the send.
        const tx2 = byId.get('tx2')?.result as Json
        assert.equal(tx2.hash, hash2)
        assert.equal(tx2.nonce, q(n + 1n))
        assert.equal(tx2.from, sender.address.toLowerCase())
        if (byId.get('r1')?.result === null && byId.get('r2')?.result === null) {
          // Neither mined: latest is still the old nonce, pending two higher.
          sawPending = true
          assert.equal(byId.get('latest')?.result, q(n))
          assert.equal(tx2.blockHash, null)
          assert.equal(tx2.blockNumber, null)
          assert.equal(tx2.transactionIndex, null)
        }
        const r1 = await receipt(hash1)
        const r2 = await receipt(hash2)
        assert.equal(await call(url, 'eth_getTransactionCount', [sender.address, 'latest']), q(n + 2n))
        assert.equal(await call(url, 'eth_getTransactionCount', [sender.address, 'pending']), q(n + 2n))
        if (r1.blockHash === r2.blockHash) {
          // Both in one block: consecutive tx indexes, cumulative gas, block-wide log indexes.
          sawSameBlock = true
          const block = await call<Json>(url, 'eth_getBlockByHash', [r1.blockHash, false])
          const txs = block.transactions as string[]
          const i1 = txs.indexOf(hash1)
          assert.equal(txs.indexOf(hash2), i1 + 1, 'nonce order inside the block')
          assert.equal(r1.transactionIndex, q(i1))
          assert.equal(r2.transactionIndex, q(i1 + 1))
          assert.equal(BigInt(r2.cumulativeGasUsed as string), BigInt(r1.cumulativeGasUsed as string) + BigInt(r2.gasUsed as string))
          const logs1 = r1.logs as Json[]
          const logs2 = r2.logs as Json[]
          assert.equal(logs1.length, 1)
          assert.equal(logs2.length, 1)
          assert.equal(BigInt(logs2[0]!.logIndex as string), BigInt(logs1[0]!.logIndex as string) + 1n)
          assert.equal(logs2[0]!.transactionIndex, r2.transactionIndex)
          // The block's gas and bloom sum up its receipts.
          const receipts = await Promise.all(txs.map((h) => receipt(h as Hex)))
          assert.equal(block.gasUsed, q(receipts.reduce((sum, r) => sum + BigInt(r.gasUsed as string), 0n)))
          assert.equal(receipts[receipts.length - 1]!.cumulativeGasUsed, block.gasUsed)
          const bloom = receipts.reduce((acc, r) => acc | BigInt(r.logsBloom as string), 0n)
          assert.equal(block.logsBloom, `0x${bloom.toString(16).padStart(512, '0')}`)
          assert.deepEqual(await call(url, 'eth_getLogs', [{ blockHash: r1.blockHash, address: counterAddress }]), [...logs1, ...logs2])
        }
      }
      assert.ok(sawPending, 'never observed the two txs before they were mined')
      assert.ok(sawSameBlock, 'never saw the two txs land in the same block')
    })

    test("a nonce gap: 'pending' stays at the next contiguous nonce until the gap is filled", async () => {
      const sender = privateKeyToAccount(accounts[3]!.privateKey)
      const n = nonces.get(sender.address) ?? 0n
      assert.equal(await call(url, 'eth_getTransactionCount', [sender.address, 'latest']), q(n))
      // Sign n, n+1, n+2 but send n+2 first.
      const raws = [
        await signed(sender, { to: bob, value: 1n }),
        await signed(sender, { to: bob, value: 2n }),
        await signed(sender, { to: bob, value: 3n }),
      ]
      const hash3 = await call<Hex>(url, 'eth_sendRawTransaction', [raws[2]])
      assert.equal(await call(url, 'eth_getTransactionCount', [sender.address, 'pending']), q(n))
      assert.equal(await call(url, 'eth_getTransactionCount', [sender.address, 'latest']), q(n))
      await call(url, 'eth_sendRawTransaction', [raws[0]])
      await call(url, 'eth_sendRawTransaction', [raws[1]])
      const r3 = await receipt(hash3)
      assert.equal(r3.status, '0x1')
      assert.equal(await call(url, 'eth_getTransactionCount', [sender.address, 'latest']), q(n + 3n))
      assert.equal(await call(url, 'eth_getTransactionCount', [sender.address, 'pending']), q(n + 3n))
    })
  })

  describe('polling filters', () => {
    test('eth_newFilter + eth_getFilterChanges: the new log once, then nothing', async () => {
      const id = await call<string>(url, 'eth_newFilter', [{ address: counterAddress }])
      assert.match(id, /^0x[0-9a-f]+$/)
      const hash = await send(alice, {
        to: counterAddress,
        data: encodeFunctionData({ abi, functionName: 'increment', args: [2n] }),
        gas: 100_000n,
      })
      const r = await receipt(hash)
      // The filter reports committed blocks: poll until the tx's block has been seen.
      let changes: Json[] = []
      await waitFor('the filter to report the log', async () => {
        changes = changes.concat(await call<Json[]>(url, 'eth_getFilterChanges', [id]))
        return changes.length > 0 ? true : undefined
      })
      assert.deepEqual(changes, r.logs)
      assert.equal(changes.length, 1)
      assert.equal((changes[0] as Json).transactionHash, hash)
      assert.deepEqual(await call(url, 'eth_getFilterChanges', [id]), [])
      assert.equal(await call(url, 'eth_uninstallFilter', [id]), true)
      assert.equal(await call(url, 'eth_uninstallFilter', [id]), false)
    })

    test('eth_newBlockFilter reports each new block hash once, in order', async () => {
      const id = await call<string>(url, 'eth_newBlockFilter')
      const start = BigInt(await call<string>(url, 'eth_blockNumber'))
      await reach(start + 3n)
      const first = await call<string[]>(url, 'eth_getFilterChanges', [id])
      assert.ok(first.length >= 3, `expected at least 3 block hashes, got ${first.length}`)
      await reach(start + BigInt(first.length) + 2n)
      const second = await call<string[]>(url, 'eth_getFilterChanges', [id])
      assert.ok(second.length >= 1)
      const all = [...first, ...second]
      // Consecutive blocks, no duplicate: each hash's block is the previous one's child.
      const firstBlock = await call<Json>(url, 'eth_getBlockByHash', [all[0], false])
      let n = BigInt(firstBlock.number as string)
      for (const h of all) {
        assert.match(h, HASH)
        const b = await call<Json>(url, 'eth_getBlockByNumber', [q(n), false])
        assert.equal(h, b.hash, `hash of block ${n}`)
        n++
      }
      assert.equal(await call(url, 'eth_uninstallFilter', [id]), true)
      assert.equal(await call(url, 'eth_uninstallFilter', [id]), false)
    })

    test('eth_newFilter refuses a reversed block range, as eth_getLogs does', async () => {
      const range = { fromBlock: '0x5', toBlock: '0x4' }
      const logsErr = await callError(url, 'eth_getLogs', [range])
      assert.equal(logsErr.code, -32602)
      const filterErr = await callError(url, 'eth_newFilter', [range])
      assert.equal(filterErr.code, -32602)
    })

    test('eth_getFilterChanges on an unknown (or uninstalled) id is an error', async () => {
      const err = await callError(url, 'eth_getFilterChanges', ['0xdeadbeef'])
      assert.deepEqual(err, { code: -32001, message: 'filter not found' })
    })
  })

  describe('protocol', () => {
    test('an HTTP batch of 3 requests returns 3 responses with matching ids', async () => {
      const res = await batch(url, [
        { id: 7, method: 'eth_chainId', params: [] },
        { id: 'eight', method: 'net_version', params: [] },
        { id: 9, method: 'eth_getBalance', params: [accounts[9]!.address, 'earliest'] },
      ])
      assert.equal(res.length, 3)
      const byId = new Map(res.map((r) => [r.id, r]))
      assert.deepEqual(byId.get(7), { jsonrpc: '2.0', id: 7, result: '0x539' })
      assert.deepEqual(byId.get('eight'), { jsonrpc: '2.0', id: 'eight', result: '1337' })
      assert.deepEqual(byId.get(9), { jsonrpc: '2.0', id: 9, result: q(DEV_BALANCE) })
    })

    test('a batch with a failing request answers the others', async () => {
      const res = await batch(url, [
        { id: 1, method: 'eth_chainId', params: [] },
        { id: 2, method: 'eth_nope', params: [] },
      ])
      const byId = new Map(res.map((r) => [r.id, r]))
      assert.equal(byId.get(1)?.result, '0x539')
      assert.equal(byId.get(2)?.error?.code, -32601)
    })

    test('an unknown method is -32601', async () => {
      const err = await callError(url, 'eth_doesNotExist')
      assert.equal(err.code, -32601)
      assert.match(err.message, /eth_doesNotExist/)
    })

    test('bad params are -32602 and name the param', async () => {
      const badAddress = await callError(url, 'eth_getBalance', ['0x123', 'latest'])
      assert.equal(badAddress.code, -32602)
      assert.match(badAddress.message, /^address: /)
      assert.match(badAddress.message, /"0x123"/)

      const banana = await callError(url, 'eth_getBlockByNumber', ['banana', false])
      assert.equal(banana.code, -32602)
      assert.match(banana.message, /^block: /)
      assert.match(banana.message, /"banana"/)

      const shortHash = await callError(url, 'eth_getBlockByHash', ['0x1234', false])
      assert.equal(shortHash.code, -32602)
      assert.match(shortHash.message, /^blockHash: /)

      const arity = await callError(url, 'eth_getBalance', [])
      assert.equal(arity.code, -32602)
    })

    test('eth_subscribe over HTTP is an error', async () => {
      const err = await callError(url, 'eth_subscribe', ['newHeads'])
      assert.equal(err.code, -32601)
      assert.match(err.message, /WebSocket/)
    })
  })

  describe('eth_subscribe / eth_unsubscribe over WebSocket', () => {
    test('newHeads and logs subscriptions receive the tx block and its log; unsubscribe stops them', async () => {
      const ws = await WsRpc.open(chain.ws())
      try {
        const heads = (await ws.request('eth_subscribe', ['newHeads'])) as { result: string }
        assert.match(heads.result, /^0x[0-9a-f]+$/)
        const logs = (await ws.request('eth_subscribe', ['logs', { address: counterAddress }])) as { result: string }
        assert.match(logs.result, /^0x[0-9a-f]+$/)
        assert.notEqual(heads.result, logs.result)
        // Same event, another sender in topic 1: must stay silent.
        const [topic0] = encodeEventTopics({ abi, eventName: 'Incremented' })
        const otherSender = pad(bob.toLowerCase() as Hex, { size: 32 })
        const silent = (await ws.request('eth_subscribe', ['logs', { address: counterAddress, topics: [topic0, otherSender] }])) as {
          result: string
        }
        const mine = (await ws.request('eth_subscribe', [
          'logs',
          { topics: [topic0, pad(alice.address.toLowerCase() as Hex, { size: 32 })] },
        ])) as { result: string }

        const hash = await send(alice, {
          to: counterAddress,
          data: encodeFunctionData({ abi, functionName: 'increment', args: [3n] }),
          gas: 100_000n,
        })
        const r = await receipt(hash)
        await waitFor('the log notification', async () => (ws.received(logs.result).length > 0 ? true : undefined), 15_000)
        await waitFor(
          'the head of the tx block',
          async () => (ws.received(heads.result).some((h) => h.hash === r.blockHash) ? true : undefined),
          15_000,
        )

        assert.deepEqual(ws.received(logs.result), r.logs)
        await waitFor('the topic-filtered log notification', async () => (ws.received(mine.result).length > 0 ? true : undefined), 15_000)
        assert.deepEqual(ws.received(mine.result), r.logs)
        assert.deepEqual(ws.received(silent.result), [])
        const head = ws.received(heads.result).find((h) => h.hash === r.blockHash) as Json
        const block = await call<Json>(url, 'eth_getBlockByHash', [r.blockHash, false])
        const { transactions: _t, size: _s, uncles: _u, withdrawals: _w, ...header } = block
        assert.deepEqual(head, header)
        // Heads arrive in order, one per block.
        const numbers = ws.received(heads.result).map((h) => BigInt(h.number as string))
        numbers.forEach((n, i) => {
          if (i > 0) assert.equal(n, numbers[i - 1]! + 1n)
        })

        assert.equal((await ws.request('eth_unsubscribe', [heads.result])).result, true)
        assert.equal((await ws.request('eth_unsubscribe', [heads.result])).result, false)
        const count = ws.received(heads.result).length
        const now = BigInt(await call<string>(url, 'eth_blockNumber'))
        await reach(now + 2n)
        // A final round trip: any notification sent before it has arrived by now.
        await ws.request('eth_chainId')
        assert.equal(ws.received(heads.result).length, count)

        const bad = (await ws.request('eth_subscribe', ['pendingUnicorns'])) as { error: { code: number; message: string } }
        assert.equal(bad.error.code, -32602)
        assert.match(bad.error.message, /pendingUnicorns/)
        assert.equal((await ws.request('eth_unsubscribe', [logs.result])).result, true)
      } finally {
        ws.close()
      }
    })

    test('ordinary methods work over WebSocket too', async () => {
      const ws = await WsRpc.open(chain.ws())
      try {
        assert.deepEqual(await ws.request('eth_chainId'), { jsonrpc: '2.0', id: 1, result: '0x539' })
        assert.deepEqual(await ws.request('net_version'), { jsonrpc: '2.0', id: 2, result: '1337' })
      } finally {
        ws.close()
      }
    })
  })
})
