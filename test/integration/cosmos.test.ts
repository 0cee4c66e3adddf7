import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import { after, before, test } from 'node:test'
import { fromBech32 } from '@cosmjs/encoding'
import { BroadcastTxError, GasPrice, QueryClient, SigningStargateClient, StargateClient } from '@cosmjs/stargate'
import { connectComet } from '@cosmjs/tendermint-rpc'
import { TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx'
import { type Chain, createPublicClient, createWalletClient, defineChain, type Hex, http, type PublicClient } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { toBech32Address } from '../../app/modules/auth/address.ts'
import { devAccounts } from '../../app/modules/evm/devAccounts.ts'
import { QueryModelRequest, QueryModelResponse } from '../../app/proto/pipe/inference/v1/query.ts'
import { VerificationMode } from '../../app/proto/pipe/inference/v1/types.ts'
import { cosmosWallet, devEthWallet, fee, msgSend, pipeRegistry } from '../support/cosmos.ts'
import { PORT_OFFSETS, startTestChain, type TestChain } from '../support/testChain.ts'

/**
 * The Cosmos side against a real node (cometbft + pipe node), with the real clients:
 * @cosmjs/stargate reads what viem reads, SigningStargateClient sends MsgSend and a registry
 * message whose effects both sides see, and each bad tx gets a clear error and commits nothing.
 */
let chain: TestChain
let cid: string
let adjusterCid: string
const dev = devAccounts(3)
const bech = (i: number) => toBech32Address(Buffer.from(dev[i]!.address.slice(2), 'hex'))
let pub: PublicClient
let pipe: Chain

before(async () => {
  chain = await startTestChain({ name: 'cosmos', portOffset: PORT_OFFSETS.cosmos })
  const res = await fetch(`${chain.net.endpoints(0).rest}/v1/models`, { method: 'PUT', body: fs.readFileSync('models/risk-scorer.onnx') })
  assert.ok(res.status === 201 || res.status === 200, `upload: ${res.status}`)
  cid = ((await res.json()) as { cid: string }).cid
  const adjuster = await fetch(`${chain.net.endpoints(0).rest}/v1/models`, {
    method: 'PUT',
    body: fs.readFileSync('models/risk-adjuster.onnx'),
  })
  adjusterCid = ((await adjuster.json()) as { cid: string }).cid
  pipe = defineChain({
    id: 1337,
    name: 'pipe',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [chain.rpc()] } },
  })
  pub = createPublicClient({ chain: pipe, transport: http(), pollingInterval: 100 })
})
after(async () => {
  await chain?.stop()
})

const signing = async (wallet: Awaited<ReturnType<typeof devEthWallet>> | Awaited<ReturnType<typeof cosmosWallet>>) =>
  SigningStargateClient.connectWithSigner(chain.comet(), wallet, {
    registry: pipeRegistry(),
    gasPrice: GasPrice.fromString('2000000000apipe'),
    broadcastPollIntervalMs: 200,
    broadcastTimeoutMs: 30_000,
  })

test('StargateClient reads chain id, height, account and balances, and they match eth_getBalance and the nonce', async () => {
  const client = await StargateClient.connect(chain.comet())
  try {
    assert.equal(await client.getChainId(), 'pipe_1337-1')
    assert.ok((await client.getHeight()) > 0)
    const account = await client.getAccount(bech(2))
    assert.ok(account)
    assert.equal(account.address, bech(2))
    assert.equal(account.accountNumber, 2n, 'genesis accounts are numbered in genesis order')
    assert.equal(account.sequence, await pub.getTransactionCount({ address: dev[2]!.address }))
    const balance = await client.getBalance(bech(2), 'apipe')
    assert.equal(balance.amount, (await pub.getBalance({ address: dev[2]!.address })).toString())
    assert.deepEqual(await client.getAllBalances(bech(2)), [balance])
    assert.equal(await client.getAccount(toBech32Address(new Uint8Array(20).fill(0x33))), null, 'an unknown account is null')
  } finally {
    client.disconnect()
  }
})

