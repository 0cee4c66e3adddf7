import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { connectComet } from '@cosmjs/tendermint-rpc'
import { credentials, loadPackageDefinition, type Metadata, type ServiceError, status } from '@grpc/grpc-js'
import { loadSync } from '@grpc/proto-loader'
import { BaseAccount } from 'cosmjs-types/cosmos/auth/v1beta1/auth'
import {
  Bech32PrefixRequest,
  Bech32PrefixResponse,
  QueryAccountRequest,
  QueryAccountResponse,
} from 'cosmjs-types/cosmos/auth/v1beta1/query'
import {
  QueryAllBalancesRequest,
  QueryAllBalancesResponse,
  QueryBalanceRequest,
  QueryBalanceResponse,
  QuerySpendableBalancesRequest,
  QuerySpendableBalancesResponse,
} from 'cosmjs-types/cosmos/bank/v1beta1/query'
import {
  BroadcastMode,
  BroadcastTxRequest,
  BroadcastTxResponse,
  GetTxRequest,
  GetTxResponse,
  SimulateRequest,
  SimulateResponse,
} from 'cosmjs-types/cosmos/tx/v1beta1/service'
import { protoPath as healthProto } from 'grpc-health-check'
import { type Chain, createPublicClient, createWalletClient, defineChain, type Hex, http, type PublicClient } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { DEFAULT_CONFIG } from '../../app/config.ts'
import { createLogger } from '../../app/log.ts'
import { toBech32Address } from '../../app/modules/auth/address.ts'
import { devAccounts } from '../../app/modules/evm/devAccounts.ts'
import { INFERENCE_PRECOMPILE_ADDRESS } from '../../app/modules/inference/precompile/abi.ts'
import { PARAMS } from '../../app/modules/inference/queryServer.ts'
import { startNode } from '../../app/node.ts'
import {
  QueryInferenceRequest,
  QueryInferenceResponse,
  QueryInferencesByTxRequest,
  QueryInferencesByTxResponse,
  QueryModelRequest,
  QueryModelResponse,
  QueryModelsRequest,
  QueryParamsRequest,
  QueryParamsResponse,
  QueryProofRequest,
} from '../../app/proto/pipe/inference/v1/query.ts'
import { InferenceStatus, VerificationMode } from '../../app/proto/pipe/inference/v1/types.ts'
import { nodePorts } from '../../scripts/localnet/ports.ts'
import { devEthWallet, fee, msgSend, signTx } from '../support/cosmos.ts'
import { type GrpcClient, grpcClient } from '../support/grpc.ts'
import { precompileCall, row } from '../support/inference.ts'
import { rawRpc, waitFor } from '../support/rpc.ts'
import { PORT_OFFSETS, startTestChain, type TestChain } from '../support/testChain.ts'

/**
 * The node's gRPC server against a real node (cometbft + pipe node), with @grpc/grpc-js as a
 * client: every service answers what ABCI Query answers (byte for byte: the same handlers),
 * BroadcastTx goes through CometBFT's CheckTx, a past height is asked with
 * x-cosmos-block-height, health says SERVING, and every bad request gets its status and message.
 */
let chain: TestChain
let grpc: GrpcClient
let cid: string
let inferenceTx: Hex
let inferenceId: Uint8Array
const dev = devAccounts(4)
const bech = (i: number) => toBech32Address(Buffer.from(dev[i]!.address.slice(2), 'hex'))
let pub: PublicClient
let pipe: Chain

const ONE = 10n ** 18n

