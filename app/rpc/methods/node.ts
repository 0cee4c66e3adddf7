import { bigIntToHex, bytesToHex } from '@ethereumjs/util'
import { keccak256 } from '../../crypto.ts'
import { EVM_CHAIN_ID } from '../../modules/evm/params.ts'
import type { RpcMethod } from '../context.ts'
import { arity, data } from '../params.ts'

export const CLIENT_VERSION = `pipe/v0.1.0/node-${process.version}`

/** Node identity and status: web3_*, net_*, eth_chainId, eth_syncing, eth_blockNumber. */
export const nodeMethods: Record<string, RpcMethod> = {
  web3_clientVersion: async (p) => {
    arity(p, 0)
    return CLIENT_VERSION
  },
  web3_sha3: async (p) => {
    arity(p, 1)
    return bytesToHex(keccak256(data(p[0], 'data')))
  },
  net_version: async (p) => {
    arity(p, 0)
    return EVM_CHAIN_ID.toString()
  },
  net_listening: async (p) => {
    arity(p, 0)
    return true
  },
  net_peerCount: async (p, ctx) => {
    arity(p, 0)
    return bigIntToHex(BigInt(await ctx.comet.peerCount()))
  },
  eth_chainId: async (p) => {
    arity(p, 0)
    return bigIntToHex(EVM_CHAIN_ID)
  },
  eth_blockNumber: async (p, ctx) => {
    arity(p, 0)
    return bigIntToHex(ctx.evm.head()?.header.number ?? 0n)
  },
  /** The node holds no keys: sign client-side and use eth_sendRawTransaction. */
  eth_accounts: async (p) => {
    arity(p, 0)
    return []
  },
  eth_syncing: async (p, ctx) => {
    arity(p, 0)
    const status = await ctx.comet.status()
    if (!status.catchingUp) return false
    const current = ctx.evm.head()?.header.number ?? 0n
    return { startingBlock: '0x0', currentBlock: bigIntToHex(current), highestBlock: bigIntToHex(status.latestHeight) }
  },
  /** Time spent per ABCI phase since start (benchmarks read it). */
  pipe_stats: async (p, ctx) => {
    arity(p, 0)
    return {
      phases: ctx.app.metrics.snapshot(),
      mempool: { queued: ctx.app.evmMempool.senders.size },
      inference: ctx.app.inference.mempool.stats(),
      executor: ctx.app.inference.executor.stats(),
      height: String(ctx.app.lastCommit.height),
    }
  },
}
