import { refHeight } from '../blocks.ts'
import type { RpcMethod } from '../context.ts'
import { invalidParams } from '../errors.ts'
import { blockLogs, parseLogFilter, rangeLogs } from '../logQuery.ts'
import { arity } from '../params.ts'

function filterId(v: unknown): string {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]+$/.test(v))
    throw invalidParams(`filterId: expected a hex filter id, got ${JSON.stringify(v)}`)
  return v.toLowerCase()
}

/** eth_getLogs and the polling filters. */
export const logMethods: Record<string, RpcMethod> = {
  eth_getLogs: async (p, ctx) => {
    arity(p, 1)
    const filter = parseLogFilter(p[0], 'filter')
    if ('blockHash' in filter) {
      const block = await ctx.evm.blocks.blockByHash(filter.blockHash)
      if (!block) throw invalidParams('filter.blockHash: unknown block')
      return blockLogs(ctx.evm, block, filter)
    }
    const from = refHeight(ctx.evm, filter.from)
    const to = refHeight(ctx.evm, filter.to)
    if (from > to) throw invalidParams(`filter: fromBlock ${from} is after toBlock ${to}`)
    return rangeLogs(ctx.evm, from, to, filter)
  },
  eth_newFilter: async (p, ctx) => {
    arity(p, 1)
    const filter = parseLogFilter(p[0], 'filter')
    if ('from' in filter && 'number' in filter.from && 'number' in filter.to && filter.from.number > filter.to.number) {
      throw invalidParams(`filter: fromBlock ${filter.from.number} is after toBlock ${filter.to.number}`)
    }
    return ctx.filters.newLogFilter(filter)
  },
  eth_newBlockFilter: async (p, ctx) => {
    arity(p, 0)
    return ctx.filters.newBlockFilter()
  },
  eth_getFilterChanges: async (p, ctx) => {
    arity(p, 1)
    return ctx.filters.changes(filterId(p[0]))
  },
  eth_getFilterLogs: async (p, ctx) => {
    arity(p, 1)
    return ctx.filters.logs(filterId(p[0]))
  },
  eth_uninstallFilter: async (p, ctx) => {
    arity(p, 1)
    return ctx.filters.uninstall(filterId(p[0]))
  },
}