before(async () => {
  chain = await startTestChain({ name: 'grpc', portOffset: PORT_OFFSETS.grpc })
  grpc = grpcClient(chain.net.endpoints(0).grpc)
  const res = await fetch(`${chain.net.endpoints(0).rest}/v1/models`, { method: 'PUT', body: fs.readFileSync('models/risk-scorer.onnx') })
  assert.ok(res.status === 201 || res.status === 200, `upload: ${res.status}`)
  cid = ((await res.json()) as { cid: string }).cid
  pipe = defineChain({
    id: 1337,
    name: 'pipe',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [chain.rpc()] } },
  })
  pub = createPublicClient({ chain: pipe, transport: http(), pollingInterval: 100 })
  // a registration (for Model) and an inference (for Inference, InferencesByTx and Proof), both committed
  const account = privateKeyToAccount(dev[0]!.privateKey)
  const wallet = createWalletClient({ chain: pipe, transport: http(), account })
  inferenceTx = await wallet.sendTransaction({
    to: INFERENCE_PRECOMPILE_ADDRESS,
    data: precompileCall(cid, [row('features', [(3n * ONE) / 2n, -ONE / 5n, 3n * ONE, 0n], 18n)]),
    gas: 1_000_000n,
    chain: pipe,
    account,
  })
  assert.equal((await pub.waitForTransactionReceipt({ hash: inferenceTx })).status, 'success')
  const [id] = (await rawRpc(chain.rpc(), 'pipe_getInferencesByTransaction', [inferenceTx])).result as { inferenceId: Hex }[]
  inferenceId = Buffer.from(id!.inferenceId.slice(2), 'hex')
  const signer = await devEthWallet(1)
  const registration = await signTx(
    signer,
    [
      {
        typeUrl: '/pipe.inference.v1.MsgRegisterModel',
        value: {
          owner: bech(1),
          modelCid: cid,
          modes: [VerificationMode.VERIFICATION_MODE_VANILLA],
          zkVerifyingKeyHash: new Uint8Array(0),
          artefacts: [],
        },
      },
    ],
    { accountNumber: 1n, sequence: await pub.getTransactionCount({ address: dev[1]!.address }), fee: fee(400_000n) },
  )
  const sent = BroadcastTxResponse.decode((await grpc.call('/cosmos.tx.v1beta1.Service/BroadcastTx', broadcastRequest(registration))).value)
    .txResponse!
  assert.equal(sent.code, 0, sent.rawLog)
  await waitFor('the registration', async () => (await modelQuery()) ?? undefined)
})
after(async () => {
  grpc?.close()
  await chain?.stop()
})

const broadcastRequest = (txBytes: Uint8Array, mode = BroadcastMode.BROADCAST_MODE_SYNC) =>
  BroadcastTxRequest.encode({ txBytes, mode }).finish()

async function modelQuery(): Promise<QueryModelResponse | null> {
  try {
    return QueryModelResponse.decode((await grpc.call('/pipe.inference.v1.Query/Model', QueryModelRequest.encode({ cid }).finish())).value)
  } catch (err) {
    if ((err as ServiceError).code === status.NOT_FOUND) return null
    throw err
  }
}

/** ABCI Query through CometBFT's RPC, at a height: what cosmjs reads. */
async function abci(pathName: string, data: Uint8Array, height?: number): Promise<{ value: Uint8Array; height: number }> {
  const comet = await connectComet(chain.comet())
  try {
    const r = await comet.abciQuery({ path: pathName, data, height })
    assert.equal(r.code, 0, r.log)
    return { value: r.value, height: r.height ?? 0 }
  } finally {
    comet.disconnect()
  }
}

/** A failed gRPC call's status code and message. */
async function refused(p: Promise<unknown>, code: status, details: RegExp): Promise<void> {
  await assert.rejects(p, (err: ServiceError) => {
    assert.equal(err.code, code, `${status[err.code]}: ${err.details}`)
    assert.match(err.details, details)
    return true
  })
}

const heightOf = (header: Metadata) => BigInt(String(header.get('x-cosmos-block-height')[0]))

