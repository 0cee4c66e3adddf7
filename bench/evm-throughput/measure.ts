/**
 * One measured row of bench/evm-throughput: submits pre-signed txs to a running 1-validator
 * localnet as fast as it takes them, and measures what a client sees and where the node's time went.
 *
 * - Submission: JSON-RPC batches of `batch` eth_sendRawTransaction over `connections` keep-alive
 *   HTTP connections (node:http Agent, maxSockets = connections), each connection taking the next
 *   batch in signing order as soon as its previous one is answered; or, with `submit: 'comet'`,
 *   CometBFT broadcast_tx_sync batches of 10 (its max_request_batch_size) over 16 connections. At
 *   most `window` txs are submitted and not yet committed (the node holds 4,096 per sender and
 *   10,000 in all), so one sender's run is not refused for a full queue. A refused tx is sent
 *   again at the next block (its latency still counts from its first submission).
 * - Inclusion: a newHeads subscription (bench/pipe/chain.ts BlockWatcher) timestamps every block
 *   as its notification arrives and lists its tx hashes; Cosmos txs are found in CometBFT's block
 *   data (sha256 of each tx).
 * - committed tx/s: committed txs / (first submission → the newHeads of the block holding the
 *   last tx). Latency of a tx: its batch was sent → the newHeads of its block (the receipt is
 *   readable from then on), over every committed tx.
 * - Phases: the node's pipe_stats (wall ms per ABCI phase, all on its main thread) right before
 *   the first submission, differenced with the snapshot taken right after the last block's newHeads.
 */
import { createHash } from 'node:crypto'
import http from 'node:http'
import { type Hex, keccak256 } from 'viem'
import { otherLoad, quietMachine } from '../machine.ts'
import { type BlockWatcher, type NodeStats, nodeStats, rpc } from '../pipe/chain.ts'

export const PHASES = ['checkTx', 'recheckTx', 'prepareProposal', 'processProposal', 'finalizeBlock', 'commit'] as const
export type PhaseName = (typeof PHASES)[number]

export interface Summary {
  n: number
  p50: number
  p99: number
  mean: number
  max: number
}

