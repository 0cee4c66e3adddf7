import os from 'node:os'
import type { Worker } from 'node:worker_threads'
import { startWorker } from '../../workers/startWorker.ts'
import { ADDRESS_BYTES, ITEM_BYTES } from './senderRecoveryWire.ts'

interface Job {
  msgHash: Uint8Array
  sig: Uint8Array
  recovery: number
  resolve: (address: Uint8Array | undefined) => void
}

/**
 * Recovers tx senders (secp256k1 public-key recovery + keccak) on worker threads, so the main
 * thread — which also runs block execution — does not pay ~0.1 ms per tx. Requests made in the
 * same tick travel together to one worker; workers take turns.
 * @example const address = await pool.recover(msgHash, rs, recovery) // undefined if invalid
 */
export class SenderRecoveryPool {
  private readonly workers: Worker[]
  private readonly waiting = new Map<number, (reply: { addresses: Uint8Array; failed: Uint8Array }) => void>()
  private queue: Job[] = []
  private scheduled = false
  private nextId = 0
  private nextWorker = 0
  /** Signatures recovered so far (tests check that nothing is recovered twice). */
  recovered = 0

  constructor(size = Math.max(1, os.availableParallelism() - 1)) {
    this.workers = Array.from({ length: size }, () => {
      const w = startWorker(new URL('./senderRecoveryWorker.ts', import.meta.url))
      w.on('message', (m: { id: number; addresses: Uint8Array; failed: Uint8Array }) => {
        this.waiting.get(m.id)?.(m)
        this.waiting.delete(m.id)
        // An idle pool must not keep the process alive; a busy one must.
        if (this.waiting.size === 0) for (const x of this.workers) x.unref()
      })
      w.unref()
      return w
    })
  }

  /** Resolves with the 20-byte sender address, or undefined when the signature does not recover. */
  recover(msgHash: Uint8Array, sig: Uint8Array, recovery: number): Promise<Uint8Array | undefined> {
    return new Promise((resolve) => {
      this.queue.push({ msgHash, sig, recovery, resolve })
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => this.flush())
      }
    })
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()))
  }

  private flush(): void {
    this.scheduled = false
    const jobs = this.queue
    this.queue = []
    const items = new Uint8Array(jobs.length * ITEM_BYTES)
    jobs.forEach((j, i) => {
      items.set(j.msgHash, i * ITEM_BYTES)
      items.set(j.sig, i * ITEM_BYTES + 32)
      items[i * ITEM_BYTES + 96] = j.recovery
    })
    const id = this.nextId++
    this.waiting.set(id, ({ addresses, failed }) => {
      this.recovered += jobs.length
      jobs.forEach((j, i) => {
        j.resolve(failed[i] ? undefined : addresses.slice(i * ADDRESS_BYTES, (i + 1) * ADDRESS_BYTES))
      })
    })
    const worker = this.workers[this.nextWorker++ % this.workers.length]
    if (!worker) throw new Error('SenderRecoveryPool has no workers (its size must be at least 1)')
    worker.ref()
    worker.postMessage({ id, items }, [items.buffer])
  }
}
