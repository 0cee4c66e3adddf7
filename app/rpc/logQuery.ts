import { equalsBytes } from '@ethereumjs/util'
import { Bloom } from '@ethereumjs/vm'
import type { StoredBlock, StoredLog } from '../modules/evm/blockStore.ts'
import type { EvmKeeper } from '../modules/evm/keeper.ts'
import { invalidParams, LIMIT_EXCEEDED, RpcError } from './errors.ts'
import { type RpcLog, txLogs } from './format.ts'
import { address, type BlockRef, blockRef, hash32 } from './params.ts'

/** What a log filter matches: addresses (any of), and per topic position any of a set (null = any). */
export interface LogCriteria {
  addresses: Uint8Array[]
  topics: (Uint8Array[] | null)[]
}

/** An eth_getLogs / eth_newFilter filter object, parsed. */
export type LogFilter = LogCriteria & ({ blockHash: Uint8Array } | { from: BlockRef; to: BlockRef })

/** Most blocks one eth_getLogs may scan, and most logs it may return (as Infura and Alchemy cap). */
export const MAX_LOG_BLOCK_RANGE = 10_000n
export const MAX_LOGS = 10_000

export function parseLogFilter(v: unknown, name: string): LogFilter {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidParams(`${name}: expected a filter object`)
  const o = v as Record<string, unknown>
  const addresses =
    o.address === undefined || o.address === null
      ? []
      : Array.isArray(o.address)
        ? o.address.map((a, i) => address(a, `${name}.address[${i}]`).bytes)
        : [address(o.address, `${name}.address`).bytes]
  if (o.topics !== undefined && o.topics !== null && !Array.isArray(o.topics)) throw invalidParams(`${name}.topics: expected an array`)
  const topics = ((o.topics as unknown[] | undefined) ?? []).map((t, i) => {
    if (t === null) return null
    if (Array.isArray(t)) return t.length === 0 ? null : t.map((x, j) => hash32(x, `${name}.topics[${i}][${j}]`))
    return [hash32(t, `${name}.topics[${i}]`)]
  })
  if (topics.length > 4) throw invalidParams(`${name}.topics: at most 4 topic positions`)
  if (o.blockHash !== undefined && o.blockHash !== null) {
    if (o.fromBlock !== undefined || o.toBlock !== undefined)
      throw invalidParams(`${name}: blockHash cannot be combined with fromBlock/toBlock`)
    return { addresses, topics, blockHash: hash32(o.blockHash, `${name}.blockHash`) }
  }
  return { addresses, topics, from: blockRef(o.fromBlock, `${name}.fromBlock`), to: blockRef(o.toBlock, `${name}.toBlock`) }
}

export function logMatches(log: StoredLog, c: LogCriteria): boolean {
  if (c.addresses.length > 0 && !c.addresses.some((a) => equalsBytes(a, log.address))) return false
  for (let i = 0; i < c.topics.length; i++) {
    const wanted = c.topics[i]!
    if (wanted === null) continue
    const topic = log.topics[i]
    if (topic === undefined || !wanted.some((w) => equalsBytes(w, topic))) return false
  }
  return true
}

/** Cheap pre-check on a block's bloom before reading its receipts. */
function bloomMayMatch(block: StoredBlock, c: LogCriteria): boolean {
  if (block.txHashes.length === 0) return false
  const bloom = new Bloom(block.header.logsBloom)
  if (c.addresses.length > 0 && !c.addresses.some((a) => bloom.check(a))) return false
  return c.topics.every((t) => t === null || t.some((x) => bloom.check(x)))
}

/** Matching logs of one block, in log order. */
export async function blockLogs(evm: EvmKeeper, block: StoredBlock, c: LogCriteria): Promise<RpcLog[]> {
  if (!bloomMayMatch(block, c)) return []
  const out: RpcLog[] = []
  for (const tx of await evm.blocks.blockTxs(block)) {
    if (!tx.receipt.logs.some((l) => logMatches(l, c))) continue
    const formatted = txLogs(tx, block)
    tx.receipt.logs.forEach((l, i) => {
      if (logMatches(l, c)) out.push(formatted[i]!)
    })
  }
  return out
}

/** Logs of blocks `from..to` (inclusive, clamped to the head) that match. */
export async function rangeLogs(evm: EvmKeeper, from: bigint, to: bigint, c: LogCriteria): Promise<RpcLog[]> {
  const head = evm.head()?.header.number ?? 0n
  const end = to > head ? head : to
  if (from > end) return []
  if (end - from + 1n > MAX_LOG_BLOCK_RANGE) {
    throw new RpcError(LIMIT_EXCEEDED, `block range ${from}..${end} is more than ${MAX_LOG_BLOCK_RANGE} blocks; query a smaller range`)
  }
  const out: RpcLog[] = []
  for (let h = from; h <= end; h++) {
    const block = await evm.blocks.blockByHeight(h)
    if (!block) continue
    out.push(...(await blockLogs(evm, block, c)))
    if (out.length > MAX_LOGS) throw new RpcError(LIMIT_EXCEEDED, `query returned more than ${MAX_LOGS} results; query a smaller range`)
  }
  return out
}
