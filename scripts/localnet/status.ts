/**
 * A validator's health as CometBFT's RPC `/status` reports it. Works from any process (the
 * `status` command reads a localnet that another terminal started), so it relies only on
 * the RPC port, never on process handles.
 */
import { get } from 'node:http'

export interface NodeStatus {
  node: number
  /** latest_block_height; 0n when the node is down. */
  height: bigint
  /** latest_app_hash, upper-case hex as CometBFT prints it ('' when down). */
  appHash: string
  catchingUp: boolean
  /** Why the node could not be queried ("down"); absent when it answered. */
  error?: string
}

/** The fields of CometBFT's /status result the localnet reads. */
interface CometStatusResult {
  sync_info: { latest_block_height: string; latest_app_hash: string; catching_up: boolean }
}

/**
 * GETs a CometBFT RPC path and returns its JSON-RPC `result`.
 * A fresh connection per call (agent: false): pooled keep-alive sockets would outlive a killed
 * node and report a healthy restarted one as broken, and would keep a test process alive.
 */
export function cometRpcGet<T>(rpcUrl: string, path: string, timeoutMs = 2_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const req = get(new URL(path, rpcUrl), { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { result?: T; error?: { message?: string; data?: string } }
          if (body.error) return reject(new Error(`${path}: ${body.error.message ?? ''} ${body.error.data ?? ''}`.trim()))
          if (res.statusCode !== 200 || body.result === undefined) return reject(new Error(`${path}: HTTP ${res.statusCode}`))
          resolve(body.result)
        } catch (err) {
          reject(new Error(`${path}: unreadable response (${(err as Error).message})`))
        }
      })
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`${path}: no answer within ${timeoutMs} ms`)))
    req.on('error', reject)
  })
}

/** Queries one validator; never throws: a node that does not answer is reported with `error`. */
export async function fetchNodeStatus(node: number, rpcUrl: string, timeoutMs = 2_000): Promise<NodeStatus> {
  try {
    const r = await cometRpcGet<CometStatusResult>(rpcUrl, '/status', timeoutMs)
    return {
      node,
      height: BigInt(r.sync_info.latest_block_height),
      appHash: r.sync_info.latest_app_hash,
      catchingUp: r.sync_info.catching_up,
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    return { node, height: 0n, appHash: '', catchingUp: false, error: e.code === 'ECONNREFUSED' ? 'connection refused' : e.message }
  }
}

/**
 * One line for the `status` command.
 * @example formatStatusLine({ node: 0, height: 12n, appHash: 'AB12…', catchingUp: false }) // 'node0  height 12  app_hash AB12…  synced'
 */
export function formatStatusLine(s: NodeStatus): string {
  if (s.error !== undefined) return `node${s.node}  down (${s.error})`
  return `node${s.node}  height ${s.height}  app_hash ${s.appHash || '(empty)'}  ${s.catchingUp ? 'catching up' : 'synced'}`
}

/**
 * The compact "live" line the CLI prints every few seconds.
 * @example formatHeightsLine([...]) // 'node0 12 | node1 12 | node2 down'
 */
export function formatHeightsLine(statuses: NodeStatus[]): string {
  return statuses
    .map((s) => `node${s.node} ${s.error !== undefined ? 'down' : `${s.height}${s.catchingUp ? ' (catching up)' : ''}`}`)
    .join(' | ')
}
