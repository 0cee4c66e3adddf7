import http from 'node:http'

/**
 * The slice of CometBFT's RPC that JSON-RPC needs: broadcasting a tx (which runs CheckTx) and
 * the node's sync status.
 */
export interface BroadcastResult {
  code: number
  codespace: string
  log: string
  /** CometBFT's tx hash (sha256 of the bytes), hex upper-case. */
  hash: string
}

/**
 * Most requests CometBFT takes in one JSON-RPC batch: its default `rpc.max_request_batch_size`.
 * It handles a batch's entries one after another, in order.
 */
export const COMET_MAX_BATCH = 10

interface Pending {
  tx: Uint8Array
  resolve: (r: BroadcastResult) => void
  reject: (e: Error) => void
}

type RpcReply<T> = { id?: number; result?: T; error?: { code: number; message: string; data?: string } }

export class CometClient {
  private nextId = 1
  private queue: Pending[] = []
  private flushScheduled = false
  /** broadcast_tx_async calls not sent yet, in call order; one batch of them is in flight at a time. */
  private ordered: Pending[] = []
  private orderedInFlight = false
  private orderedScheduled = false

  private readonly endpoint: URL
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 32 })

  constructor(private readonly url: string) {
    this.endpoint = new URL(url)
  }

  /**
   * `broadcast_tx_sync`: resolves once CheckTx answered. Calls made in the same tick travel in
   * one JSON-RPC batch (an HTTP request per tx costs more CPU than CheckTx itself), in call order.
   */
  broadcastTxSync(tx: Uint8Array): Promise<BroadcastResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ tx, resolve, reject })
      if (this.queue.length >= COMET_MAX_BATCH) this.flush()
      else if (!this.flushScheduled) {
        this.flushScheduled = true
        setImmediate(() => this.flush())
      }
    })
  }

  /**
   * `broadcast_tx_async`: resolves once CometBFT took the tx into its mempool pipeline (its own
   * refusals — already in the cache, mempool full, too large — reject); CheckTx's answer comes
   * later, in-process (abci/checkTxOutcomes.ts). The txs reach CheckTx in call order: CometBFT
   * handles a batch's entries in order and only enqueues each, and one batch is in flight at a
   * time, so call order is never lost to two HTTP requests racing.
   */
  broadcastTxAsync(tx: Uint8Array): Promise<BroadcastResult> {
    return new Promise((resolve, reject) => {
      this.ordered.push({ tx, resolve, reject })
      this.scheduleOrdered()
    })
  }

  private scheduleOrdered(): void {
    if (this.orderedInFlight || this.orderedScheduled || this.ordered.length === 0) return
    this.orderedScheduled = true
    // Wait a turn so calls made together travel together.
    setImmediate(() => {
      this.orderedScheduled = false
      if (this.orderedInFlight || this.ordered.length === 0) return
      this.orderedInFlight = true
      const batch = this.ordered.splice(0, COMET_MAX_BATCH)
      void this.sendBatch('broadcast_tx_async', batch).finally(() => {
        this.orderedInFlight = false
        this.scheduleOrdered()
      })
    })
  }

  async status(): Promise<{ latestHeight: bigint; catchingUp: boolean }> {
    const r = await this.call<{ sync_info: { latest_block_height: string; catching_up: boolean } }>('status', {})
    return { latestHeight: BigInt(r.sync_info.latest_block_height), catchingUp: r.sync_info.catching_up }
  }

  async peerCount(): Promise<number> {
    const r = await this.call<{ n_peers: string }>('net_info', {})
    return Number(r.n_peers)
  }

  private flush(): void {
    this.flushScheduled = false
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, COMET_MAX_BATCH)
      void this.sendBatch('broadcast_tx_sync', batch)
    }
  }

  private async sendBatch(method: 'broadcast_tx_sync' | 'broadcast_tx_async', batch: Pending[]): Promise<void> {
    const firstId = this.nextId
    this.nextId += batch.length
    const body = batch.map((p, i) => ({
      jsonrpc: '2.0',
      id: firstId + i,
      method,
      params: { tx: Buffer.from(p.tx).toString('base64') },
    }))
    let replies: RpcReply<{ code?: number; codespace?: string; log?: string; hash: string }>[]
    try {
      const reply = (await this.post(body)) as RpcReply<never> | RpcReply<never>[]
      // CometBFT answers a one-entry batch with a bare object, and a refused batch with one error.
      if (Array.isArray(reply)) replies = reply
      else if (reply.id !== undefined && batch.length === 1) replies = [reply]
      else throw new CometRpcError(`CometBFT refused the batch: ${reply.error?.data ?? JSON.stringify(reply).slice(0, 200)}`)
    } catch (err) {
      for (const p of batch) p.reject(err as Error)
      return
    }
    const byId = new Map(replies.map((r) => [r.id, r]))
    batch.forEach((p, i) => {
      const r = byId.get(firstId + i)
      if (!r) p.reject(new CometRpcError('CometBFT sent no answer for this tx'))
      else if (r.error) p.reject(new CometRpcError(r.error.data || r.error.message))
      else p.resolve({ code: r.result!.code ?? 0, codespace: r.result!.codespace ?? '', log: r.result!.log ?? '', hash: r.result!.hash })
    })
  }

  private async call<T>(method: string, params: Record<string, unknown>): Promise<T> {
    const reply = (await this.post({ jsonrpc: '2.0', id: this.nextId++, method, params })) as RpcReply<T>
    if (reply.error) throw new CometRpcError(reply.error.data || reply.error.message)
    return reply.result as T
  }

  /** One JSON POST over a keep-alive connection (node:http costs a fraction of fetch per call). */
  private post(body: unknown): Promise<never> {
    const payload = JSON.stringify(body)
    return new Promise((resolve, reject) => {
      const req = http.request(
        this.endpoint,
        {
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as never)
            } catch {
              reject(new CometRpcError(`CometBFT answered HTTP ${res.statusCode} with a body that is not JSON`))
            }
          })
          res.on('error', reject)
        },
      )
      req.on('error', (err) => reject(new CometUnavailableError(`CometBFT RPC at ${this.url} is unreachable: ${err.message}`)))
      req.end(payload)
    })
  }
}

export class CometUnavailableError extends Error {}
/** CometBFT refused the call (e.g. "tx already exists in cache", "mempool is full"). */
export class CometRpcError extends Error {}