test('every query answers over gRPC the bytes ABCI Query answers at the same height (the same handlers)', async () => {
  const queries: [string, Uint8Array][] = [
    ['/cosmos.auth.v1beta1.Query/Account', QueryAccountRequest.encode({ address: bech(2) }).finish()],
    ['/cosmos.auth.v1beta1.Query/Bech32Prefix', Bech32PrefixRequest.encode({}).finish()],
    ['/cosmos.bank.v1beta1.Query/Balance', QueryBalanceRequest.encode({ address: bech(2), denom: 'apipe' }).finish()],
    ['/cosmos.bank.v1beta1.Query/AllBalances', QueryAllBalancesRequest.encode({ address: bech(2), resolveDenom: false }).finish()],
    ['/cosmos.bank.v1beta1.Query/SpendableBalances', QuerySpendableBalancesRequest.encode({ address: bech(2) }).finish()],
    ['/pipe.inference.v1.Query/Params', QueryParamsRequest.encode({}).finish()],
    ['/pipe.inference.v1.Query/Model', QueryModelRequest.encode({ cid }).finish()],
    ['/pipe.inference.v1.Query/Models', QueryModelsRequest.encode({ pagination: undefined }).finish()],
    ['/pipe.inference.v1.Query/Inference', QueryInferenceRequest.encode({ inferenceId }).finish()],
    [
      '/pipe.inference.v1.Query/InferencesByTx',
      QueryInferencesByTxRequest.encode({ txHash: Buffer.from(inferenceTx.slice(2), 'hex') }).finish(),
    ],
  ]
  for (const [p, data] of queries) {
    const g = await grpc.call(p, data)
    const height = heightOf(g.header)
    assert.ok(height > 0n, `${p}: the answered height comes back in x-cosmos-block-height`)
    const a = await abci(p, data, Number(height))
    assert.equal(a.height, Number(height))
    assert.deepEqual(g.value, a.value, p)
  }
})

test('auth and bank: the dev account, its EVM nonce as sequence and its EVM balance as apipe', async () => {
  const account = QueryAccountResponse.decode(
    (await grpc.call('/cosmos.auth.v1beta1.Query/Account', QueryAccountRequest.encode({ address: bech(3) }).finish())).value,
  )
  assert.equal(account.account!.typeUrl, '/cosmos.auth.v1beta1.BaseAccount')
  const base = BaseAccount.decode(account.account!.value)
  assert.equal(base.address, bech(3))
  assert.equal(base.accountNumber, 3n)
  assert.equal(base.sequence, BigInt(await pub.getTransactionCount({ address: dev[3]!.address })))
  const prefix = Bech32PrefixResponse.decode((await grpc.call('/cosmos.auth.v1beta1.Query/Bech32Prefix', new Uint8Array(0))).value)
  assert.equal(prefix.bech32Prefix, 'pipe')
  const balance = QueryBalanceResponse.decode(
    (await grpc.call('/cosmos.bank.v1beta1.Query/Balance', QueryBalanceRequest.encode({ address: bech(3), denom: 'apipe' }).finish()))
      .value,
  )
  assert.equal(balance.balance!.amount, (await pub.getBalance({ address: dev[3]!.address })).toString())
  const all = QueryAllBalancesResponse.decode(
    (
      await grpc.call(
        '/cosmos.bank.v1beta1.Query/AllBalances',
        QueryAllBalancesRequest.encode({ address: bech(3), resolveDenom: false }).finish(),
      )
    ).value,
  )
  assert.deepEqual(all.balances, [balance.balance])
  const spendable = QuerySpendableBalancesResponse.decode(
    (await grpc.call('/cosmos.bank.v1beta1.Query/SpendableBalances', QuerySpendableBalancesRequest.encode({ address: bech(3) }).finish()))
      .value,
  )
  assert.deepEqual(spendable.balances, [balance.balance])
})

