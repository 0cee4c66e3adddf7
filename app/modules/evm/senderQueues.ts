import type { Address } from '@ethereumjs/util'
import { maxCost, type PendingSpend } from './ante.ts'
import { ErrSenderQueueFull } from './errors.ts'
import type { EthTx } from './ethTx.ts'
import { MAX_PENDING_PER_SENDER } from './params.ts'

/** One sender's queued txs: their nonces, the next contiguous nonce, the funds they reserve. */
class SenderQueue implements PendingSpend {
  readonly nonces = new Set<bigint>()
  reserved = 0n
  nextNonce: bigint

  constructor(committedNonce: bigint) {
    this.nextNonce = committedNonce
  }

  has(nonce: bigint): boolean {
    return this.nonces.has(nonce)
  }

  add(nonce: bigint, cost: bigint): void {
    this.nonces.add(nonce)
    this.reserved += cost
    while (this.nonces.has(this.nextNonce)) this.nextNonce++
  }
}

/**
 * What this node's mempool holds beyond committed state (the Cosmos SDK's "check state"): per
 * sender the queued nonces, the next contiguous one and the funds reserved by queued txs, and
 * the queued txs by hash for eth_getTransactionByHash. Reset at every Commit; CometBFT then
 * rechecks the remaining txs in order (RECHECK), which rebuilds it against the new state.
 */
export class SenderQueues {
  private senders = new Map<string, SenderQueue>()
  private txs = new Map<string, EthTx>()

  /** The sender's queue, starting from its committed nonce when nothing is queued. */
  pendingFor(sender: string, committedNonce: bigint): PendingSpend {
    return this.senders.get(sender) ?? new SenderQueue(committedNonce)
  }

  /** Records an accepted Ethereum tx. Call only after validation passed. */
  admit(eth: EthTx, committedNonce: bigint): void {
    this.reserve(eth.sender, eth.nonce, maxCost(eth), committedNonce)
    this.txs.set(eth.hashHex, eth)
  }

  /**
   * Records an accepted tx of any kind by what it takes from its sender: its nonce (a Cosmos
   * tx's sequence is the same counter) and the most it can spend.
   */
  reserve(sender: Address, nonce: bigint, cost: bigint, committedNonce: bigint): void {
    const key = sender.toString()
    const q = this.senders.get(key) ?? new SenderQueue(committedNonce)
    if (q.nonces.size >= MAX_PENDING_PER_SENDER) {
      throw ErrSenderQueueFull.with(`${q.nonces.size} txs of ${key} are already waiting (limit ${MAX_PENDING_PER_SENDER})`)
    }
    q.add(nonce, cost)
    this.senders.set(key, q)
  }

  /** Next contiguous nonce for `eth_getTransactionCount(addr, 'pending')`, if the sender has queued txs. */
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
