import fs from 'node:fs'
import { type Abi, encodeAbiParameters, encodeDeployData, encodeFunctionData, getContractAddress, type Hex, keccak256 } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { devAccounts } from '../../app/modules/evm/devAccounts.ts'
import { loadContract } from './contracts.ts'
import { rawRpc, waitFor } from './rpc.ts'

/**
 * A tiny contract, hand-assembled so the workload needs no compiler: it stores the first
 * calldata word in slot 0 and logs it (LOG0).
 *   runtime: PUSH1 0 CALLDATALOAD PUSH1 0 SSTORE PUSH1 0 CALLDATALOAD PUSH1 0 MSTORE
 *            PUSH1 32 PUSH1 0 LOG0 STOP
 */
export const STORE_AND_LOG_RUNTIME = '0x60003560005560003560005260206000a000'
export const STORE_AND_LOG_INITCODE = `0x6012600c60003960126000f3${STORE_AND_LOG_RUNTIME.slice(2)}` as Hex

const gwei = 10n ** 9n
const TYPES = ['eip1559', 'legacy', 'eip2930'] as const

export interface SentTx {
  hash: Hex
  sender: number
  nonce: number
  kind: string
}

/**
 * Sends `perSender` txs from each of dev accounts `senders`, each sender through one node
 * (CheckTx admits only the next nonce, so one sender's txs must reach one mempool in order).
 * Mixes tx types, contract creation, calls that store and log, and out-of-gas failures.
 */
export async function sendMixedWorkload(opts: {
  senders: number[]
  perSender: number
  rpcFor: (sender: number) => string
  nonceStart?: Record<number, number>
}): Promise<SentTx[]> {
  const keys = devAccounts(10)
  const sent: SentTx[] = []
  await Promise.all(
    opts.senders.map(async (s) => {
      const account = privateKeyToAccount(keys[s]!.privateKey)
      const url = opts.rpcFor(s)
      let nonce =
        opts.nonceStart?.[s] ??
        Number(BigInt((await rawRpc(url, 'eth_getTransactionCount', [account.address, 'pending'])).result as string))
      const deployNonce = nonce
      const contract = getContractAddress({ from: account.address, nonce: BigInt(deployNonce) })
      for (let i = 0; i < opts.perSender; i++) {
        const type = TYPES[(s + i) % TYPES.length]
        const fees =
          type === 'eip1559' ? { maxFeePerGas: 10n * gwei, maxPriorityFeePerGas: BigInt(i % 3) * gwei } : { gasPrice: 10n * gwei }
        let fields: Record<string, unknown>
        let kind: string
        if (i === 0) {
          fields = { data: STORE_AND_LOG_INITCODE, gas: 200_000n }
          kind = 'deploy'
        } else if (i % 5 === 4) {
          fields = { to: contract, data: encodeAbiParameters([{ type: 'uint256' }], [BigInt(i)]), gas: 21_500n }
          kind = 'out-of-gas call'
        } else if (i % 2 === 1) {
          fields = { to: contract, data: encodeAbiParameters([{ type: 'uint256' }], [BigInt(s * 1000 + i)]), gas: 100_000n }
          kind = 'store call'
        } else {
          fields = { to: keys[(s + i) % 10]!.address, value: BigInt(i) * 1000n + 1n, gas: 21_000n }
          kind = 'transfer'
        }
        const raw = await account.signTransaction({ chainId: 1337, type, nonce, ...fees, ...fields } as never)
        const res = await rawRpc(url, 'eth_sendRawTransaction', [raw])
        if (res.error) throw new Error(`sender ${s} nonce ${nonce} (${kind}): ${res.error.message}`)
        sent.push({ hash: keccak256(raw), sender: s, nonce, kind })
        nonce++
      }
    }),
  )
  return sent
}

