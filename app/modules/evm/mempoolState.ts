import type { EthTx } from './ethTx.ts'
import { maxCost, type PendingSpend } from './ante.ts'
import { ErrSenderQueueFull } from './errors.ts'
import { MAX_PENDING_PER_SENDER } from './params.ts'

interface SenderQueue extends PendingSpend {
  count: number
}

/**
 * What this node's mempool holds beyond committed state (the Cosmos SDK's "check state"): per
 * sender the next nonce and the funds reserved by queued txs, and the queued txs by hash for
 * eth_getTransactionByHash and `pending` queries. Reset at every Commit; CometBFT then rechecks
 * the remaining txs in order (RECHECK), which rebuilds it against the new state.
 */
export class MempoolState {
  private senders = new Map<string, SenderQueue>()
  private txs = new Map<string, EthTx>()

  /** The sender's queue, starting from its committed nonce when nothing is queued. */
  pendingFor(sender: string, committedNonce: bigint): PendingSpend {
    const q = this.senders.get(sender)
    return q ?? { nextNonce: committedNonce, reserved: 0n }
  }

  /** Records an accepted tx. Call only after validation passed. */
  admit(eth: EthTx, committedNonce: bigint): void {
    const key = eth.sender.toString()
    const q = this.senders.get(key) ?? { nextNonce: committedNonce, reserved: 0n, count: 0 }
    if (q.count >= MAX_PENDING_PER_SENDER) {
      throw ErrSenderQueueFull.with(`${q.count} txs of ${key} are already waiting (limit ${MAX_PENDING_PER_SENDER})`)
    }
    q.nextNonce = eth.tx.nonce + 1n
    q.reserved += maxCost(eth)
    q.count++
    this.senders.set(key, q)
    this.txs.set(eth.hashHex, eth)
  }

  /** Next nonce for `eth_getTransactionCount(addr, 'pending')`, if the sender has queued txs. */
  nextNonce(sender: string): bigint | undefined {
    return this.senders.get(sender)?.nextNonce
  }

  pendingTx(hashHex: string): EthTx | undefined {
    return this.txs.get(hashHex)
  }

  get size(): number {
    return this.txs.size
  }

  /** Called at Commit: the block changed nonces and balances, RECHECK rebuilds the queues. */
  reset(): void {
    this.senders = new Map()
    this.txs = new Map()
  }
}
