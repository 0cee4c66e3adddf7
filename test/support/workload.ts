import { encodeAbiParameters, getContractAddress, type Hex, keccak256 } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { devAccounts } from '../../app/modules/evm/devAccounts.ts'
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
