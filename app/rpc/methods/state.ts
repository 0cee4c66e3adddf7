import { bigIntToHex, bytesToHex, setLengthLeft } from '@ethereumjs/util'
import { ErrCallFailed, RevertError } from '../../modules/evm/callSimulator.ts'
import { requireBlock } from '../blocks.ts'
import type { RpcMethod } from '../context.ts'
import { address, arity, blockRef, callObject, slot } from '../params.ts'

/** Account state at a block, and calls against it. */
export const stateMethods: Record<string, RpcMethod> = {
  eth_getBalance: async (p, ctx) => {
    arity(p, 1, 2)
    const addr = address(p[0], 'address')
    const block = await requireBlock(ctx.evm, blockRef(p[1], 'block'))
    const account = await (await ctx.evm.stateAt(block)).getAccount(addr)
    return bigIntToHex(account?.balance ?? 0n)
  },
  eth_getTransactionCount: async (p, ctx) => {
    arity(p, 1, 2)
    const addr = address(p[0], 'address')
    const ref = blockRef(p[1], 'block')
    if ('tag' in ref && ref.tag === 'pending') {
      const queued = ctx.app.evmMempool.senders.nextNonce(addr.toString())
      if (queued !== undefined) return bigIntToHex(queued)
    }
    const block = await requireBlock(ctx.evm, ref)
    const account = await (await ctx.evm.stateAt(block)).getAccount(addr)
    return bigIntToHex(account?.nonce ?? 0n)
  },
  eth_getCode: async (p, ctx) => {
    arity(p, 1, 2)
    const addr = address(p[0], 'address')
    const block = await requireBlock(ctx.evm, blockRef(p[1], 'block'))
    return bytesToHex(await (await ctx.evm.stateAt(block)).getCode(addr))
  },
  eth_getStorageAt: async (p, ctx) => {
    arity(p, 2, 3)
    const addr = address(p[0], 'address')
    const key = slot(p[1], 'slot')
    const block = await requireBlock(ctx.evm, blockRef(p[2], 'block'))
    const state = await ctx.evm.stateAt(block)
    const value = (await state.getAccount(addr)) ? await state.getStorage(addr, key) : new Uint8Array(0)
    return bytesToHex(setLengthLeft(value, 32))
  },
  eth_call: async (p, ctx) => {
    arity(p, 1, 3)
    const call = callObject(p[0], 'transaction')
    const block = await requireBlock(ctx.evm, blockRef(p[1], 'block'))
    const out = await ctx.simulator.call(call, block)
    if (out.reverted) throw new RevertError(out.returnValue)
    if (out.evmError) throw ErrCallFailed.with(out.evmError)
    return bytesToHex(out.returnValue)
  },
  eth_estimateGas: async (p, ctx) => {
    arity(p, 1, 3)
    const call = callObject(p[0], 'transaction')
    const block = await requireBlock(ctx.evm, blockRef(p[1], 'block'))
    return bigIntToHex(await ctx.simulator.estimateGas(call, block))
  },
}