test('tx: Simulate answers the gas, BroadcastTx goes through CheckTx into a block, GetTx finds it; a resent tx is "already in mempool"', async () => {
  const signer = await devEthWallet(2)
  const sequence = await pub.getTransactionCount({ address: dev[2]!.address })
  const before = await pub.getBalance({ address: dev[3]!.address })
  const tx = await signTx(signer, [msgSend(bech(2), bech(3), 4242n)], { accountNumber: 2n, sequence })
  const simulated = SimulateResponse.decode(
    (await grpc.call('/cosmos.tx.v1beta1.Service/Simulate', SimulateRequest.encode({ txBytes: tx }).finish())).value,
  )
  assert.ok(simulated.gasInfo!.gasUsed > 0n)
  assert.equal(simulated.gasInfo!.gasWanted, 200_000n)
  const simulateRequest = SimulateRequest.encode({ txBytes: tx }).finish()
  const viaAbci = await abci('/cosmos.tx.v1beta1.Service/Simulate', simulateRequest)
  assert.deepEqual(SimulateResponse.decode(viaAbci.value), simulated, 'the same answer as ABCI Query (cosmjs) gets')

  const sent = BroadcastTxResponse.decode((await grpc.call('/cosmos.tx.v1beta1.Service/BroadcastTx', broadcastRequest(tx))).value)
    .txResponse!
  assert.equal(sent.code, 0, sent.rawLog)
  assert.match(sent.txhash, /^[0-9A-F]{64}$/)
  const found = await waitFor('the MsgSend in a block', async () => {
    try {
      return GetTxResponse.decode(
        (await grpc.call('/cosmos.tx.v1beta1.Service/GetTx', GetTxRequest.encode({ hash: sent.txhash }).finish())).value,
      )
    } catch (err) {
      if ((err as ServiceError).code === status.NOT_FOUND) return undefined
      throw err
    }
  })
  assert.equal(found.txResponse!.txhash, sent.txhash)
  assert.equal(found.txResponse!.code, 0)
  // Simulate counts a 65-byte signature whatever the tx carries (cosmjs simulates unsigned), so never less than the tx used
  assert.ok(simulated.gasInfo!.gasUsed >= found.txResponse!.gasUsed, `${simulated.gasInfo!.gasUsed} < ${found.txResponse!.gasUsed}`)
  assert.equal(found.tx!.body!.messages[0]!.typeUrl, '/cosmos.bank.v1beta1.MsgSend')
  assert.equal(await pub.getBalance({ address: dev[3]!.address }), before + 4242n, 'viem sees the bank send')

  const again = BroadcastTxResponse.decode((await grpc.call('/cosmos.tx.v1beta1.Service/BroadcastTx', broadcastRequest(tx))).value)
    .txResponse!
  assert.deepEqual([again.codespace, again.code, again.rawLog, again.txhash], ['sdk', 19, 'tx already in mempool', sent.txhash])
  // a tx CheckTx refuses is a TxResponse with CheckTx's code, as on any SDK node
  const stale = await signTx(signer, [msgSend(bech(2), bech(3), 1n)], { accountNumber: 2n, sequence })
  const refusedTx = BroadcastTxResponse.decode((await grpc.call('/cosmos.tx.v1beta1.Service/BroadcastTx', broadcastRequest(stale))).value)
    .txResponse!
  assert.deepEqual([refusedTx.codespace, refusedTx.code], ['sdk', 32])
  assert.match(refusedTx.rawLog, /account sequence mismatch, expected \d+, got \d+/)
})

