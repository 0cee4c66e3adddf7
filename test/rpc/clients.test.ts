/**
 * The JSON-RPC server as real Ethereum client libraries use it: viem 2 (HTTP and WebSocket) and
 * ethers 6 (JsonRpcProvider, WebSocketProvider) deploy and call a Solidity contract, read its
 * events, decode every kind of revert, and send legacy / EIP-2930 / EIP-1559 transfers whose
 * balance effects are checked to the wei. One validator of real cometbft + pipe node processes.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  Contract,
  ContractFactory,
  type Log as EthersLog,
  type EventLog,
  isCallException,
  JsonRpcProvider,
  Network,
  Wallet,
  WebSocketProvider,
} from 'ethers'
import {
  type Abi,
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  decodeEventLog,
  defineChain,
  encodeErrorResult,
  getContractAddress,
  type Hex,
  http,
  parseEventLogs,
  type TransactionReceipt,
  webSocket,
} from 'viem'
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts'
import { devAccounts } from '../../app/modules/evm/devAccounts.ts'
import { MIN_BASE_FEE } from '../../app/modules/evm/params.ts'
import { type CompiledContract, compileFixture } from '../support/contracts.ts'
import { rawRpc, waitFor } from '../support/rpc.ts'
import { PORT_OFFSETS, startTestChain, type TestChain } from '../support/testChain.ts'

const GWEI = 10n ** 9n
const ETH = 10n ** 18n

/** Awaits `promise` and returns what it rejected with; fails when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  assert.fail('expected the promise to reject')
}

/** The ContractFunctionRevertedError inside a viem error chain. */
function revertedError(err: unknown): ContractFunctionRevertedError {
  assert.ok(err instanceof BaseError, `expected a viem error, got ${String(err)}`)
  const found = err.walk((e) => e instanceof ContractFunctionRevertedError)
  assert.ok(found instanceof ContractFunctionRevertedError, `no ContractFunctionRevertedError in: ${err.message}`)
  return found
}

