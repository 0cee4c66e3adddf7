import { equalsBytes } from '@ethereumjs/util'
import { fingerprint } from '../fingerprint.ts'

/** What CheckTx(NEW) answered for a tx. */
export interface CheckTxOutcome {
  code: number
  codespace: string
  log: string
}

interface Waiter {
  raw: Uint8Array
  resolve: (outcome: CheckTxOutcome) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout
}

/** How long a submitter waits for CheckTx after CometBFT took the tx. */
export const CHECK_TX_WAIT_MS = 60_000

/**
 * CheckTx(NEW) answers for txs this node's JSON-RPC submitted. The app runs in the same process
 * as JSON-RPC, so a submitter learns CheckTx's verdict here, from the mempool connection, and
 * CometBFT only has to enqueue the tx (`broadcast_tx_async`): nothing waits for a CometBFT round
 * trip per tx. A waiter is registered before the tx is handed to CometBFT and settled by the
 * first CheckTx(NEW) of the same bytes (one per submission, oldest first).
 */
export class CheckTxOutcomes {
  private readonly waiters = new Map<string, Waiter[]>()

  /** Waits for the CheckTx(NEW) of `raw`; `cancel` withdraws (CometBFT refused the tx itself). */
  expect(raw: Uint8Array, waitMs = CHECK_TX_WAIT_MS): { outcome: Promise<CheckTxOutcome>; cancel: () => void } {
    const key = fingerprint(raw)
    let waiter!: Waiter
    const outcome = new Promise<CheckTxOutcome>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.remove(key, waiter)
        reject(new Error(`CometBFT took the tx but its CheckTx did not run within ${waitMs / 1000} s`))
      }, waitMs)
      timer.unref()
      waiter = { raw, resolve, reject, timer }
    })
    const list = this.waiters.get(key)
    if (list) list.push(waiter)
    else this.waiters.set(key, [waiter])
    return {
      outcome,
      cancel: () => {
        clearTimeout(waiter.timer)
        this.remove(key, waiter)
      },
    }
  }

  /** Called by CheckTx(NEW) with its answer; a tx nobody here submitted (a peer's) is ignored. */
  settle(raw: Uint8Array, outcome: CheckTxOutcome): void {
    const key = fingerprint(raw)
    const list = this.waiters.get(key)
    if (!list) return
    const waiter = list.find((w) => equalsBytes(w.raw, raw))
    if (!waiter) return
    clearTimeout(waiter.timer)
    this.remove(key, waiter)
    waiter.resolve(outcome)
  }

  get pending(): number {
    let n = 0
    for (const list of this.waiters.values()) n += list.length
    return n
  }

  private remove(key: string, waiter: Waiter): void {
    const list = this.waiters.get(key)
    if (!list) return
    const i = list.indexOf(waiter)
    if (i >= 0) list.splice(i, 1)
    if (list.length === 0) this.waiters.delete(key)
  }
}
