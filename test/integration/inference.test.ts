import assert from 'node:assert/strict'
import fs from 'node:fs'
import { after, before, test } from 'node:test'
import * as ort from 'onnxruntime-node'
import {
  type Abi,
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  decodeFunctionResult,
  defineChain,
  encodeFunctionData,
  type Hex,
  http,
  parseEventLogs,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { modelCid } from '../../app/modelHub/cid.ts'
import { type DevAccount, devAccounts } from '../../app/modules/evm/devAccounts.ts'
import { INFERENCE_PRECOMPILE_ADDRESS, ogInferenceAbi } from '../../app/modules/inference/precompile/abi.ts'
import { exactFixedPoint } from '../../app/modules/inference/precompile/tensors.ts'
import { loadContract } from '../support/contracts.ts'
import { precompileCall } from '../support/inference.ts'
import { rawRpc, waitFor } from '../support/rpc.ts'
import { PORT_OFFSETS, startTestChain, type TestChain } from '../support/testChain.ts'

/**
 * PIPE end to end on a real localnet (cometbft + pipe node + onnxruntime-node): contracts get
 * model outputs in the same tx, equal to what onnxruntime-node gives directly; bad requests get
 * clear errors and commit nothing; a slow model does not hold up other txs.
 */
let chain: TestChain
let cids: Record<string, string>
let unknownCid: string
const [alice, bob] = devAccounts(2) as [DevAccount, DevAccount]
const aliceAccount = privateKeyToAccount(alice.privateKey)
const bobAccount = privateKeyToAccount(bob.privateKey)
const scorer = loadContract('RiskScorer')
const chained = loadContract('ChainedRiskScorer')

let pub: ReturnType<typeof createPublicClient>
let wallet: ReturnType<typeof createWalletClient>
let bobWallet: ReturnType<typeof createWalletClient>
let scorerAddress: Address
let chainedAddress: Address

const ONE = 10n ** 18n
/** Features 1.5, -0.2, 3, 0 as TensorLib numbers with 18 decimals. */
const FEATURES = [(3n * ONE) / 2n, -ONE / 5n, 3n * ONE, 0n]

async function ortRun(file: string, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(fs.readFileSync(`models/${file}`))
  return session.run(feeds)
}

before(async () => {
  chain = await startTestChain({ name: 'inference', portOffset: PORT_OFFSETS.inference })
  cids = {}
  for (const file of ['risk-scorer', 'risk-adjuster', 'fails-at-runtime', 'slow', 'types-echo']) {
    const res = await fetch(`${chain.net.endpoints(0).rest}/v1/models`, { method: 'PUT', body: fs.readFileSync(`models/${file}.onnx`) })
    assert.ok(res.status === 201 || res.status === 200, `upload ${file}: ${res.status}`)
    cids[file] = ((await res.json()) as { cid: string }).cid
  }
  unknownCid = await modelCid(new TextEncoder().encode('no model has these bytes'))
  const c = defineChain({
    id: 1337,
    name: 'pipe',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [chain.rpc()] } },
  })
  pub = createPublicClient({ chain: c, transport: http(), pollingInterval: 100 })
  wallet = createWalletClient({ chain: c, transport: http(), account: aliceAccount })
  bobWallet = createWalletClient({ chain: c, transport: http(), account: bobAccount })
  const deploy = async (contract: typeof scorer, args: unknown[]) => {
    const hash = await wallet.deployContract({
      abi: contract.abi as Abi,
      bytecode: contract.bytecode,
      args,
      account: aliceAccount,
      chain: c,
    })
    const r = await pub.waitForTransactionReceipt({ hash })
    assert.equal(r.status, 'success')
    return r.contractAddress!
  }
  scorerAddress = await deploy(scorer, [cids['risk-scorer'], 0])
  chainedAddress = await deploy(chained, [cids['risk-scorer'], cids['risk-adjuster']])
})
after(async () => {
  await chain?.stop()
})

