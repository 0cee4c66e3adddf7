/**
 * The rows of bench/evm-throughput: what each one sets up on its fresh chain (funded senders, the
 * model, a contract) and the txs it pre-signs. Txs are signed round-robin over the senders (tx i
 * from sender i mod senders), so the end of the list holds every sender's last nonce.
 *
 * Real workloads (issue 11, what a bot or a dapp backend sends): value transfers from 1 and from
 * 10 senders, and a Solidity contract calling a model (RiskScorer.score: builds an OpenGradient
 * ModelInferenceRequest of 4 features, calls 0x…F4, decodes the ModelOutput, stores the score,
 * emits an event) from 10 senders. Shortcut and older rows, kept to compare: transfers and EOAs
 * calling the precompile directly from many (200) fresh senders, contract calls that store and
 * log, and Cosmos MsgSends.
 */
import { DirectEthSecp256k1Wallet } from '@cosmjs/proto-signing'
import { SigningStargateClient, StargateClient } from '@cosmjs/stargate'
import { TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx'
import { encodeAbiParameters, getContractAddress, type Hex, keccak256, toHex } from 'viem'
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts'
import { devAccounts } from '../../app/modules/evm/devAccounts.ts'
import { INFERENCE_PRECOMPILE_ADDRESS } from '../../app/modules/inference/precompile/abi.ts'
import { precompileCall, row } from '../../test/support/inference.ts'
import type { TestChain } from '../../test/support/testChain.ts'
import {
  RISK_FEATURE_DECIMALS,
  riskFeatures,
  riskScoreCall,
  riskScorerDeployData,
  STORE_AND_LOG_INITCODE,
  sendRawBatch,
  uploadModel,
} from '../../test/support/workload.ts'
import { type BlockWatcher, rpc } from '../pipe/chain.ts'
import type { Prepared } from './measure.ts'

const gwei = 10n ** 9n
/**
 * Max fee of every measured tx: far above the 1 gwei start, because full blocks raise the
 * EIP-1559 base fee 12.5% each (a contract → model run fills its blocks' gas).
 */
const MAX_FEE = 200n * gwei
/** Gas limit of a workload's txs: eth_estimateGas on its first tx, plus 20%. */
const withMargin = (gas: bigint) => (gas * 12n) / 10n

export interface Target {
  /** Committed tx/s at least. */
  txPerSec?: number
  /** Latency p50 at most this many block times. */
  latencyBlocks?: number
  /** FinalizeBlock ms per committed tx at most. */
  finalizeMsPerTx?: number
  /** A target that is not a number here (e.g. "no regression"). */
  note?: string
}

export interface Workload {
  id: string
  label: string
  group: 'real' | 'shortcut' | 'older'
  senders: number
  target: Target
  prepare(ctx: Context, txs: number): Promise<Prepared>
}

export interface Context {
  chain: TestChain
  watcher: BlockWatcher
  log: (s: string) => void
}

const dev = devAccounts(10)

/** Waits until the tx with hash `hash` is in a block the watcher saw. */
async function included(watcher: BlockWatcher, hash: Hex, what: string): Promise<void> {
  const deadline = performance.now() + 120_000
  while (!watcher.included.has(hash)) {
    if (performance.now() > deadline) throw new Error(`${what} not committed within 120 s`)
    await watcher.next(1_000)
  }
}

/** The senders of a row: the dev accounts for up to 10 (fresh chain, nothing sent yet), else fresh keys funded by the dev accounts. */
async function senders(ctx: Context, count: number, fundEach: bigint): Promise<PrivateKeyAccount[]> {
  if (count <= dev.length) return dev.slice(0, count).map((d) => privateKeyToAccount(d.privateKey as Hex))
  const fresh = Array.from({ length: count }, (_, i) => privateKeyToAccount(keccak256(toHex(`pipe-bench-${i}`))))
  ctx.log(`  funding ${count} fresh senders (${fundEach / 10n ** 18n} ETH each) from the 10 dev accounts…`)
  const byFunder = dev.map(() => [] as Hex[])
  for (const [i, s] of fresh.entries()) {
    const f = i % dev.length
    byFunder[f]!.push(
      await privateKeyToAccount(dev[f]!.privateKey as Hex).signTransaction({
        chainId: 1337,
        type: 'eip1559',
        nonce: byFunder[f]!.length,
        to: s.address,
        value: fundEach,
        gas: 21_000n,
        maxFeePerGas: 10n * gwei,
        maxPriorityFeePerGas: 0n,
      }),
    )
  }
  // One batch per funder (a batch's txs reach CheckTx in order), funders in parallel.
  await Promise.all(byFunder.filter((b) => b.length > 0).map((b) => sendRawBatch(ctx.chain.rpc(), b)))
  for (const b of byFunder) if (b.length > 0) await included(ctx.watcher, keccak256(b.at(-1)!), 'funding')
  return fresh
}

/** Next nonce of each account on the chain. */
const nonces = (ctx: Context, accounts: PrivateKeyAccount[]) =>
  Promise.all(
    accounts.map(async (a) => Number(BigInt(await rpc<string>(ctx.chain.rpc(), 'eth_getTransactionCount', [a.address, 'pending'])))),
  )

/** `txs` txs round-robin over `from`, fields of tx i from `fields(i, sender)`. */
async function signAll(
  ctx: Context,
  from: PrivateKeyAccount[],
  txs: number,
  fields: (i: number, s: number) => { to: Hex; data?: Hex; value?: bigint; gas: bigint },
): Promise<Hex[]> {
  const next = await nonces(ctx, from)
  const t = performance.now()
  const out: Hex[] = []
  for (let i = 0; i < txs; i++) {
    const s = i % from.length
    out.push(
      await from[s]!.signTransaction({
        chainId: 1337,
        type: 'eip1559',
        nonce: next[s]!++,
        maxFeePerGas: MAX_FEE,
        maxPriorityFeePerGas: 1n,
        ...fields(i, s),
      }),
    )
  }
  ctx.log(`  signed ${txs} txs in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  return out
}

/** Sends one tx from dev account `from` and waits until it is committed; answers its hash. */
async function sendAndWait(ctx: Context, raw: Hex, what: string): Promise<Hex> {
  const [hash] = await sendRawBatch(ctx.chain.rpc(), [raw])
  await included(ctx.watcher, hash!, what)
  const r = await rpc<{ status: string }>(ctx.chain.rpc(), 'eth_getTransactionReceipt', [hash])
  if (r.status !== '0x1') throw new Error(`${what} failed`)
  return hash!
}

/** Deploys `data` from dev account `from` and waits until it is committed; answers the contract's address. */
async function deploy(ctx: Context, from: number, data: Hex, gas: bigint, what: string): Promise<Hex> {
  const deployer = privateKeyToAccount(dev[from]!.privateKey as Hex)
  const [nonce] = await nonces(ctx, [deployer])
  const raw = await deployer.signTransaction({
    chainId: 1337,
    type: 'eip1559',
    nonce: nonce!,
    data,
    gas,
    maxFeePerGas: 10n * gwei,
    maxPriorityFeePerGas: 0n,
  })
  await sendAndWait(ctx, raw, what)
  return getContractAddress({ from: deployer.address, nonce: BigInt(nonce!) })
}

const estimate = async (ctx: Context, from: Hex, to: Hex, data: Hex): Promise<bigint> =>
  BigInt(await rpc<string>(ctx.chain.rpc(), 'eth_estimateGas', [{ from, to, data }]))

function transfers(id: string, label: string, group: Workload['group'], count: number, target: Target): Workload {
  return {
    id,
    label,
    group,
    senders: count,
    target,
    async prepare(ctx, txs) {
      const from = await senders(ctx, count, 100n * 10n ** 18n)
      // Each to the next sender (one sender: to dev account 1): accounts that exist, as a bot's payees do.
      const to = (s: number) => (count === 1 ? (dev[1]!.address as Hex) : from[(s + 1) % count]!.address)
      const raws = await signAll(ctx, from, txs, (_i, s) => ({ to: to(s), value: 1n, gas: 21_000n }))
      return { raws, kind: 'eth', gasLimit: 21_000n }
    },
  }
}

/** Contract → model: RiskScorer (VANILLA) on the small MLP, each tx scoring its own account with its own features. */
function contractModel(count: number, target: Target): Workload {
  return {
    id: `model-${count}`,
    label: `contract → model (RiskScorer.score, small MLP), ${count} senders`,
    group: 'real',
    senders: count,
    target,
    async prepare(ctx, txs) {
      const from = await senders(ctx, count, 1_000n * 10n ** 18n)
      const cid = await uploadModel(ctx.chain.net.endpoints(0).rest)
      const contract = await deploy(ctx, 9, riskScorerDeployData(cid, 0), 3_000_000n, 'the RiskScorer deployment')
      const gas = withMargin(await estimate(ctx, from[0]!.address, contract, riskScoreCall(0)))
      ctx.log(`  model ${cid}, RiskScorer at ${contract}, gas limit ${gas} per tx`)
      const raws = await signAll(ctx, from, txs, (i) => ({ to: contract, data: riskScoreCall(i), gas }))
      return { raws, kind: 'eth', gasLimit: gas }
    },
  }
}

/** EOAs calling 0x…F4 directly (runModelInference) on the same small MLP and inputs as the contract row. */
function directCalls(count: number, target: Target): Workload {
  return {
    id: `direct-${count}`,
    label: `EOA → 0x…F4 directly (small MLP), ${count} senders`,
    group: 'shortcut',
    senders: count,
    target,
    async prepare(ctx, txs) {
      const from = await senders(ctx, count, 100n * 10n ** 18n)
      const cid = await uploadModel(ctx.chain.net.endpoints(0).rest)
      const data = (i: number) => precompileCall(cid, [row('features', riskFeatures(i), RISK_FEATURE_DECIMALS)])
      const gas = withMargin(await estimate(ctx, from[0]!.address, INFERENCE_PRECOMPILE_ADDRESS, data(0)))
      ctx.log(`  model ${cid}, gas limit ${gas} per tx`)
      const raws = await signAll(ctx, from, txs, (i) => ({ to: INFERENCE_PRECOMPILE_ADDRESS, data: data(i), gas }))
      return { raws, kind: 'eth', gasLimit: gas }
    },
  }
}

/** Calls to a contract that stores a word and logs it (~45k gas; test/support/workload.ts STORE_AND_LOG). */
function storeCalls(count: number): Workload {
  return {
    id: `store-${count}`,
    label: `contract calls (SSTORE + LOG), ${count} senders`,
    group: 'older',
    senders: count,
    target: { note: 'no regression' },
    async prepare(ctx, txs) {
      const from = await senders(ctx, count, 100n * 10n ** 18n)
      const contract = await deploy(ctx, 0, STORE_AND_LOG_INITCODE, 200_000n, 'the store-and-log deployment')
      const raws = await signAll(ctx, from, txs, (i, s) => ({
        to: contract,
        data: encodeAbiParameters([{ type: 'uint256' }], [BigInt(s * 100_000 + i + 1)]),
        gas: 60_000n,
      }))
      return { raws, kind: 'eth', gasLimit: 60_000n }
    },
  }
}

/** Cosmos MsgSends (ethsecp256k1 keys of fresh senders, signed offline with cosmjs), each to the next sender. */
function bankSends(count: number): Workload {
  return {
    id: `bank-${count}`,
    label: `Cosmos MsgSend (broadcast_tx_sync), ${count} senders`,
    group: 'older',
    senders: count,
    target: { note: 'no regression' },
    async prepare(ctx, txs) {
      if (count <= dev.length) throw new Error('the bank row needs more than 10 senders (fresh accounts)')
      await senders(ctx, count, 100n * 10n ** 18n)
      const keys = Array.from({ length: count }, (_, i) => keccak256(toHex(`pipe-bench-${i}`)))
      const query = await StargateClient.connect(ctx.chain.comet())
      const wallets = await Promise.all(keys.map((k) => DirectEthSecp256k1Wallet.fromKey(Buffer.from(k.slice(2), 'hex'), 'pipe')))
      const addresses = await Promise.all(wallets.map(async (w) => (await w.getAccounts())[0]!.address))
      const numbers = await Promise.all(addresses.map(async (a) => (await query.getAccount(a))!.accountNumber))
      query.disconnect()
      const clients = await Promise.all(wallets.map((w) => SigningStargateClient.offline(w)))
      const fee = { amount: [{ denom: 'apipe', amount: (100_000n * 10n * gwei).toString() }], gas: '100000' }
      const raws: Hex[] = []
      for (let i = 0; i < txs; i++) {
        const s = i % count
        const msg = {
          typeUrl: '/cosmos.bank.v1beta1.MsgSend',
          value: { fromAddress: addresses[s], toAddress: addresses[(s + 1) % count], amount: [{ denom: 'apipe', amount: '1' }] },
        }
        const signed = await clients[s]!.sign(addresses[s]!, [msg], fee, '', {
          accountNumber: numbers[s]!,
          sequence: Math.floor(i / count),
          chainId: 'pipe_1337-1',
        })
        raws.push(`0x${Buffer.from(TxRaw.encode(signed).finish()).toString('hex')}`)
      }
      return { raws, kind: 'cosmos' }
    },
  }
}

/** Every row, in report order; `many` is the sender count of the shortcut and older rows. */
export function workloads(many: number): Workload[] {
  return [
    transfers('transfer-1', 'value transfers, 1 sender', 'real', 1, { txPerSec: 1_000 }),
    transfers('transfer-10', 'value transfers, 10 senders', 'real', 10, { txPerSec: 1_500 }),
    contractModel(10, { txPerSec: 400, latencyBlocks: 2, finalizeMsPerTx: 1.5 }),
    transfers(`transfer-${many}`, `value transfers, ${many} senders`, 'shortcut', many, { note: 'no regression' }),
    directCalls(many, { note: 'no regression' }),
    storeCalls(many),
    bankSends(many),
  ]
}

/** Rows `all` runs: the real workloads and the shortcut rows. */
export const DEFAULT_GROUPS: Workload['group'][] = ['real', 'shortcut']
