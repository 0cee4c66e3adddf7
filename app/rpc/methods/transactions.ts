import { bytesToHex } from '@ethereumjs/util'
import { CometRpcError, CometUnavailableError } from '../cometClient.ts'
import type { RpcMethod } from '../context.ts'
import { INTERNAL_ERROR, RpcError, SERVER_ERROR } from '../errors.ts'
import { formatPendingTx, formatReceipt, formatStoredTx } from '../format.ts'
import { arity, data, hash32 } from '../params.ts'

/** CometBFT mempool refusals, in the words Ethereum clients recognise (geth's txpool errors). */
function cometRefusal(message: string): string {
  if (message.includes('tx already exists in cache')) return 'already known'
  if (message.includes('mempool is full')) return `txpool is full (${message})`
  if (message.includes('Tx too large')) return `oversized data: ${message}`
  return message
}

/** Submitting txs and reading them back. */
export const transactionMethods: Record<string, RpcMethod> = {
  /**
   * Hands the tx to CometBFT (`broadcast_tx_async`, in arrival order; see rpc/txIntake.ts) and
   * returns the Ethereum tx hash once this node's CheckTx accepted it. A CheckTx refusal is
   * -32000 with its reason.
   */
  eth_sendRawTransaction: async (p, ctx) => {
    arity(p, 1)
    const raw = data(p[0], 'data')
    // Decoding here (sender recovery on worker threads) fills the tx cache CheckTx reads.
    const decoding = ctx.evm.txCache.decodeAsync(raw)
    let result: Awaited<ReturnType<typeof ctx.intake.submit>>
    try {
      result = await ctx.intake.submit(raw, decoding)
    } catch (err) {
      if (err instanceof CometRpcError) {
        const eth = await decoding
        // CometBFT's cache also remembers committed txs; tell those apart as geth does.
        const mined = err.message.includes('tx already exists in cache') ? await ctx.evm.blocks.tx(eth.hash) : undefined
        if (mined) throw new RpcError(SERVER_ERROR, `nonce too low: tx ${eth.hashHex} is already in block ${mined.height}`)
        throw new RpcError(SERVER_ERROR, cometRefusal(err.message))
      }
      if (err instanceof CometUnavailableError) throw new RpcError(INTERNAL_ERROR, err.message)
      throw err
    }
    if (result.code !== 0)
      throw new RpcError(SERVER_ERROR, result.log || `rejected by CheckTx with code ${result.codespace}/${result.code}`)
    return (await decoding).hashHex
  },
  eth_getTransactionByHash: async (p, ctx) => {
    arity(p, 1)
    const hash = hash32(p[0], 'hash')
    const tx = await ctx.evm.blocks.tx(hash)
    if (tx) {
      const block = await ctx.evm.blocks.blockByHeight(tx.height)
      if (block) return formatStoredTx(tx, block, ctx.evm.txCommon)
    }
    const pending = ctx.app.evmMempool.senders.pendingTx(bytesToHex(hash))
    return pending ? formatPendingTx(pending) : null
  },
  eth_getTransactionReceipt: async (p, ctx) => {
    arity(p, 1)
    const tx = await ctx.evm.blocks.tx(hash32(p[0], 'hash'))
    if (!tx) return null
    const block = await ctx.evm.blocks.blockByHeight(tx.height)
    return block ? formatReceipt(tx, block, ctx.evm.txCommon) : null
  },
}