test('a contract gets, in the same tx, the output onnxruntime-node gives for the same input', async () => {
  const hash = await wallet.writeContract({
    address: scorerAddress,
    abi: scorer.abi as Abi,
    functionName: 'score',
    args: [bob.address, FEATURES, 18n],
    account: aliceAccount,
    chain: null,
  })
  const receipt = await pub.waitForTransactionReceipt({ hash })
  assert.equal(receipt.status, 'success')
  const direct = (await ortRun('risk-scorer.onnx', { features: new ort.Tensor('float32', Float32Array.from([1.5, -0.2, 3, 0]), [1, 4]) }))
    .score!.data[0] as number
  const expected = exactFixedPoint(direct, 18)
  const events = parseEventLogs({ abi: scorer.abi as Abi, logs: receipt.logs, eventName: 'ScoreUpdated' }) as unknown as {
    args: { account: string; value: bigint; decimals: bigint }
  }[]
  assert.equal(events.length, 1)
  assert.deepEqual([events[0]!.args.value, events[0]!.args.decimals], [expected, 18n])
  const stored = (await pub.readContract({
    address: scorerAddress,
    abi: scorer.abi as Abi,
    functionName: 'scores',
    args: [bob.address],
  })) as [bigint, bigint, bigint]
  assert.deepEqual(stored, [expected, 18n, receipt.blockNumber])
  // the precompile announced the inference, and the chain recorded it
  const inferenceEvents = parseEventLogs({ abi: ogInferenceAbi, logs: receipt.logs, eventName: 'ModelInferenceEvent' })
  assert.equal(inferenceEvents.length, 1)
  assert.equal(inferenceEvents[0]!.args.modelCID, cids['risk-scorer'])
  assert.equal(inferenceEvents[0]!.args.mode, 0)
  const record = (await rawRpc(chain.rpc(), 'pipe_getInference', [inferenceEvents[0]!.args.inferenceID])).result as Record<
    string,
    unknown
  > & { output: { numbers: { values: string[] }[] } }
  assert.equal(record.status, 'success')
  assert.equal(record.transactionHash, hash)
  assert.equal(record.modelCid, cids['risk-scorer'])
  assert.deepEqual(record.output.numbers, [{ name: 'score', shape: [1, 1], values: [formatFixed(expected, 18)] }])
  assert.deepEqual(((await rawRpc(chain.rpc(), 'pipe_getInferencesByTransaction', [hash])).result as unknown[]).length, 1)
  const status = (await rawRpc(chain.rpc(), 'pipe_getInferenceStatus', [hash])).result as Record<string, unknown>
  assert.equal(status.state, 'included')
})

test('a chained contract feeds the first model output into the second model in one tx', async () => {
  const hash = await wallet.writeContract({
    address: chainedAddress,
    abi: chained.abi as Abi,
    functionName: 'score',
    args: [bob.address, FEATURES, 18n],
    account: aliceAccount,
    chain: null,
  })
  const receipt = await pub.waitForTransactionReceipt({ hash })
  assert.equal(receipt.status, 'success')
  const score = (await ortRun('risk-scorer.onnx', { features: new ort.Tensor('float32', Float32Array.from([1.5, -0.2, 3, 0]), [1, 4]) }))
    .score!
  const adjusted = (await ortRun('risk-adjuster.onnx', { score: new ort.Tensor('float32', score.data as Float32Array, [1, 1]) })).adjusted!
    .data[0] as number
  const [event] = parseEventLogs({ abi: chained.abi as Abi, logs: receipt.logs, eventName: 'Adjusted' }) as unknown as {
    args: Record<string, bigint>
  }[]
  assert.equal(event!.args.score, exactFixedPoint(score.data[0] as number, 18))
  assert.equal(event!.args.adjusted, exactFixedPoint(adjusted, 18))
  assert.equal(parseEventLogs({ abi: ogInferenceAbi, logs: receipt.logs, eventName: 'ModelInferenceEvent' }).length, 2)
  const records = (await rawRpc(chain.rpc(), 'pipe_getInferencesByTransaction', [hash])).result as { modelCid: string; index: number }[]
  assert.deepEqual(
    records.map((r) => [r.index, r.modelCid]),
    [
      [0, cids['risk-scorer']],
      [1, cids['risk-adjuster']],
    ],
  )
})