test('pipe.inference.v1: Params, the registered model, an inference record and its tx’s records; a VANILLA inference has no proof', async () => {
  const params = QueryParamsResponse.decode((await grpc.call('/pipe.inference.v1.Query/Params', new Uint8Array(0))).value)
  assert.deepEqual(params.params, PARAMS)
  const model = await modelQuery()
  assert.equal(model?.model?.owner, bech(1))
  assert.deepEqual(model?.model?.modes, [VerificationMode.VERIFICATION_MODE_VANILLA])
  const record = QueryInferenceResponse.decode(
    (await grpc.call('/pipe.inference.v1.Query/Inference', QueryInferenceRequest.encode({ inferenceId }).finish())).value,
  ).inference!
  const receipt = await pub.getTransactionReceipt({ hash: inferenceTx })
  assert.equal(record.modelCid, cid)
  assert.equal(record.height, receipt.blockNumber)
  assert.equal(record.status, InferenceStatus.INFERENCE_STATUS_SUCCESS)
  assert.equal(record.mode, VerificationMode.VERIFICATION_MODE_VANILLA)
  assert.equal(`0x${Buffer.from(record.txHash).toString('hex')}`, inferenceTx)
  assert.ok(record.output.length > 0)
  assert.deepEqual([record.proofHash, record.verifyingKeyHash], [new Uint8Array(0), new Uint8Array(0)])
  const byTx = QueryInferencesByTxResponse.decode(
    (await grpc.call('/pipe.inference.v1.Query/InferencesByTx', QueryInferencesByTxRequest.encode({ txHash: record.txHash }).finish()))
      .value,
  )
  assert.deepEqual(byTx.inferences, [record])
  await refused(
    grpc.call('/pipe.inference.v1.Query/Proof', QueryProofRequest.encode({ inferenceId }).finish()),
    status.NOT_FOUND,
    /^inference 0x[0-9a-f]{64} is VANILLA: its mode has no proof$/,
  )
})

test('x-cosmos-block-height: a query answers the state of the height asked and says so; without it, the latest', async () => {
  const inferenceHeight = (await pub.getTransactionReceipt({ hash: inferenceTx })).blockNumber
  const balanceAt = async (height?: bigint) => {
    const g = await grpc.call(
      '/cosmos.bank.v1beta1.Query/Balance',
      QueryBalanceRequest.encode({ address: bech(0), denom: 'apipe' }).finish(),
      height === undefined ? {} : { 'x-cosmos-block-height': height.toString() },
    )
    return { amount: BigInt(QueryBalanceResponse.decode(g.value).balance!.amount), height: heightOf(g.header) }
  }
  const beforeTx = await balanceAt(inferenceHeight - 1n)
  const atTx = await balanceAt(inferenceHeight)
  assert.equal(beforeTx.height, inferenceHeight - 1n)
  assert.equal(atTx.height, inferenceHeight)
  assert.equal(beforeTx.amount, await pub.getBalance({ address: dev[0]!.address, blockNumber: inferenceHeight - 1n }))
  assert.equal(atTx.amount, await pub.getBalance({ address: dev[0]!.address, blockNumber: inferenceHeight }))
  assert.ok(atTx.amount < beforeTx.amount, 'the inference tx paid its fee at that height')
  const latest = await balanceAt()
  assert.ok(latest.height >= inferenceHeight)
  // a record is not there before the block that made it
  await refused(
    grpc.call('/pipe.inference.v1.Query/Inference', QueryInferenceRequest.encode({ inferenceId }).finish(), {
      'x-cosmos-block-height': (inferenceHeight - 1n).toString(),
    }),
    status.NOT_FOUND,
    /^inference 0x[0-9a-f]{64} not found$/,
  )
})

test('grpc.health.v1.Health: SERVING for the node and each served service; an unknown service is NOT_FOUND', async () => {
  const pkg = loadPackageDefinition(loadSync(healthProto, { enums: String })) as unknown as {
    grpc: { health: { v1: { Health: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => HealthClient } } }
  }
  type HealthClient = {
    check(req: { service: string }, cb: (err: ServiceError | null, res?: { status: string }) => void): void
    close(): void
  }
  const health = new pkg.grpc.health.v1.Health(chain.net.endpoints(0).grpc, credentials.createInsecure())
  const check = (service: string) =>
    new Promise<string>((resolve, reject) => health.check({ service }, (err, res) => (err ? reject(err) : resolve(res!.status))))
  try {
    for (const service of [
      '',
      'pipe.inference.v1.Query',
      'cosmos.auth.v1beta1.Query',
      'cosmos.bank.v1beta1.Query',
      'cosmos.tx.v1beta1.Service',
    ])
      assert.equal(await check(service), 'SERVING', service || 'the node')
    await refused(check('cosmos.staking.v1beta1.Query'), status.NOT_FOUND, /.+/)
  } finally {
    health.close()
  }
})