test('SigningStargateClient sends MsgSend and MsgRegisterModel; both sides see the effects', async () => {
  const client = await signing(await devEthWallet(0))
  try {
    const nonce = await pub.getTransactionCount({ address: dev[0]!.address })
    const before1 = await pub.getBalance({ address: dev[1]!.address })
    const sent = await client.sendTokens(bech(0), bech(1), [{ denom: 'apipe', amount: '123456789' }], 'auto', 'hello from cosmjs')
    assert.equal(sent.code, 0, sent.rawLog)
    assert.equal(await pub.getBalance({ address: dev[1]!.address }), before1 + 123_456_789n, 'eth_getBalance sees the bank send')
    assert.equal(await pub.getTransactionCount({ address: dev[0]!.address }), nonce + 1, 'the sequence is the EVM nonce')
    assert.ok(
      sent.events.some((e) => e.type === 'transfer' && e.attributes.some((a) => a.key === 'amount' && a.value === '123456789apipe')),
    )

    // tx_search by hash (what broadcastTx polls) and by an indexed event
    const found = await client.getTx(sent.transactionHash)
    assert.equal(found?.height, sent.height)
    const bySender = await client.searchTx(`message.sender='${bech(0)}'`)
    assert.ok(bySender.some((t) => t.hash === sent.transactionHash))

    const registered = await client.signAndBroadcast(
      bech(0),
      [
        {
          typeUrl: '/pipe.inference.v1.MsgRegisterModel',
          value: {
            owner: bech(0),
            modelCid: cid,
            modes: [VerificationMode.VERIFICATION_MODE_VANILLA],
            zkVerifyingKeyHash: new Uint8Array(0),
            artefacts: [],
          },
        },
      ],
      'auto',
    )
    assert.equal(registered.code, 0, registered.rawLog)
    const query = QueryClient.withExtensions(await connectComet(chain.comet()))
    const res = QueryModelResponse.decode(
      (await query.queryAbci('/pipe.inference.v1.Query/Model', QueryModelRequest.encode({ cid }).finish())).value,
    )
    assert.equal(res.model?.owner, bech(0))
    assert.equal(res.model?.registeredHeight, BigInt(registered.height))
    assert.equal(await pub.getTransactionCount({ address: dev[0]!.address }), nonce + 2)

    // and the next Ethereum tx of the same account simply takes the next nonce
    const wallet = createWalletClient({ chain: pipe, transport: http(), account: privateKeyToAccount(dev[0]!.privateKey) })
    const hash = await wallet.sendTransaction({
      to: dev[1]!.address,
      value: 1n,
      chain: pipe,
      account: privateKeyToAccount(dev[0]!.privateKey),
    })
    const receipt = await pub.waitForTransactionReceipt({ hash })
    assert.equal(receipt.status, 'success')
    assert.equal((await pub.getTransaction({ hash })).nonce, nonce + 2)
  } finally {
    client.disconnect()
  }
})

test('a Cosmos-native secp256k1 account funded from viem signs with cosmjs', async () => {
  const wallet = await cosmosWallet(3)
  const { address } = (await wallet.getAccounts())[0]!
  const hex = `0x${Buffer.from(fromBech32(address, 90).data).toString('hex')}` as Hex
  const eth = createWalletClient({ chain: pipe, transport: http(), account: privateKeyToAccount(dev[1]!.privateKey) })
  const hash = await eth.sendTransaction({ to: hex, value: 10n ** 18n, chain: pipe, account: privateKeyToAccount(dev[1]!.privateKey) })
  await pub.waitForTransactionReceipt({ hash })
  const client = await signing(wallet)
  try {
    const account = await client.getAccount(address)
    assert.ok(account && account.accountNumber >= 10n, 'numbered after the genesis accounts')
    const sent = await client.sendTokens(address, bech(2), [{ denom: 'apipe', amount: '1000' }], 'auto')
    assert.equal(sent.code, 0, sent.rawLog)
    assert.equal(await pub.getBalance({ address: hex }), 10n ** 18n - 1000n - BigInt(sent.gasWanted) * 2_000_000_000n)
  } finally {
    client.disconnect()
  }
})

