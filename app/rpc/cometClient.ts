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

export class CometClient {
  private nextId = 1

  constructor(private readonly url: string) {}

  /** `broadcast_tx_sync`: returns once CheckTx answered. Throws on transport or CometBFT errors. */
  async broadcastTxSync(tx: Uint8Array): Promise<BroadcastResult> {
    const result = await this.call<{ code: number; codespace?: string; log?: string; hash: string }>('broadcast_tx_sync', {
      tx: Buffer.from(tx).toString('base64'),
    })
    return { code: result.code, codespace: result.codespace ?? '', log: result.log ?? '', hash: result.hash }
  }

  async status(): Promise<{ latestHeight: bigint; catchingUp: boolean }> {
    const r = await this.call<{ sync_info: { latest_block_height: string; catching_up: boolean } }>('status', {})
    return { latestHeight: BigInt(r.sync_info.latest_block_height), catchingUp: r.sync_info.catching_up }
  }

  async peerCount(): Promise<number> {
    const r = await this.call<{ n_peers: string }>('net_info', {})
    return Number(r.n_peers)
  }

  private async call<T>(method: string, params: Record<string, unknown>): Promise<T> {
    let res: Response
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params }),
      })
    } catch (err) {
      throw new CometUnavailableError(`CometBFT RPC at ${this.url} is unreachable: ${(err as Error).message}`)
    }
    const body = (await res.json()) as { result?: T; error?: { code: number; message: string; data?: string } }
    if (body.error) throw new CometRpcError(body.error.data || body.error.message)
    return body.result as T
  }
}

export class CometUnavailableError extends Error {}
/** CometBFT refused the call (e.g. "tx already exists in cache", "mempool is full"). */
export class CometRpcError extends Error {}
