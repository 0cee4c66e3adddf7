import { randomBytes } from 'node:crypto'
import { bytesToHex } from '@ethereumjs/util'
import type { EvmKeeper } from '../modules/evm/keeper.ts'
import { refHeight } from './blocks.ts'
import { RESOURCE_NOT_FOUND, RpcError } from './errors.ts'
import type { RpcLog } from './format.ts'
import { blockLogs, type LogFilter, rangeLogs } from './logQuery.ts'

/** Filters not polled for this long are dropped, as geth does (its default is 5 minutes). */
export const FILTER_TIMEOUT_MS = 5 * 60_000

type Filter =
  | { kind: 'logs'; spec: LogFilter; lastHeight: bigint; touched: number }
  | { kind: 'blocks'; lastHeight: bigint; touched: number }

/**
 * Polling filters (eth_newFilter, eth_newBlockFilter, eth_getFilterChanges…). Each remembers the
 * last height it reported; changes are read from committed blocks, so nothing is buffered.
 */
export class FilterRegistry {
  private readonly filters = new Map<string, Filter>()
  private readonly sweeper: NodeJS.Timeout

  constructor(private readonly evm: EvmKeeper) {
    this.sweeper = setInterval(() => this.sweep(), 30_000)
    this.sweeper.unref()
  }

  newLogFilter(spec: LogFilter): string {
    return this.add({ kind: 'logs', spec, lastHeight: this.head(), touched: Date.now() })
  }

  newBlockFilter(): string {
    return this.add({ kind: 'blocks', lastHeight: this.head(), touched: Date.now() })
  }

  uninstall(id: string): boolean {
    return this.filters.delete(id)
  }

  /** What happened since the last poll: block hashes, or matching logs. */
  async changes(id: string): Promise<string[] | RpcLog[]> {
    const f = this.get(id)
    const head = this.head()
    const from = f.lastHeight + 1n
    f.lastHeight = head
    if (f.kind === 'blocks') {
      const hashes: string[] = []
      for (let h = from; h <= head; h++) {
        const b = await this.evm.blocks.blockByHeight(h)
        if (b) hashes.push(bytesToHex(b.hash))
      }
      return hashes
    }
    const spec = f.spec
    if ('blockHash' in spec) return []
    // Numeric bounds narrow the window; tags mean "whatever is new".
    const lower = 'number' in spec.from ? spec.from.number : 0n
    const upper = 'number' in spec.to ? spec.to.number : head
    return rangeLogs(this.evm, from > lower ? from : lower, upper < head ? upper : head, spec)
  }

  /** eth_getFilterLogs: every log the filter matches, from its whole range. */
  async logs(id: string): Promise<RpcLog[]> {
    const f = this.get(id)
    if (f.kind !== 'logs') throw new RpcError(RESOURCE_NOT_FOUND, `filter ${id} is a block filter, not a log filter`)
    const spec = f.spec
    if ('blockHash' in spec) {
      const block = await this.evm.blocks.blockByHash(spec.blockHash)
      return block ? blockLogs(this.evm, block, spec) : []
    }
    return rangeLogs(this.evm, refHeight(this.evm, spec.from), refHeight(this.evm, spec.to), spec)
  }

  close(): void {
    clearInterval(this.sweeper)
  }

  private get(id: string): Filter {
    const f = this.filters.get(id)
    if (!f) throw new RpcError(RESOURCE_NOT_FOUND, 'filter not found')
    f.touched = Date.now()
    return f
  }

  private add(f: Filter): string {
    const id = `0x${randomBytes(16).toString('hex')}`
    this.filters.set(id, f)
    return id
  }

  private head(): bigint {
    return this.evm.head()?.header.number ?? 0n
  }

  private sweep(): void {
    const cutoff = Date.now() - FILTER_TIMEOUT_MS
    for (const [id, f] of this.filters) if (f.touched < cutoff) this.filters.delete(id)
  }
}