test('eth_call previews the real model output without a transaction', async () => {
  const { result } = await pub.simulateContract({
    address: scorerAddress,
    abi: scorer.abi as Abi,
    functionName: 'score',
    args: [alice.address, [ONE, ONE, ONE, ONE], 18n],
    account: aliceAccount,
  })
  const direct = (await ortRun('risk-scorer.onnx', { features: new ort.Tensor('float32', Float32Array.from([1, 1, 1, 1]), [1, 4]) })).score!
    .data[0] as number
  assert.deepEqual(result, [exactFixedPoint(direct, 18), 18n])
  const stored = (await pub.readContract({
    address: scorerAddress,
    abi: scorer.abi as Abi,
    functionName: 'scores',
    args: [alice.address],
  })) as bigint[]
  assert.deepEqual(stored, [0n, 0n, 0n], 'a call stores nothing')
})

test('every element type crosses the precompile: float, double, int32, int64, string', async () => {
  const n = (value: bigint, decimals: bigint) => ({ value, decimals })
  const numbers = [
    { name: 'f32', values: [n(15n, 1n), n(-25n, 2n)], shape: [2] },
    { name: 'f64', values: [n(123456789012345n, 10n), n(-1n, 18n)], shape: [2] },
    { name: 'i32', values: [n(-(2n ** 31n), 0n), n(7n, 0n)], shape: [2] },
    { name: 'i64', values: [n(2n ** 63n - 1n, 0n), n(-5n, 0n)], shape: [2] },
  ]
  const data = encodeFunctionData({
    abi: ogInferenceAbi,
    functionName: 'runModelInference',
    args: [{ mode: 0, modelCID: cids['types-echo'], input: { numbers, strings: [{ name: 's', values: ['low', 'héllo ✓'] }] } }] as never,
  })
  const res = await pub.call({ to: INFERENCE_PRECOMPILE_ADDRESS, data, account: aliceAccount })
  const out = decodeFunctionResult({ abi: ogInferenceAbi, functionName: 'runModelInference', data: res.data! }) as unknown as {
    numbers: { name: string; values: { value: bigint; decimals: bigint }[]; shape: number[] }[]
    strings: { name: string; values: string[] }[]
    is_simulation_result: boolean
  }
  assert.equal(out.is_simulation_result, false)
  const byName = Object.fromEntries(out.numbers.map((t) => [t.name, t]))
  assert.deepEqual(byName.f32_out!.values, [n(exactFixedPoint(1.5, 18), 18n), n(exactFixedPoint(Math.fround(-0.25), 18), 18n)])
  assert.deepEqual(byName.f64_out!.values, [n(exactFixedPoint(12345.6789012345, 18), 18n), n(-1n, 18n)])
  assert.deepEqual(byName.i32_out!.values, [n(-(2n ** 31n), 0n), n(7n, 0n)])
  assert.deepEqual(byName.i64_out!.values, [n(2n ** 63n - 1n, 0n), n(-5n, 0n)])
  assert.deepEqual(byName.i64_out!.shape, [2])
  assert.deepEqual(out.strings, [{ name: 's_out', values: ['low', 'héllo ✓'] }])
})

const bad: { name: string; data: () => Hex; message: RegExp }[] = [
  {
    name: 'an unknown model CID',
    data: () => precompileCall(unknownCid, []),
    message: /unknown model CID: bafkrei\w+ is not in the model hub/,
  },
  {
    name: 'a malformed model CID',
    data: () => precompileCall('Qm-not-a-cid', []),
    message: /invalid model CID: "Qm-not-a-cid"/,
  },
  {
    name: 'a wrong tensor name',
    data: () =>
      precompileCall(cids['risk-scorer']!, [
        { name: 'feature', values: FEATURES.map((value) => ({ value, decimals: 18n })), shape: [1, 4] },
      ]),
    message: /invalid model input: unknown input tensor "feature"; the model takes features \(float32 \[batch, 4\]\)/,
  },
  {
    name: 'a wrong tensor shape',
    data: () =>
      precompileCall(cids['risk-scorer']!, [
        { name: 'features', values: FEATURES.map((value) => ({ value, decimals: 18n })), shape: [2, 2] },
      ]),
    message: /invalid model input: input tensor "features" has shape \[2, 2\], the model expects \[batch, 4\]/,
  },
  {
    name: 'a model that fails at run time',
    data: () => precompileCall(cids['fails-at-runtime']!, [{ name: 'index', values: [{ value: 7n, decimals: 0n }], shape: [1] }]),
    message: /inference failed: model bafkrei\w+: .*(out of|range|bounds|indices)/i,
  },
]

