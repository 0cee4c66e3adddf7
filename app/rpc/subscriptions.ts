import { randomBytes } from 'node:crypto'
import type { WebSocket } from 'ws'
import type { CommittedBlockEvent } from '../pipeApp.ts'
import { invalidParams } from './errors.ts'
import { formatHeader, txLogs } from './format.ts'
import { type LogCriteria, logMatches, parseLogFilter } from './logQuery.ts'

type Subscription = { kind: 'newHeads'; socket: WebSocket } | { kind: 'logs'; socket: WebSocket; criteria: LogCriteria }

/**
 * eth_subscribe over WebSocket (newHeads, logs). Every committed block is pushed to the
 * matching subscriptions as `eth_subscription` notifications.
 */
export class SubscriptionHub {
  private readonly subs = new Map<string, Subscription>()

  subscribe(socket: WebSocket, params: unknown[]): string {
    const kind = params[0]
    let sub: Subscription
    if (kind === 'newHeads') sub = { kind, socket }
    else if (kind === 'logs') {
      const filter = params[1] === undefined ? {} : params[1]
      const parsed = parseLogFilter(filter, 'filter')
      if ('blockHash' in parsed) throw invalidParams('filter: blockHash is not allowed in a logs subscription')
      sub = { kind, socket, criteria: parsed }
    } else {
      throw invalidParams(`subscription: unsupported type ${JSON.stringify(kind)}; supported: newHeads, logs`)
    }
    const id = `0x${randomBytes(16).toString('hex')}`
    this.subs.set(id, sub)
    return id
  }

  unsubscribe(socket: WebSocket, id: unknown): boolean {
    if (typeof id !== 'string') throw invalidParams('subscriptionId: expected a string')
    const sub = this.subs.get(id)
    if (!sub || sub.socket !== socket) return false
    return this.subs.delete(id)
  }

  /** Drops every subscription of a closed socket. */
  closed(socket: WebSocket): void {
    for (const [id, s] of this.subs) if (s.socket === socket) this.subs.delete(id)
  }

  publish({ block, txs }: CommittedBlockEvent): void {
    if (this.subs.size === 0) return
    let header: Record<string, unknown> | undefined
    for (const [id, sub] of this.subs) {
      if (sub.kind === 'newHeads') {
        header ??= formatHeader(block)
        send(sub.socket, id, header)
        continue
      }
      for (const tx of txs) {
        if (!tx.receipt.logs.some((l) => logMatches(l, sub.criteria))) continue
        const formatted = txLogs(tx, block)
        tx.receipt.logs.forEach((l, i) => {
          if (logMatches(l, sub.criteria)) send(sub.socket, id, formatted[i])
        })
      }
    }
  }
}

function send(socket: WebSocket, subscription: string, result: unknown): void {
  if (socket.readyState !== socket.OPEN) return
  socket.send(JSON.stringify({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription, result } }))
}
