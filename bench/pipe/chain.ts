/**
 * What the PIPE benchmark needs from a running localnet: JSON-RPC batches, the node's
 * `pipe_stats`, and a watcher that timestamps every committed block as its newHeads
 * notification arrives (WebSocket) and snapshots `pipe_stats` right after it, so each block's
 * ABCI phase times can be told apart.
 */

import type { Hex } from 'viem'
import WebSocket from 'ws'
import type { ExecutorStats } from '../../app/executor/index.ts'
import type { PhaseStats } from '../../app/metrics.ts'

export interface NodeStats {
  phases: Record<string, PhaseStats>
  mempool: { queued: number }
  inference: Record<string, number>
  executor: ExecutorStats
  height: string
}

export interface RpcReply {
  result?: unknown
  error?: { code: number; message: string; data?: unknown }
}

/** One JSON-RPC batch; replies in request order. */
export async function rpcBatch(url: string, calls: [method: string, params: unknown[]][]): Promise<RpcReply[]> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(calls.map(([method, params], id) => ({ jsonrpc: '2.0', id, method, params }))),
  })
  const body = (await res.json()) as (RpcReply & { id: number })[]
  if (!Array.isArray(body)) throw new Error(`batch refused: ${JSON.stringify(body).slice(0, 300)}`)
  const out: RpcReply[] = []
  for (const r of body) out[r.id] = r
  return out
}

export async function rpc<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const [r] = await rpcBatch(url, [[method, params]])
  if (r!.error) throw new Error(`${method}: ${r!.error.message}`)
  return r!.result as T
}

export const nodeStats = (url: string): Promise<NodeStats> => rpc<NodeStats>(url, 'pipe_stats')

export interface SeenBlock {
  height: number
  /** performance.now() when the newHeads notification arrived. */
  seenAt: number
  txs: Hex[]
  /** pipe_stats fetched right after the notification (before the next block's PrepareProposal, normally). */
  stats: NodeStats
}

/**
 * Subscribes to newHeads; for each head fetches the block's tx hashes and pipe_stats in one
 * batch. Heads are handled in order; a height missed by the subscription is fetched too (its
 * seenAt is then the next notification's).
 */
export class BlockWatcher {
  readonly blocks = new Map<number, SeenBlock>()
  /** tx hash → height that included it. */
  readonly included = new Map<string, number>()
  private ws: WebSocket | undefined
  private tail: Promise<void> = Promise.resolve()
  private lastHeight = 0
  private listeners: (() => void)[] = []

  constructor(
    private readonly httpUrl: string,
    private readonly wsUrl: string,
  ) {}

  async start(): Promise<void> {
    this.lastHeight = Number(BigInt(await rpc<string>(this.httpUrl, 'eth_blockNumber')))
    const ws = new WebSocket(this.wsUrl)
    this.ws = ws
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    ws.on('message', (raw) => {
      const seenAt = performance.now()
      const msg = JSON.parse(raw.toString()) as { method?: string; params?: { result: { number: Hex } } }
      if (msg.method !== 'eth_subscription' || !msg.params?.result?.number) return
      const height = Number(BigInt(msg.params.result.number))
      this.tail = this.tail
        .then(() => this.onHead(height, seenAt))
        .catch((err) => {
          process.stderr.write(`block watcher: ${err}\n`)
        })
    })
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }))
  }

  private async onHead(height: number, seenAt: number): Promise<void> {
    for (let h = this.lastHeight + 1; h <= height; h++) {
      const [block, stats] = await rpcBatch(this.httpUrl, [
        ['eth_getBlockByNumber', [`0x${h.toString(16)}`, false]],
        ['pipe_stats', []],
      ])
      const txs = ((block!.result as { transactions: Hex[] } | null)?.transactions ?? []) as Hex[]
      this.blocks.set(h, { height: h, seenAt, txs, stats: stats!.result as NodeStats })
      for (const t of txs) this.included.set(t, h)
    }
    this.lastHeight = Math.max(this.lastHeight, height)
    for (const l of this.listeners.splice(0)) l()
  }

  get height(): number {
    return this.lastHeight
  }

  /** Resolves at the next handled head (or after `ms`). */
  next(ms = 5_000): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms)
      this.listeners.push(() => {
        clearTimeout(t)
        resolve()
      })
    })
  }

  async stop(): Promise<void> {
    this.ws?.close()
    await this.tail
  }
}

/** Polls pipe_stats every `intervalMs` (the executor's progress over time). */
export class StatsPoller {
  readonly samples: { t: number; stats: NodeStats }[] = []
  private running = false
  private loop: Promise<void> = Promise.resolve()

  constructor(
    private readonly url: string,
    private readonly intervalMs = 100,
  ) {}

  start(): void {
    this.running = true
    this.loop = (async () => {
      while (this.running) {
        const t0 = performance.now()
        try {
          const stats = await nodeStats(this.url)
          this.samples.push({ t: (t0 + performance.now()) / 2, stats })
        } catch {
          // a busy node may time out a poll; the next one is taken anyway
        }
        await new Promise((r) => setTimeout(r, Math.max(0, this.intervalMs - (performance.now() - t0))))
      }
    })()
  }

  async stop(): Promise<void> {
    this.running = false
    await this.loop
  }
}
