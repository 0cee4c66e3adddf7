import { bigIntToHex, bytesToHex } from '@ethereumjs/util'
import type { StoredBlock } from '../../modules/evm/blockStore.ts'
import { findBlock } from '../blocks.ts'
import type { RpcContext, RpcMethod } from '../context.ts'
import { formatBlock, formatReceipt, formatStoredTx } from '../format.ts'
import { arity, type BlockRef, blockRef, bool, hash32, quantity } from '../params.ts'

async function blockJson(ctx: RpcContext, ref: BlockRef, full: boolean): Promise<unknown> {
  const block = await findBlock(ctx.evm, ref)
  if (!block) return null
  if (!full) return formatBlock(block, block.txHashes.map(bytesToHex))
  const txs = await ctx.evm.blocks.blockTxs(block)
  return formatBlock(
    block,
    txs.map((t) => formatStoredTx(t, block, ctx.evm.txCommon)),
  )
}

const txCount = (block: StoredBlock | undefined): string | null => (block ? bigIntToHex(BigInt(block.txHashes.length)) : null)

async function txAt(ctx: RpcContext, ref: BlockRef, index: bigint): Promise<unknown> {
  const block = await findBlock(ctx.evm, ref)
  if (!block || index >= BigInt(block.txHashes.length)) return null
  const tx = await ctx.evm.blocks.tx(block.txHashes[Number(index)]!)
  return tx ? formatStoredTx(tx, block, ctx.evm.txCommon) : null
}

/** Blocks and what they hold. Missing blocks answer null, as geth does. */
export const blockMethods: Record<string, RpcMethod> = {
  eth_getBlockByNumber: async (p, ctx) => {
    arity(p, 1, 2)
    return blockJson(ctx, blockRef(p[0], 'block'), p[1] === undefined ? false : bool(p[1], 'fullTransactions'))
  },
  eth_getBlockByHash: async (p, ctx) => {
    arity(p, 1, 2)
    return blockJson(ctx, { hash: hash32(p[0], 'blockHash') }, p[1] === undefined ? false : bool(p[1], 'fullTransactions'))
  },
  eth_getBlockTransactionCountByNumber: async (p, ctx) => {
    arity(p, 1)
    return txCount(await findBlock(ctx.evm, blockRef(p[0], 'block')))
  },
  eth_getBlockTransactionCountByHash: async (p, ctx) => {
    arity(p, 1)
    return txCount(await findBlock(ctx.evm, { hash: hash32(p[0], 'blockHash') }))
  },
  eth_getTransactionByBlockNumberAndIndex: async (p, ctx) => {
    arity(p, 2)
    return txAt(ctx, blockRef(p[0], 'block'), quantity(p[1], 'index'))
  },
  eth_getTransactionByBlockHashAndIndex: async (p, ctx) => {
    arity(p, 2)
    return txAt(ctx, { hash: hash32(p[0], 'blockHash') }, quantity(p[1], 'index'))
  },
  eth_getBlockReceipts: async (p, ctx) => {
    arity(p, 1)
    const block = await findBlock(ctx.evm, blockRef(p[0], 'block'))
    if (!block) return null
    return (await ctx.evm.blocks.blockTxs(block)).map((t) => formatReceipt(t, block, ctx.evm.txCommon))
  },
  eth_getUncleCountByBlockNumber: async (p, ctx) => {
    arity(p, 1)
    return (await findBlock(ctx.evm, blockRef(p[0], 'block'))) ? '0x0' : null
  },
  eth_getUncleCountByBlockHash: async (p, ctx) => {
    arity(p, 1)
    return (await findBlock(ctx.evm, { hash: hash32(p[0], 'blockHash') })) ? '0x0' : null
  },
}