describe('Ethereum clients against a 1-validator chain', { timeout: 240_000 }, () => {
  const accounts = devAccounts(10)
  let chain: TestChain
  let counter: CompiledContract
  let abi: Abi

  before(async () => {
    counter = compileFixture('Counter.sol', 'Counter')
    abi = counter.abi as Abi
    chain = await startTestChain({ name: 'rpc-clients', portOffset: PORT_OFFSETS.rpcClients })
  })

  after(async () => {
    await chain?.stop()
  })

  /** viem chain definition and HTTP clients for this chain, signing with `account`. */
  function viemClients(account: PrivateKeyAccount) {
    const pipe = defineChain({
      id: 1337,
      name: 'pipe',
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [chain.rpc()], webSocket: [chain.ws()] } },
    })
    return {
      pipe,
      publicClient: createPublicClient({ chain: pipe, transport: http(chain.rpc()), pollingInterval: 100 }),
      walletClient: createWalletClient({ chain: pipe, transport: http(chain.rpc()), account }),
    }
  }

  describe('viem', () => {
    let pipe: ReturnType<typeof viemClients>['pipe']
    let account: PrivateKeyAccount
    let publicClient: ReturnType<typeof viemClients>['publicClient']
    let walletClient: ReturnType<typeof viemClients>['walletClient']
    let address: Address
    let deployReceipt: TransactionReceipt
    let incrementReceipt: TransactionReceipt

    before(() => {
      account = privateKeyToAccount(accounts[0]!.privateKey)
      ;({ pipe, publicClient, walletClient } = viemClients(account))
    })

    test('deployContract lands with status success, a contract address and the runtime code', async () => {
      const hash = await walletClient.deployContract({ abi, bytecode: counter.bytecode, account, chain: pipe })
      deployReceipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 100 })
      assert.equal(deployReceipt.status, 'success')
      assert.equal(deployReceipt.transactionHash, hash)
      assert.equal(deployReceipt.from, account.address.toLowerCase())
      assert.equal(deployReceipt.to, null)
      assert.ok(deployReceipt.contractAddress, 'contractAddress set')
      address = deployReceipt.contractAddress
      // CREATE address of (sender, nonce 0): the dev account's first tx on this chain.
      assert.equal(address, getContractAddress({ from: account.address, nonce: 0n }).toLowerCase())
      assert.equal(await publicClient.getCode({ address }), counter.deployedBytecode)
      assert.equal(await publicClient.getBytecode({ address }), counter.deployedBytecode)
    })

    test('readContract value() is 0 after deployment', async () => {
      assert.equal(await publicClient.readContract({ address, abi, functionName: 'value' }), 0n)
    })

    test('writeContract increment(5): one Incremented log, decoded', async () => {
      const hash = await walletClient.writeContract({ address, abi, functionName: 'increment', args: [5n], account, chain: pipe })
      incrementReceipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 100 })
      assert.equal(incrementReceipt.status, 'success')
      assert.equal(incrementReceipt.to, address)
      assert.equal(incrementReceipt.logs.length, 1)
      const parsed = parseEventLogs({ abi, logs: incrementReceipt.logs })
      assert.equal(parsed.length, 1)
      assert.equal(parsed[0]!.eventName, 'Incremented')
      assert.deepEqual(parsed[0]!.args, { by: account.address, amount: 5n, newValue: 5n })
      const log = incrementReceipt.logs[0]!
      assert.equal(log.address, address)
      assert.equal(log.blockHash, incrementReceipt.blockHash)
      assert.equal(log.blockNumber, incrementReceipt.blockNumber)
      assert.equal(log.transactionHash, hash)
      assert.equal(log.transactionIndex, incrementReceipt.transactionIndex)
      assert.equal(log.logIndex, 0)
      assert.equal(log.removed, false)
      const decoded = decodeEventLog({ abi, data: log.data, topics: log.topics })
      assert.equal(decoded.eventName, 'Incremented')
      assert.deepEqual(decoded.args, { by: account.address, amount: 5n, newValue: 5n })
      assert.equal(await publicClient.readContract({ address, abi, functionName: 'value' }), 5n)
      // The state before the tx's block still reads 0.
      assert.equal(
        await publicClient.readContract({ address, abi, functionName: 'value', blockNumber: incrementReceipt.blockNumber - 1n }),
        0n,
      )
    })

    test('getLogs and getContractEvents over the block range return that log', async () => {
      const range = { fromBlock: deployReceipt.blockNumber, toBlock: incrementReceipt.blockNumber }
      const events = await publicClient.getContractEvents({ address, abi, eventName: 'Incremented', ...range })
      assert.equal(events.length, 1)
      const [ev] = events
      assert.equal(ev!.blockHash, incrementReceipt.blockHash)
      assert.equal(ev!.blockNumber, incrementReceipt.blockNumber)
      assert.equal(ev!.transactionHash, incrementReceipt.transactionHash)
      assert.equal(ev!.logIndex, 0)
      assert.deepEqual(ev!.args, { by: account.address, amount: 5n, newValue: 5n })

      const incremented = abi.find((x) => x.type === 'event' && x.name === 'Incremented')
      assert.ok(incremented && incremented.type === 'event')
      const logs = await publicClient.getLogs({ address, event: incremented, args: { by: account.address }, ...range })
      assert.equal(logs.length, 1)
      assert.equal(logs[0]!.blockHash, incrementReceipt.blockHash)
      assert.equal(logs[0]!.transactionHash, incrementReceipt.transactionHash)
      assert.equal(logs[0]!.logIndex, 0)
      assert.deepEqual(logs[0]!.args, { by: account.address, amount: 5n, newValue: 5n })

      // A topic filter on another sender matches nothing.
      const none = await publicClient.getLogs({ address, event: incremented, args: { by: accounts[1]!.address }, ...range })
      assert.deepEqual(none, [])
    })

    test('a WebSocket client receives the log (watchContractEvent) and the head (watchBlocks) of the tx block', async () => {
      const wsClient = createPublicClient({ chain: pipe, transport: webSocket(chain.ws()) })
      const seenLogs: { blockHash: Hex | null; transactionHash: Hex | null; logIndex: number | null; args: unknown }[] = []
      const seenBlocks = new Map<bigint, Hex | null>()
      const errors: Error[] = []
      let unwatchLogs: (() => void) | undefined
      let unwatchBlocks: (() => void) | undefined
      try {
        unwatchLogs = wsClient.watchContractEvent({
          address,
          abi,
          eventName: 'Incremented',
          onLogs: (logs) => {
            for (const l of logs) {
              seenLogs.push({
                blockHash: l.blockHash,
                transactionHash: l.transactionHash,
                logIndex: l.logIndex,
                args: (l as unknown as { args: unknown }).args,
              })
            }
          },
          onError: (e) => errors.push(e),
        })
        unwatchBlocks = wsClient.watchBlocks({
          onBlock: (b) => seenBlocks.set(b.number, b.hash),
          onError: (e) => errors.push(e),
        })
        // viem gives no "subscribed" callback. Both eth_subscribe requests go out together; once
        // two heads have arrived over the socket, the logs subscription is in place too.
        await waitFor('two newHeads notifications', async () => (seenBlocks.size >= 2 ? true : undefined), 15_000)
        assert.deepEqual(errors, [])
        const hash = await walletClient.writeContract({ address, abi, functionName: 'increment', args: [7n], account, chain: pipe })
        const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 100 })
        await waitFor('the log over WebSocket', async () => (seenLogs.length > 0 ? true : undefined), 15_000)
        await waitFor(
          `newHeads of block ${receipt.blockNumber}`,
          async () => (seenBlocks.has(receipt.blockNumber) ? true : undefined),
          15_000,
        )
        assert.deepEqual(errors, [])
        assert.equal(seenLogs.length, 1)
        assert.deepEqual(seenLogs[0], {
          blockHash: receipt.blockHash,
          transactionHash: hash,
          logIndex: 0,
          args: { by: account.address, amount: 7n, newValue: 12n },
        })
        assert.equal(seenBlocks.get(receipt.blockNumber), receipt.blockHash)
      } finally {
        unwatchLogs?.()
        unwatchBlocks?.()
        await wsClient.transport
          .getRpcClient()
          .then((c) => c.close())
          .catch(() => {})
      }
    })

    test('simulateContract and estimateContractGas of require(false, "counter: nope") reject with the reason', async () => {
      const simErr = revertedError(await rejection(publicClient.simulateContract({ address, abi, functionName: 'failRequire', account })))
      assert.equal(simErr.reason, 'counter: nope')
      assert.equal(simErr.data?.errorName, 'Error')
      assert.deepEqual(simErr.data?.args, ['counter: nope'])

      const estErr = revertedError(
        await rejection(publicClient.estimateContractGas({ address, abi, functionName: 'failRequire', account })),
      )
      assert.equal(estErr.reason, 'counter: nope')
    })

    test('a custom error decodes with its name and args', async () => {
      const err = revertedError(await rejection(publicClient.simulateContract({ address, abi, functionName: 'failCustom', account })))
      assert.equal(err.data?.errorName, 'CounterTooSmall')
      assert.deepEqual(err.data?.args, [12n, 1000n])
      assert.equal(err.raw, encodeErrorResult({ abi, errorName: 'CounterTooSmall', args: [12n, 1000n] }))
    })

    test('assert(false) decodes as Panic(0x01)', async () => {
      const err = revertedError(await rejection(publicClient.simulateContract({ address, abi, functionName: 'failAssert', account })))
      assert.equal(err.data?.errorName, 'Panic')
      assert.deepEqual(err.data?.args, [1n])
      assert.equal(err.raw, '0x4e487b710000000000000000000000000000000000000000000000000000000000000001')
    })
  })

  describe('ethers v6', () => {
    let provider: JsonRpcProvider
    let wallet: Wallet
    let contract: Contract
    let address: string

    before(() => {
      provider = new JsonRpcProvider(chain.rpc(), Network.from(1337), { staticNetwork: true, pollingInterval: 100 })
      wallet = new Wallet(accounts[1]!.privateKey, provider)
    })

    after(() => {
      provider?.destroy()
    })

    test('ContractFactory deploys; the deployment receipt has status 1 and the contract address', async () => {
      const factory = new ContractFactory(counter.abi as never, counter.bytecode, wallet)
      const deployed = await factory.deploy()
      await deployed.waitForDeployment()
      const receipt = await deployed.deploymentTransaction()?.wait()
      assert.ok(receipt)
      assert.equal(receipt.status, 1)
      address = await deployed.getAddress()
      assert.equal(receipt.contractAddress, address)
      assert.equal(await provider.getCode(address), counter.deployedBytecode)
      contract = new Contract(address, counter.abi as never, wallet)
    })

    test('call, send and tx.wait(): the receipt holds the Incremented event', async () => {
      assert.equal(await contract.getFunction('value')(), 0n)
      const tx = await contract.getFunction('increment')(3n)
      const receipt = await tx.wait()
      assert.ok(receipt)
      assert.equal(receipt.status, 1)
      assert.equal(receipt.hash, tx.hash)
      assert.equal(receipt.logs.length, 1)
      const parsed = contract.interface.parseLog(receipt.logs[0])
      assert.ok(parsed)
      assert.equal(parsed.name, 'Incremented')
      assert.deepEqual([...parsed.args], [wallet.address, 3n, 3n])
      assert.equal(await contract.getFunction('value')(), 3n)

      const events = (await contract.queryFilter(contract.filters.Incremented!(), receipt.blockNumber, receipt.blockNumber)) as EventLog[]
      assert.equal(events.length, 1)
      assert.equal(events[0]!.eventName, 'Incremented')
      assert.equal(events[0]!.transactionHash, tx.hash)
      assert.equal(events[0]!.blockHash, receipt.blockHash)
      assert.equal(events[0]!.index, 0)
      assert.deepEqual([...events[0]!.args], [wallet.address, 3n, 3n])

      const logs = await provider.getLogs({ address, fromBlock: receipt.blockNumber, toBlock: receipt.blockNumber })
      assert.equal(logs.length, 1)
      assert.equal(logs[0]!.transactionHash, tx.hash)
      assert.equal(logs[0]!.blockHash, receipt.blockHash)
      assert.equal(logs[0]!.data, receipt.logs[0].data)
      assert.deepEqual(logs[0]!.topics, receipt.logs[0].topics)
    })

    test('WebSocketProvider: contract.on(Incremented) receives the event', async () => {
      const wsProvider = new WebSocketProvider(chain.ws(), Network.from(1337), { staticNetwork: true })
      try {
        const wsContract = new Contract(address, counter.abi as never, wsProvider)
        const received: { by: string; amount: bigint; newValue: bigint; log: EthersLog }[] = []
        await wsContract.on('Incremented', (by: string, amount: bigint, newValue: bigint, payload: { log: EthersLog }) => {
          received.push({ by, amount, newValue, log: payload.log })
        })
        // ethers subscribes in the background: wait until the server has the subscription, i.e.
        // until a round trip sent after it over the same socket has been answered.
        await waitFor('the eth_subscribe round trip', async () =>
          (await wsProvider.send('eth_chainId', [])) === '0x539' ? true : undefined,
        )
        const tx = await contract.getFunction('increment')(4n)
        const receipt = await tx.wait()
        assert.ok(receipt)
        await waitFor('the event over WebSocket', async () => (received.length > 0 ? true : undefined), 15_000)
        assert.equal(received.length, 1)
        assert.equal(received[0]!.by, wallet.address)
        assert.equal(received[0]!.amount, 4n)
        assert.equal(received[0]!.newValue, 7n)
        assert.equal(received[0]!.log.transactionHash, tx.hash)
        assert.equal(received[0]!.log.blockHash, receipt.blockHash)
        await wsContract.removeAllListeners()
      } finally {
        await wsProvider.destroy()
      }
    })

    test('getFeeData and getBlock("latest").baseFeePerGas', async () => {
      const fee = await provider.getFeeData()
      assert.equal(typeof fee.gasPrice, 'bigint')
      assert.equal(typeof fee.maxFeePerGas, 'bigint')
      assert.equal(typeof fee.maxPriorityFeePerGas, 'bigint')
      assert.ok(fee.gasPrice! >= MIN_BASE_FEE, `gasPrice ${fee.gasPrice} below the base fee floor`)
      // ethers: maxFeePerGas = 2 × latest base fee + priority fee.
      const doubledBase = fee.maxFeePerGas! - fee.maxPriorityFeePerGas!
      assert.equal(doubledBase % 2n, 0n)
      assert.ok(doubledBase / 2n >= MIN_BASE_FEE)

      const block = await provider.getBlock('latest')
      assert.ok(block)
      assert.equal(typeof block.baseFeePerGas, 'bigint')
      assert.ok(block.baseFeePerGas! >= MIN_BASE_FEE)
      const raw = (await rawRpc(chain.rpc(), 'eth_getBlockByNumber', [`0x${block.number.toString(16)}`, false])).result as {
        hash: string
        baseFeePerGas: string
      }
      assert.equal(raw.hash, block.hash)
      assert.equal(BigInt(raw.baseFeePerGas), block.baseFeePerGas)
    })

    test('a reverted staticCall has reason "counter: nope"', async () => {
      const err = await rejection(contract.getFunction('failRequire').staticCall())
      assert.ok(isCallException(err), `expected CALL_EXCEPTION, got ${String(err)}`)
      assert.equal(err.reason, 'counter: nope')
      assert.equal(err.revert?.name, 'Error')
      assert.deepEqual(err.revert?.args && [...err.revert.args], ['counter: nope'])
      assert.equal(
        err.data,
        encodeErrorResult({
          abi: [{ type: 'error', name: 'Error', inputs: [{ type: 'string', name: 'message' }] }],
          errorName: 'Error',
          args: ['counter: nope'],
        }),
      )
    })

    test('a reverted staticCall with a custom error decodes it', async () => {
      const err = await rejection(contract.getFunction('failCustom').staticCall())
      assert.ok(isCallException(err))
      assert.equal(err.revert?.name, 'CounterTooSmall')
      assert.deepEqual(err.revert?.args && [...err.revert.args], [7n, 1000n])
    })
  })

  describe('legacy, EIP-2930 and EIP-1559 transfers', () => {
    const sender = () => privateKeyToAccount(accounts[5]!.privateKey)
    const receiver = accounts[6]!.address
    const accessListKey = '0x0000000000000000000000000000000000000000000000000000000000000007' as const

    async function balanceAt(
      client: ReturnType<typeof viemClients>['publicClient'],
      address: Address,
      blockNumber: bigint,
    ): Promise<bigint> {
      return client.getBalance({ address, blockNumber })
    }

    test('each type lands with the right type, fields and exact balance effects', async () => {
      const account = sender()
      const { pipe, publicClient, walletClient } = viemClients(account)

      const startBlock = await publicClient.getBlockNumber()
      const receiverStart = await balanceAt(publicClient, receiver, startBlock)
      assert.equal(receiverStart, 10_000n * ETH)
      assert.equal(await publicClient.getTransactionCount({ address: account.address }), 0)

      const cases = [
        { type: 'legacy', wire: '0x0', value: 1n * ETH + 1n, gas: 21_000n, fees: { gasPrice: 2n * GWEI } },
        {
          type: 'eip2930',
          wire: '0x1',
          value: 2n * ETH + 2n,
          // 21000 + 2400 per address + 1900 per storage key (EIP-2930).
          gas: 25_300n,
          fees: { gasPrice: 2n * GWEI, accessList: [{ address: accounts[7]!.address, storageKeys: [accessListKey] }] },
        },
        {
          type: 'eip1559',
          wire: '0x2',
          value: 3n * ETH + 3n,
          gas: 21_000n,
          fees: { maxFeePerGas: 5n * GWEI, maxPriorityFeePerGas: 1n * GWEI },
        },
      ] as const

      let nonce = 0
      for (const c of cases) {
        const hash = await walletClient.sendTransaction({
          account,
          chain: pipe,
          to: receiver,
          value: c.value,
          type: c.type,
          gas: 30_000n,
          nonce,
          ...c.fees,
        } as never)
        const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 100 })
        assert.equal(receipt.status, 'success', c.type)
        assert.equal(receipt.type, c.type)
        assert.equal(receipt.gasUsed, c.gas, `${c.type} gasUsed`)

        const block = await publicClient.getBlock({ blockNumber: receipt.blockNumber })
        const baseFee = block.baseFeePerGas
        assert.equal(typeof baseFee, 'bigint')
        const expectedPrice =
          'gasPrice' in c.fees
            ? c.fees.gasPrice
            : baseFee! +
              (c.fees.maxPriorityFeePerGas < c.fees.maxFeePerGas - baseFee! ? c.fees.maxPriorityFeePerGas : c.fees.maxFeePerGas - baseFee!)
        assert.equal(receipt.effectiveGasPrice, expectedPrice, `${c.type} effectiveGasPrice`)

        // Exact wire fields of eth_getTransactionByHash and the receipt.
        const raw = (await rawRpc(chain.rpc(), 'eth_getTransactionByHash', [hash])).result as Record<string, unknown>
        assert.equal(raw.type, c.wire)
        assert.equal(raw.nonce, `0x${nonce.toString(16)}`)
        assert.equal(raw.from, account.address.toLowerCase())
        assert.equal(raw.to, receiver.toLowerCase())
        assert.equal(raw.value, `0x${c.value.toString(16)}`)
        assert.equal(raw.hash, hash)
        assert.equal(raw.blockHash, receipt.blockHash)
        assert.equal(raw.blockNumber, `0x${receipt.blockNumber.toString(16)}`)
        assert.equal(raw.chainId, '0x539')
        assert.equal(raw.gas, '0x7530')
        if (c.type === 'legacy') {
          // EIP-155: v = chainId × 2 + 35 or 36.
          assert.ok(raw.v === `0x${(1337 * 2 + 35).toString(16)}` || raw.v === `0x${(1337 * 2 + 36).toString(16)}`, `legacy v ${raw.v}`)
          assert.equal(raw.gasPrice, `0x${(2n * GWEI).toString(16)}`)
          assert.equal('accessList' in raw, false)
        } else {
          assert.ok(raw.yParity === '0x0' || raw.yParity === '0x1')
          assert.equal(raw.v, raw.yParity)
        }
        if (c.type === 'eip2930') {
          assert.deepEqual(raw.accessList, [{ address: accounts[7]!.address.toLowerCase(), storageKeys: [accessListKey] }])
        }
        if (c.type === 'eip1559') {
          assert.equal(raw.maxFeePerGas, `0x${(5n * GWEI).toString(16)}`)
          assert.equal(raw.maxPriorityFeePerGas, `0x${GWEI.toString(16)}`)
          assert.equal(raw.gasPrice, `0x${expectedPrice.toString(16)}`)
        }
        const rawReceipt = (await rawRpc(chain.rpc(), 'eth_getTransactionReceipt', [hash])).result as Record<string, unknown>
        assert.equal(rawReceipt.type, c.wire)
        assert.equal(rawReceipt.status, '0x1')

        const tx = await publicClient.getTransaction({ hash })
        assert.equal(tx.type, c.type)
        assert.equal(tx.nonce, nonce)
        assert.equal(tx.value, c.value)

        // Balances right before and right after the tx's block.
        const before = receipt.blockNumber - 1n
        const senderDrop =
          (await balanceAt(publicClient, account.address, before)) - (await balanceAt(publicClient, account.address, receipt.blockNumber))
        assert.equal(senderDrop, c.value + receipt.gasUsed * receipt.effectiveGasPrice, `${c.type} sender balance drop`)
        const receiverGain =
          (await balanceAt(publicClient, receiver, receipt.blockNumber)) - (await balanceAt(publicClient, receiver, before))
        assert.equal(receiverGain, c.value, `${c.type} receiver balance gain`)
        nonce++
      }

      assert.equal(await publicClient.getTransactionCount({ address: account.address }), 3)
      const receiverEnd = await publicClient.getBalance({ address: receiver })
      assert.equal(receiverEnd - receiverStart, 6n * ETH + 6n)
    })
  })
})