test('bad requests: each gets INVALID_ARGUMENT, NOT_FOUND or UNIMPLEMENTED with a message, and the server keeps serving', async () => {
  const q = (p: string, data: Uint8Array, headers?: Record<string, string>) => grpc.call(p, data, headers)
  const balance = QueryBalanceRequest.encode({ address: bech(0), denom: 'apipe' }).finish()
  const cases: [string, () => Promise<unknown>, status, RegExp][] = [
    [
      'undecodable request',
      () => q('/cosmos.bank.v1beta1.Query/Balance', Uint8Array.of(0x0a, 0xff)),
      status.INVALID_ARGUMENT,
      /^request does not decode/,
    ],
    [
      'malformed address',
      () => q('/cosmos.bank.v1beta1.Query/Balance', QueryBalanceRequest.encode({ address: 'pipe1nope', denom: 'apipe' }).finish()),
      status.INVALID_ARGUMENT,
      /pipe1nope/,
    ],
    [
      'empty denom',
      () => q('/cosmos.bank.v1beta1.Query/Balance', QueryBalanceRequest.encode({ address: bech(0), denom: '' }).finish()),
      status.INVALID_ARGUMENT,
      /^invalid denom$/,
    ],
    [
      'unknown account',
      () =>
        q(
          '/cosmos.auth.v1beta1.Query/Account',
          QueryAccountRequest.encode({ address: toBech32Address(new Uint8Array(20).fill(0x33)) }).finish(),
        ),
      status.NOT_FOUND,
      /^account pipe1\w+ not found$/,
    ],
    [
      'height header not a number',
      () => q('/cosmos.bank.v1beta1.Query/Balance', balance, { 'x-cosmos-block-height': 'latest' }),
      status.INVALID_ARGUMENT,
      /^x-cosmos-block-height must be a non-negative integer, got "latest"$/,
    ],
    [
      'height in the future',
      () => q('/cosmos.bank.v1beta1.Query/Balance', balance, { 'x-cosmos-block-height': '999999999' }),
      status.INVALID_ARGUMENT,
      /^cannot query with height in the future \(999999999, latest is \d+\)/,
    ],
    [
      'GetTx hash not hex',
      () => q('/cosmos.tx.v1beta1.Service/GetTx', GetTxRequest.encode({ hash: 'xyz' }).finish()),
      status.INVALID_ARGUMENT,
      /^tx hash "xyz" is not 32 bytes of hex$/,
    ],
    [
      'GetTx unknown hash',
      () => q('/cosmos.tx.v1beta1.Service/GetTx', GetTxRequest.encode({ hash: 'AB'.repeat(32) }).finish()),
      status.NOT_FOUND,
      /^tx not found: (AB){32}$/,
    ],
    [
      'Simulate empty tx',
      () => q('/cosmos.tx.v1beta1.Service/Simulate', SimulateRequest.encode({ txBytes: new Uint8Array(0) }).finish()),
      status.INVALID_ARGUMENT,
      /^empty tx$/,
    ],
    [
      'Simulate garbage tx',
      () => q('/cosmos.tx.v1beta1.Service/Simulate', SimulateRequest.encode({ txBytes: Uint8Array.of(1, 2, 3) }).finish()),
      status.INVALID_ARGUMENT,
      /\(sdk 2\)$/,
    ],
    [
      'BroadcastTx empty tx',
      () => q('/cosmos.tx.v1beta1.Service/BroadcastTx', broadcastRequest(new Uint8Array(0))),
      status.INVALID_ARGUMENT,
      /^invalid empty tx: tx_bytes is empty$/,
    ],
    [
      'BroadcastTx async mode',
      () => q('/cosmos.tx.v1beta1.Service/BroadcastTx', broadcastRequest(Uint8Array.of(1), BroadcastMode.BROADCAST_MODE_ASYNC)),
      status.INVALID_ARGUMENT,
      /^broadcast mode BROADCAST_MODE_ASYNC is not supported; use BROADCAST_MODE_SYNC$/,
    ],
    [
      'BroadcastTx no mode',
      () => q('/cosmos.tx.v1beta1.Service/BroadcastTx', broadcastRequest(Uint8Array.of(1), BroadcastMode.BROADCAST_MODE_UNSPECIFIED)),
      status.INVALID_ARGUMENT,
      /^broadcast mode BROADCAST_MODE_UNSPECIFIED is not supported/,
    ],
    [
      'Model bad CID',
      () => q('/pipe.inference.v1.Query/Model', QueryModelRequest.encode({ cid: 'not-a-cid' }).finish()),
      status.INVALID_ARGUMENT,
      /not-a-cid/,
    ],
    [
      'Inference short id',
      () => q('/pipe.inference.v1.Query/Inference', QueryInferenceRequest.encode({ inferenceId: new Uint8Array(31) }).finish()),
      status.INVALID_ARGUMENT,
      /^inference id must be 32 bytes, got 31$/,
    ],
    [
      'Inference unknown id',
      () => q('/pipe.inference.v1.Query/Inference', QueryInferenceRequest.encode({ inferenceId: new Uint8Array(32) }).finish()),
      status.NOT_FOUND,
      /^inference 0x0{64} not found$/,
    ],
    [
      'InferencesByTx short hash',
      () => q('/pipe.inference.v1.Query/InferencesByTx', QueryInferencesByTxRequest.encode({ txHash: new Uint8Array(3) }).finish()),
      status.INVALID_ARGUMENT,
      /^tx hash must be 32 bytes, got 3$/,
    ],
    [
      'Proof unknown id',
      () => q('/pipe.inference.v1.Query/Proof', QueryProofRequest.encode({ inferenceId: new Uint8Array(32).fill(7) }).finish()),
      status.NOT_FOUND,
      /^inference 0x(07){32} not found$/,
    ],
    [
      'Models limit too high',
      () =>
        q('/pipe.inference.v1.Query/Models', QueryModelsRequest.encode({ pagination: { key: new Uint8Array(0), limit: 5000n } }).finish()),
      status.INVALID_ARGUMENT,
      /^limit 5000 is above the maximum, 1000$/,
    ],
    ['unknown method', () => q('/cosmos.staking.v1beta1.Query/Validators', new Uint8Array(0)), status.UNIMPLEMENTED, /.+/],
  ]
  for (const [what, call, code, details] of cases) {
    await assert.rejects(call(), (err: ServiceError) => {
      assert.equal(err.code, code, `${what}: ${status[err.code]}: ${err.details}`)
      assert.match(err.details, details, what)
      return true
    })
  }
  // and the node still answers
  assert.equal(QueryBalanceResponse.decode((await grpc.call('/cosmos.bank.v1beta1.Query/Balance', balance)).value).balance!.denom, 'apipe')
})

test('--grpc off: a node started with it serves no gRPC', async () => {
  const offset = PORT_OFFSETS.grpc + 50
  const ports = nodePorts(0, offset)
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-grpc-off-'))
  const node = await startNode(
    {
      ...DEFAULT_CONFIG,
      home,
      models: path.join(home, 'models'),
      abci: `tcp://127.0.0.1:${ports.abci}`,
      jsonRpc: `127.0.0.1:${ports.jsonRpc}`,
      ws: `127.0.0.1:${ports.ws}`,
      rest: `127.0.0.1:${ports.rest}`,
      cometRpc: `http://127.0.0.1:${ports.cometRpc}`,
      grpc: undefined,
      inferenceWorkers: 1,
    },
    createLogger('error'),
  )
  const client = grpcClient(`127.0.0.1:${ports.grpc}`)
  try {
    await refused(client.call('/cosmos.auth.v1beta1.Query/Bech32Prefix', new Uint8Array(0)), status.UNAVAILABLE, /.+/)
  } finally {
    client.close()
    await node.stop()
    fs.rmSync(home, { recursive: true, force: true })
  }
})