test('wrong sequence, bad signature, insufficient fee, wrong chain id and unknown message type: each a clear error, nothing committed', async () => {
  const wallet = await devEthWallet(2)
  const client = await signing(wallet)
  try {
    const account = (await client.getAccount(bech(2)))!
    const signer = { accountNumber: account.accountNumber, sequence: account.sequence, chainId: 'pipe_1337-1' }
    const send = [msgSend(bech(2), bech(1), 1n)]
    const sign = async (o: { sequence?: number; chainId?: string; gasPrice?: bigint; msgs?: typeof send }) =>
      TxRaw.encode(
        await client.sign(bech(2), o.msgs ?? send, fee(200_000n, o.gasPrice ?? 2_000_000_000n), '', {
          ...signer,
          sequence: o.sequence ?? signer.sequence,
          chainId: o.chainId ?? signer.chainId,
        }),
      ).finish()
    const flipped = TxRaw.decode(await sign({}))
    flipped.signatures = [Uint8Array.from(flipped.signatures[0]!, (v, i) => (i === 5 ? v ^ 0x80 : v))]
    const cases: [string, Uint8Array, number, RegExp][] = [
      [
        'wrong sequence',
        await sign({ sequence: account.sequence + 3 }),
        32,
        new RegExp(`account sequence mismatch, expected ${account.sequence}, got ${account.sequence + 3}`),
      ],
      [
        'bad signature',
        TxRaw.encode(flipped).finish(),
        4,
        /signature verification failed; please verify account number \(2\), sequence \(\d+\) and chain-id \(pipe_1337-1\)/,
      ],
      ['insufficient fee', await sign({ gasPrice: 1n }), 13, /insufficient fee; got: 200000apipe required: \d+apipe/],
      ['wrong chain id', await sign({ chainId: 'cosmoshub-4' }), 4, /signature verification failed; .*chain-id \(pipe_1337-1\)/],
      [
        'unknown message type',
        await sign({
          msgs: [
            {
              typeUrl: '/cosmos.staking.v1beta1.MsgDelegate',
              value: { delegatorAddress: bech(2), validatorAddress: 'pipevaloper1q', amount: { denom: 'apipe', amount: '1' } },
            },
          ],
        }),
        6,
        /unrecognized message type \/cosmos.staking.v1beta1.MsgDelegate at index 0/,
      ],
    ]
    const balance = await pub.getBalance({ address: dev[2]!.address })
    for (const [name, tx, code, log] of cases) {
      await assert.rejects(client.broadcastTx(tx), (err: unknown) => {
        assert.ok(err instanceof BroadcastTxError, `${name}: ${err}`)
        assert.equal(`${err.codespace}/${err.code}`, `sdk/${code}`, `${name}: ${err.log}`)
        assert.match(err.log ?? '', log, name)
        return true
      })
    }
    // blocks go on; nothing of the refused txs landed on either side
    const height = await client.getHeight()
    while ((await client.getHeight()) < height + 2) await new Promise((r) => setTimeout(r, 100))
    assert.equal(await pub.getBalance({ address: dev[2]!.address }), balance)
    assert.equal((await client.getAccount(bech(2)))!.sequence, account.sequence)
    assert.equal(await pub.getTransactionCount({ address: dev[2]!.address }), account.sequence)
    // the same account's good tx still goes through at the sequence the refused ones left alone
    const ok = await client.sendTokens(bech(2), bech(1), [{ denom: 'apipe', amount: '1' }], 'auto')
    assert.equal(ok.code, 0, ok.rawLog)
  } finally {
    client.disconnect()
  }
})

/** Runs the real `pipe` CLI in a child process. */
function pipeCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env }
  delete env.PIPE_KEY
  delete env.PIPE_COMET
  return new Promise((resolve) => {
    execFile(process.execPath, ['scripts/pipe.mjs', ...args], { env }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr })
    })
  })
}

test("pipe model register signs a MsgRegisterModel from the command line; a second one is refused with the chain's reason", async () => {
  const first = await pipeCli('model', 'register', adjusterCid, '--dev-account', '1', '--modes', 'vanilla', '--comet', chain.comet())
  assert.equal(first.code, 0, first.stderr)
  assert.match(first.stdout, new RegExp(`^registered ${adjusterCid} for VANILLA by ${bech(1)}$`, 'm'))
  assert.match(first.stdout, /^block \d+, tx [0-9A-F]{64}, gas \d+$/m)
  const query = QueryClient.withExtensions(await connectComet(chain.comet()))
  const res = QueryModelResponse.decode(
    (await query.queryAbci('/pipe.inference.v1.Query/Model', QueryModelRequest.encode({ cid: adjusterCid }).finish())).value,
  )
  assert.equal(res.model?.owner, bech(1))

  const again = await pipeCli('model', 'register', adjusterCid, '--dev-account', '1', '--comet', chain.comet())
  assert.equal(again.code, 1)
  assert.match(again.stderr, /^pipe: the chain refused the registration: model is already registered: bafkrei\w+ \[71\]$/m)
  const noKey = await pipeCli('model', 'register', adjusterCid, '--comet', chain.comet())
  assert.equal(noKey.code, 2)
  assert.match(noKey.stderr, /needs the owner's key: --key <hex>/)
  const badMode = await pipeCli(
    'model',
    'register',
    adjusterCid,
    '--dev-account',
    '1',
    '--modes',
    'vanilla,magic',
    '--comet',
    chain.comet(),
  )
  assert.equal(badMode.code, 2)
  assert.match(badMode.stderr, /--modes: unknown mode "magic" \(vanilla, zkml, tee\)/)
})