for (const c of bad) {
  test(`${c.name}: eth_call and eth_estimateGas revert with a clear reason; a sent tx is dropped and commits nothing`, async () => {
    const data = c.data()
    const call = await rawRpc(chain.rpc(), 'eth_call', [{ from: bob.address, to: INFERENCE_PRECOMPILE_ADDRESS, data }, 'latest'])
    assert.equal(call.error?.code, 3, JSON.stringify(call))
    assert.match(call.error!.message, c.message)
    const estimate = await rawRpc(chain.rpc(), 'eth_estimateGas', [{ from: bob.address, to: INFERENCE_PRECOMPILE_ADDRESS, data }])
    assert.equal(estimate.error?.code, 3)
    assert.match(estimate.error!.message, c.message)
    // sent anyway (explicit gas skips the estimate): the mempool drops it, with the reason
    const nonce = await pub.getTransactionCount({ address: bob.address, blockTag: 'pending' })
    const hash = await bobWallet.sendTransaction({
      to: INFERENCE_PRECOMPILE_ADDRESS,
      data,
      gas: 500_000n,
      nonce,
      account: bobAccount,
      chain: null,
    })
    const status = await waitFor(`${c.name} to be dropped`, async () => {
      const s = (await rawRpc(chain.rpc(), 'pipe_getInferenceStatus', [hash])).result as { state: string; reason: string } | null
      return s?.state === 'failed' ? s : undefined
    })
    assert.match(status.reason, c.message)
    const height = await pub.getBlockNumber()
    await chain.net.waitForHeight(height + 3n)
    assert.equal(await pub.getTransactionReceipt({ hash }).catch(() => null), null, 'never mined')
    assert.equal(await pub.getTransactionCount({ address: bob.address }), nonce, 'nonce unchanged')
    assert.equal((await rawRpc(chain.rpc(), 'eth_getTransactionByHash', [hash])).result, null, 'gone from the mempool')
  })
}

test('a revert reason reaches Solidity callers: viem decodes it from the contract call', async () => {
  const err = await pub
    .simulateContract({
      address: scorerAddress,
      abi: scorer.abi as Abi,
      functionName: 'score',
      args: [alice.address, [ONE, ONE, ONE], 18n],
      account: aliceAccount,
    })
    .then(
      () => assert.fail('expected a revert'),
      (e: unknown) => e,
    )
  assert.ok(err instanceof BaseError)
  const revert = err.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError
  assert.match(revert.reason ?? '', /input tensor "features" has shape \[1, 3\], the model expects \[batch, 4\]/)
})

test('a slow model (~1 s per inference) runs off the block path: its tx lands with the output, and transfers sent meanwhile land too', async () => {
  // That blocks never wait for the model is shown in-process, where the test holds the
  // inference (test/app/inferenceReadiness.test.ts); here the real model runs on a real node.
  const x = Array.from({ length: 512 }, () => ({ value: 1n, decimals: 3n }))
  const slowData = precompileCall(cids.slow!, [{ name: 'x', values: x, shape: [1, 512] }])
  const slowHash = await wallet.sendTransaction({
    to: INFERENCE_PRECOMPILE_ADDRESS,
    data: slowData,
    gas: 8_000_000n,
    account: aliceAccount,
    chain: null,
  })
  const transfers: Hex[] = []
  for (let i = 0; i < 3; i++) {
    const h = await bobWallet.sendTransaction({ to: alice.address, value: 1n, account: bobAccount, chain: null })
    transfers.push(h)
    await pub.waitForTransactionReceipt({ hash: h })
  }
  const slowReceipt = await pub.waitForTransactionReceipt({ hash: slowHash, timeout: 120_000 })
  assert.equal(slowReceipt.status, 'success')
  for (const h of transfers) assert.equal((await pub.getTransactionReceipt({ hash: h })).status, 'success')
  const record = (
    (await rawRpc(chain.rpc(), 'pipe_getInferencesByTransaction', [slowHash])).result as {
      status: string
      output: { numbers: { shape: number[] }[] }
    }[]
  )[0]
  assert.equal(record?.status, 'success')
  assert.deepEqual(record?.output.numbers[0]?.shape, [1, 512])
})

function formatFixed(value: bigint, decimals: number): string {
  const s = value.toString().padStart(decimals + 1, '0')
  return `${s.slice(0, -decimals)}.${s.slice(-decimals)}`.replace(/\.?0+$/, '')
}
