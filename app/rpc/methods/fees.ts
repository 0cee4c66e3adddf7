import { bigIntToHex } from '@ethereumjs/util'
import type { StoredBlock, StoredTx } from '../../modules/evm/blockStore.ts'
import { baseFeeAfter, blockGasUsed } from '../../modules/evm/feeMarket.ts'
import { requireBlock } from '../blocks.ts'
import type { RpcContext, RpcMethod } from '../context.ts'
import { invalidParams } from '../errors.ts'
import { arity, blockRef, quantity } from '../params.ts'

/** How many recent blocks the tip suggestion looks at, and the percentile it takes (geth: 20, 60). */
const TIP_BLOCKS = 20n
const TIP_PERCENTILE = 60
const MAX_FEE_HISTORY_BLOCKS = 1024n

/** Priority fee paid per gas by a tx of `block`. */
const tipOf = (tx: StoredTx, block: StoredBlock): bigint => tx.receipt.effectiveGasPrice - (block.header.baseFeePerGas ?? 0n)

/**
 * Suggested priority fee: the 60th percentile of tips paid in the last 20 blocks, or 0 when
 * nobody paid one (blocks are not full, so there is nothing to outbid).
 */
async function suggestTip(ctx: RpcContext): Promise<bigint> {
  const head = ctx.evm.head()
  if (!head) return 0n
  const tips: bigint[] = []
  for (let h = head.header.number; h >= 0n && h > head.header.number - TIP_BLOCKS; h--) {
    const block = await ctx.evm.blocks.blockByHeight(h)
    if (!block || block.txHashes.length === 0) continue
    for (const tx of await ctx.evm.blocks.blockTxs(block)) tips.push(tipOf(tx, block))
  }
  if (tips.length === 0) return 0n
  tips.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return tips[Math.floor(((tips.length - 1) * TIP_PERCENTILE) / 100)]!
}

/** Rewards at the given percentiles of gas used, as eth_feeHistory defines them. */
function rewards(block: StoredBlock, txs: StoredTx[], percentiles: number[]): string[] {
  if (txs.length === 0) return percentiles.map(() => '0x0')
  const sorted = txs
    .map((t) => ({ tip: tipOf(t, block), gas: t.receipt.gasUsed }))
    .sort((a, b) => (a.tip < b.tip ? -1 : a.tip > b.tip ? 1 : 0))
  const total = sorted.reduce((n, t) => n + t.gas, 0n)
  return percentiles.map((pct) => {
    const threshold = (total * BigInt(Math.round(pct * 100))) / 10000n
    let acc = 0n
    for (const t of sorted) {
      acc += t.gas
      if (acc >= threshold) return bigIntToHex(t.tip)
    }
    return bigIntToHex(sorted[sorted.length - 1]!.tip)
  })
}

/** Gas price oracle methods. */
export const feeMethods: Record<string, RpcMethod> = {
  eth_gasPrice: async (p, ctx) => {
    arity(p, 0)
    return bigIntToHex(ctx.evm.nextBaseFee() + (await suggestTip(ctx)))
  },
  eth_maxPriorityFeePerGas: async (p, ctx) => {
    arity(p, 0)
    return bigIntToHex(await suggestTip(ctx))
  },
  eth_feeHistory: async (p, ctx) => {
    arity(p, 2, 3)
    const count = quantity(typeof p[0] === 'number' ? `0x${p[0].toString(16)}` : p[0], 'blockCount')
    if (count < 1n) throw invalidParams('blockCount: must be at least 1')
    const newest = await requireBlock(ctx.evm, blockRef(p[1], 'newestBlock'))
    const percentiles = p[2] === undefined || p[2] === null ? undefined : (p[2] as unknown)
    if (percentiles !== undefined) {
      if (!Array.isArray(percentiles) || percentiles.some((x) => typeof x !== 'number' || x < 0 || x > 100)) {
        throw invalidParams('rewardPercentiles: expected an array of numbers between 0 and 100')
      }
      for (let i = 1; i < percentiles.length; i++) {
        if (percentiles[i] < percentiles[i - 1]) throw invalidParams('rewardPercentiles: must be increasing')
      }
    }
    const n = count > MAX_FEE_HISTORY_BLOCKS ? MAX_FEE_HISTORY_BLOCKS : count
    const newestHeight = newest.header.number
    const oldest = newestHeight + 1n > n ? newestHeight + 1n - n : 0n
    const baseFees: string[] = []
    const ratios: number[] = []
    const reward: string[][] = []
    for (let h = oldest; h <= newestHeight; h++) {
      const block = await ctx.evm.blocks.blockByHeight(h)
      if (!block) throw new Error(`block ${h} missing`)
      baseFees.push(bigIntToHex(block.header.baseFeePerGas ?? 0n))
      ratios.push(Number(blockGasUsed(block)) / Number(block.header.gasLimit))
      if (percentiles) reward.push(rewards(block, await ctx.evm.blocks.blockTxs(block), percentiles as number[]))
    }
    baseFees.push(bigIntToHex(baseFeeAfter(newest)))
    return {
      oldestBlock: bigIntToHex(oldest),
      baseFeePerGas: baseFees,
      gasUsedRatio: ratios,
      ...(percentiles ? { reward } : {}),
    }
  },
}