/** Nearest-rank percentiles. */
export function summarize(xs: readonly number[]): Summary {
  if (xs.length === 0) return { n: 0, p50: NaN, p99: NaN, mean: NaN, max: NaN }
  const s = [...xs].sort((a, b) => a - b)
  const pct = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!
  return { n: s.length, p50: pct(0.5), p99: pct(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length, max: s.at(-1)! }
}

export interface SubmitOptions {
  submit: 'rpc' | 'comet'
  batch: number
  connections: number
  window: number
  quietWaitMs: number
  log: (s: string) => void
}

/** What a row sends: pre-signed txs, found in blocks by their Ethereum hash or (Cosmos txs) CometBFT's sha256. */
export interface Prepared {
  raws: Hex[]
  kind: 'eth' | 'cosmos'
  /** Gas limit of each tx (Ethereum txs). */
  gasLimit?: bigint
}

export interface Measured {
  txs: number
  committed: number
  /** Committed with status 1 (Ethereum) / code 0 (Cosmos). */
  succeeded: number
  /** Refusals by message (each tx counted once per refusal); `resent` txs sent more than once. */
  refused: Record<string, number>
  resent: number
  missing: number
  seconds: number
  submitSeconds: number
  txPerSec: number
  /** ms, submit → newHeads of the tx's block. */
  latency: Summary
  blocksWithTxs: number
  largestBlock: number
  /** Mean ms between the newHeads of consecutive blocks from the first to the last block with txs. */
  blockIntervalMs: number
  meanGasUsed: number
  phases: Record<PhaseName, { count: number; totalMs: number }>
  /** Inference-mempool simulations run during the row (pipe_stats), all and those a commit started. */
  simulations: { all: number; afterCommit: number }
  /** Cores other processes (not this benchmark or its chain) kept busy during the row. */
  otherCores: number
  machineBusyBefore: number | undefined
}

// ---------------------------------------------------------------- HTTP with a fixed number of connections

function postJson(agent: http.Agent, url: string, body: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')))
        } catch (err) {
          reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString('utf8').slice(0, 300)} (${err})`))
        }
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** Sends one batch; answers the refusal message of each tx (undefined = accepted). */
async function sendBatch(agent: http.Agent, url: string, raws: Hex[], submit: 'rpc' | 'comet'): Promise<(string | undefined)[]> {
  const calls = raws.map((r, id) =>
    submit === 'rpc'
      ? { jsonrpc: '2.0', id, method: 'eth_sendRawTransaction', params: [r] }
      : { jsonrpc: '2.0', id, method: 'broadcast_tx_sync', params: { tx: Buffer.from(r.slice(2), 'hex').toString('base64') } },
  )
  const body = await postJson(agent, url, JSON.stringify(calls))
  if (!Array.isArray(body)) throw new Error(`batch refused: ${JSON.stringify(body).slice(0, 300)}`)
  const out: (string | undefined)[] = raws.map(() => 'no reply')
  for (const r of body as { id: number; result?: { code?: number; log?: string }; error?: { message: string; data?: string } }[]) {
    if (r.error) out[r.id] = r.error.data ?? r.error.message
    else if (submit === 'comet' && r.result?.code) out[r.id] = r.result.log ?? `code ${r.result.code}`
    else out[r.id] = undefined
  }
  return out
}

/** A refusal that means the tx is already held (a resend of an accepted tx): counts as accepted. */
const alreadyHeld = (msg: string) => /already known|already in cache|tx already exists/i.test(msg)
/** A refusal message without hashes, addresses and numbers, to count alike refusals together. */
const refusalKind = (msg: string) =>
  msg
    .replace(/0x[0-9a-f]+/gi, '0x…')
    .replace(/\d+/g, 'N')
    .slice(0, 140)

export function goDurationMs(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(s)
  if (!m) throw new Error(`--block-time: ${s} is not like 1s or 500ms`)
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1)
}

const cosmosHash = (raw: Hex | string, encoding: 'hex' | 'base64') =>
  createHash('sha256')
    .update(Buffer.from(encoding === 'hex' ? raw.slice(2) : raw, encoding))
    .digest('hex')

// ---------------------------------------------------------------- one row

export async function measureRow(
  urls: { rpc: string; comet: string },
  watcher: BlockWatcher,
  prepared: Prepared,
  o: SubmitOptions,
): Promise<Measured> {
  const { raws, kind } = prepared
  const submit = kind === 'cosmos' ? 'comet' : o.submit
  const n = raws.length
  const hashes = raws.map((r) => (kind === 'eth' ? keccak256(r).toLowerCase() : cosmosHash(r, 'hex')))
  const index = new Map(hashes.map((h, i) => [h, i]))
  const heightOf = new Int32Array(n) // 0 = not yet included
  let includedCount = 0
  let scanned = watcher.height
  /** Marks our txs in blocks up to the watcher's height (one scan at a time). */
  let scanning: Promise<void> | undefined
  const scan = (): Promise<void> => {
    scanning ??= scanBlocks().finally(() => {
      scanning = undefined
    })
    return scanning
  }
  const scanBlocks = async () => {
    for (; scanned < watcher.height; ) {
      const h = scanned + 1
      let txs: string[]
      if (kind === 'eth') txs = watcher.blocks.get(h)?.txs ?? []
      else {
        const res = (await (await fetch(`${urls.comet}/block?height=${h}`)).json()) as {
          result: { block: { data: { txs: string[] | null } } }
        }
        txs = (res.result.block.data.txs ?? []).map((t) => cosmosHash(t, 'base64'))
      }
      for (const t of txs) {
        const i = index.get(t.toLowerCase())
        if (i !== undefined && heightOf[i] === 0) {
          heightOf[i] = h
          includedCount++
        }
      }
      scanned = h
    }
  }

  // Settle: whatever the setup sent is committed; wait for a quiet machine.
  await watcher.next()
  const machineBusyBefore = await quietMachine(o.log, o.quietWaitMs)
  await scan()
  const startHeight = watcher.height
  scanned = startHeight
  const before = await nodeStats(urls.rpc)
  const load = otherLoad()

  const connections = submit === 'rpc' ? o.connections : 16
  const batch = submit === 'rpc' ? o.batch : 10
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections })
  const url = submit === 'rpc' ? urls.rpc : urls.comet
  const sentAt = new Float64Array(n).fill(NaN)
  const accepted = new Uint8Array(n)
  const refused: Record<string, number> = {}
  const sends = new Uint16Array(n)
  let acceptedCount = 0
  /** Sent and not refused (accepted, or the reply still on its way). */
  let live = 0
  let lastLog = performance.now()
  const progress = () => {
    if (performance.now() - lastLog < 5_000) return
    lastLog = performance.now()
    o.log(`    height ${watcher.height}: ${acceptedCount}/${n} accepted, ${includedCount} committed`)
  }

  /** Sends txs `todo` (indices, in order) in batches over the connections, within the window. */
  const sendAll = async (todo: number[]): Promise<number[]> => {
    const again: number[] = []
    let next = 0
    const worker = async () => {
      while (next < todo.length) {
        while (live - includedCount >= o.window) {
          await watcher.next(1_000)
          await scan()
          progress()
        }
        // another connection may have taken the rest while this one waited
        if (next >= todo.length) break
        const idx = todo.slice(next, next + batch)
        next += idx.length
        const now = performance.now()
        for (const i of idx) {
          if (Number.isNaN(sentAt[i]!)) sentAt[i] = now
          sends[i]!++
        }
        live += idx.length
        const replies = await sendBatch(
          agent,
          url,
          idx.map((i) => raws[i]!),
          submit,
        )
        replies.forEach((err, k) => {
          const i = idx[k]!
          if (err === undefined || alreadyHeld(err)) {
            accepted[i] = 1
            acceptedCount++
          } else {
            live--
            const key = refusalKind(err)
            refused[key] = (refused[key] ?? 0) + 1
            again.push(i)
          }
        })
        progress()
      }
    }
    await Promise.all(Array.from({ length: connections }, worker))
    return again.sort((a, b) => a - b)
  }

  const t0 = performance.now()
  let todo = await sendAll(raws.map((_, i) => i))
  for (let round = 0; todo.length > 0 && round < 30; round++) {
    o.log(`    ${todo.length} txs refused (${JSON.stringify(refused)}); sending them again at the next block`)
    await watcher.next()
    await scan()
    todo = await sendAll(todo)
  }
  const submitted = performance.now()
  if (todo.length > 0) o.log(`    ${todo.length} txs still refused after 30 rounds: left out`)
  o.log(`    submitted ${acceptedCount}/${n} in ${((submitted - t0) / 1000).toFixed(1)} s`)

  // Wait until every accepted tx is in a block; give up after 120 s without progress.
  let lastProgress = performance.now()
  let seen = includedCount
  while (includedCount < acceptedCount) {
    await watcher.next(1_000)
    await scan()
    progress()
    if (includedCount > seen) {
      seen = includedCount
      lastProgress = performance.now()
    } else if (performance.now() - lastProgress > 120_000) {
      o.log(`    no progress for 120 s: ${acceptedCount - includedCount} accepted txs never committed`)
      break
    }
  }
  agent.destroy()
  const otherCores = load.stop()

  let endHeight = startHeight
  for (const h of heightOf) if (h > endHeight) endHeight = h
  const seenAt = (h: number) => watcher.blocks.get(h)!.seenAt
  const latencies: number[] = []
  for (let i = 0; i < n; i++) if (heightOf[i]! > 0) latencies.push(seenAt(heightOf[i]!) - sentAt[i]!)
  const perBlock = new Map<number, number>()
  for (const h of heightOf) if (h > 0) perBlock.set(h, (perBlock.get(h) ?? 0) + 1)
  const heights = [...perBlock.keys()].sort((a, b) => a - b)
  const firstBlock = heights[0] ?? endHeight
  const blockIntervalMs = heights.length > 1 ? (seenAt(endHeight) - seenAt(firstBlock)) / (endHeight - firstBlock) : NaN

  // pipe_stats after the last block's Commit (the watcher's snapshot, if it is that height's).
  let after: NodeStats | undefined = watcher.blocks.get(endHeight)?.stats
  if (!after || Number(after.height) !== endHeight) after = await nodeStats(urls.rpc)
  const phases = {} as Measured['phases']
  for (const p of PHASES) {
    const a = before.phases[p]
    const z = after.phases[p]
    phases[p] = { count: (z?.count ?? 0) - (a?.count ?? 0), totalMs: (z?.totalMs ?? 0) - (a?.totalMs ?? 0) }
  }

  // Outcomes: receipts (Ethereum) or CometBFT's tx results (Cosmos; every tx of those blocks is ours).
  let succeeded = 0
  let gasUsed = 0n
  const ours = new Set(hashes)
  for (const h of heights) {
    if (kind === 'eth') {
      const receipts = await rpc<{ transactionHash: string; status: string; gasUsed: string }[]>(urls.rpc, 'eth_getBlockReceipts', [
        `0x${h.toString(16)}`,
      ])
      for (const r of receipts) {
        if (!ours.has(r.transactionHash.toLowerCase())) continue
        if (r.status === '0x1') succeeded++
        gasUsed += BigInt(r.gasUsed)
      }
    } else {
      const res = (await (await fetch(`${urls.comet}/block_results?height=${h}`)).json()) as {
        result: { txs_results: { code: number }[] | null }
      }
      succeeded += (res.result.txs_results ?? []).filter((r) => r.code === 0).length
    }
  }
  const committed = includedCount
  const seconds = ((committed > 0 ? seenAt(endHeight) : performance.now()) - t0) / 1000
  return {
    txs: n,
    committed,
    succeeded,
    refused,
    resent: sends.filter((s) => s > 1).length,
    missing: n - committed,
    seconds,
    submitSeconds: (submitted - t0) / 1000,
    txPerSec: committed / seconds,
    latency: summarize(latencies),
    blocksWithTxs: heights.length,
    largestBlock: Math.max(0, ...perBlock.values()),
    blockIntervalMs,
    meanGasUsed: kind === 'eth' && committed > 0 ? Number(gasUsed / BigInt(committed)) : NaN,
    phases,
    simulations: {
      all: (after.inference.simulations ?? 0) - (before.inference.simulations ?? 0),
      afterCommit: (after.inference.resimulations ?? 0) - (before.inference.resimulations ?? 0),
    },
    otherCores,
    machineBusyBefore,
  }
}