/** Waits for every tx's receipt on `url`; returns them by hash. */
export async function receiptsOf(url: string, txs: SentTx[], timeoutMs = 60_000): Promise<Map<Hex, Record<string, unknown>>> {
  const out = new Map<Hex, Record<string, unknown>>()
  for (const t of txs) {
    out.set(
      t.hash,
      await waitFor(
        `receipt of ${t.kind} ${t.hash}`,
        async () => (await rawRpc(url, 'eth_getTransactionReceipt', [t.hash])).result as Record<string, unknown> | null,
        timeoutMs,
      ),
    )
  }
  return out
}

// ------------------------------------------------------------------ contract → model: RiskScorer

/** The small MLP RiskScorer calls: features float32 [1, 4] → score float32 [1, 1]. */
export const RISK_MODEL_FILE = 'models/risk-scorer.onnx'
/** Decimals of {@link riskFeatures}' values (TensorLib numbers are value × 10^-decimals). */
export const RISK_FEATURE_DECIMALS = 3n

/**
 * Four features of input `idx` (× 10^-3, all within [-0.5, 0.5], inside the ZK calibration range),
 * distinct for every idx < 1,000,000: the first two encode idx, so no two txs share a request
 * (nothing is deduplicated).
 */
export function riskFeatures(idx: number): bigint[] {
  return [idx % 1000, Math.floor(idx / 1000) % 1000, (idx * 37 + 11) % 1000, (idx * 91 + 250) % 1000].map((v) => BigInt(v - 500))
}

/** The account a RiskScorer call of input `idx` scores: distinct per input, so no two txs write one slot. */
export const scoredAccount = (idx: number): Hex => `0x${(0x5c0000 + idx).toString(16).padStart(40, '0')}`

const riskScorerAbi = (): Abi => loadContract('RiskScorer').abi as Abi

/** Calldata of `RiskScorer.score(scoredAccount(idx), riskFeatures(idx), 3)`. */
export function riskScoreCall(idx: number): Hex {
  return encodeFunctionData({
    abi: riskScorerAbi(),
    functionName: 'score',
    args: [scoredAccount(idx), riskFeatures(idx), RISK_FEATURE_DECIMALS],
  })
}

/** Deployment data of RiskScorer for model `cid` in verification mode `mode` (0 VANILLA, 1 ZKML). */
export function riskScorerDeployData(cid: string, mode = 0): Hex {
  const c = loadContract('RiskScorer')
  return encodeDeployData({ abi: c.abi as Abi, bytecode: c.bytecode as Hex, args: [cid, mode] })
}

/** Uploads an ONNX model file to a node's hub (`PUT /v1/models`); returns its CID. */
export async function uploadModel(restUrl: string, file = RISK_MODEL_FILE): Promise<string> {
  const res = await fetch(`${restUrl}/v1/models`, { method: 'PUT', body: fs.readFileSync(file) })
  if (res.status !== 200 && res.status !== 201) throw new Error(`upload of ${file}: HTTP ${res.status} ${await res.text()}`)
  return ((await res.json()) as { cid: string }).cid
}

/**
 * Sends signed txs as one JSON-RPC batch of eth_sendRawTransaction (the node hands a batch's txs
 * to CometBFT in order); returns their hashes, throws on the first refusal.
 */
export async function sendRawBatch(url: string, raws: Hex[]): Promise<Hex[]> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(raws.map((r, id) => ({ jsonrpc: '2.0', id, method: 'eth_sendRawTransaction', params: [r] }))),
  })
  const body = (await res.json()) as { id: number; result?: Hex; error?: { message: string } }[]
  if (!Array.isArray(body)) throw new Error(`batch refused: ${JSON.stringify(body).slice(0, 300)}`)
  const byId = new Map(body.map((b) => [b.id, b]))
  return raws.map((r, i) => {
    const reply = byId.get(i)
    if (!reply || reply.error) throw new Error(`tx ${i} of the batch (${keccak256(r)}) refused: ${reply?.error?.message ?? 'no reply'}`)
    return reply.result!
  })
}
