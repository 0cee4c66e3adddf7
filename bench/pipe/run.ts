/**
 * PIPE vs inline inference on one validator: the same workload — N txs, each calling the
 * inference precompile once (EOA → 0x…F4, distinct inputs, one model of cost C) — through a node
 * that pre-executes inference in its mempool (the pipe node) and through one that runs the
 * model inside FinalizeBlock (bench/pipe/inlineNode.ts, the inline baseline: a chain without PIPE).
 *
 *   node --import tsx bench/pipe/run.ts [--quick] [--block-time 1s] [--costs 0.1w16,0.1w512,2w512,10w512,50,200]
 *        [--txs 4000,600,400,300,120,60] [--strategies pipe,inline] [--pending 4000] [--pending-cost 0.6w16]
 *        [--senders 200] [--out docs/benchmarks.md] [--svg docs/pipe-vs-inline.svg] [--no-write]
 *        [--profile <dir>] [--node-args "--inference-workers 1"] [--in-flight 4]
 *
 * For each strategy a fresh 1-validator localnet (real cometbft + pipe node + onnxruntime-node)
 * is started; fresh senders are funded; one cost model per C (`buildCostModel({ targetMs: C })`,
 * batchable, input `x`) is uploaded through the REST model hub. For each C the txs are pre-signed
 * round-robin over the senders (gas from one eth_estimateGas), submitted in JSON-RPC batches of
 * eth_sendRawTransaction, and timed:
 * - committed inference txs/s: first submission → the newHeads notification of the block
 *   holding the last tx;
 * - latency per tx: its submission batch returned → newHeads of its block;
 * - FinalizeBlock / PrepareProposal per block: the node's `pipe_stats` snapshotted after every
 *   block (WebSocket newHeads), differenced between consecutive heights;
 * - executor rows/s: `pipe_stats.executor` polled every 250 ms, over the window it was busy;
 *   compared with onnxruntime-node driven directly on the same inputs (one worker thread per
 *   core, one session each, intraOpNumThreads 1), measured before any chain starts.
 * Then (pipe only) PrepareProposal with many pending inference txs: `--pending` txs to the
 * cheapest model submitted at once, PrepareProposal time per block against the number of
 * inference txs the mempool tracked.
 *
 * A cost written `2w512` is a model of about that cost whose input and output are 512 wide (one
 * MatMul over fewer rows) instead of buildCostModel's shape for the cost (256 wide below ~14 ms,
 * 512 above): the default matrix keeps every C at 512 wide, so only the model's cost changes
 * between runs (block execution pays for calldata and output bytes, not for the model), plus
 * one 16-wide run of small txs for throughput.
 *
 * `--profile <dir>` sets PIPE_CPU_PROFILE for the nodes (a .cpuprofile per node, written when the
 * chain stops); `node --import tsx bench/pipe/profile.ts <file>` summarises one.
 */
import fs from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Hex, keccak256, toHex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { devAccounts } from '../../app/modules/evm/devAccounts.ts'
import { INFERENCE_PRECOMPILE_ADDRESS } from '../../app/modules/inference/precompile/abi.ts'
import { buildCostModel, type CostModelSpec, costModelSpecFor, MEASURED_MACS_PER_MS } from '../../scripts/models/modelFactory.ts'
import { PORT_OFFSETS, startTestChain, type TestChain } from '../../test/support/testChain.ts'
import { directParallel } from '../executor/directRun.ts'
import { describeMachine, otherLoad, revision } from '../machine.ts'
import { BlockWatcher, type NodeStats, nodeStats, rpc, rpcBatch, type SeenBlock, StatsPoller } from './chain.ts'
import { renderChart } from './chart.ts'
import { calldata, inputRows, inputValues } from './workload.ts'

// ---------------------------------------------------------------- options

interface Options {
  quick: boolean
  blockTime: string
  costs: string[]
  txs: number[]
  strategies: Strategy[]
  pending: number
  senders: number
  out: string | undefined
  svg: string | undefined
  profile: string | undefined
  /** Extra pipe-node flags for both strategies (e.g. `--inference-workers 1`). */
  nodeArgs: string[]
  /** JSON-RPC batches of 50 txs the client keeps in flight. */
  inFlight: number
  /** Model of the PrepareProposal-with-many-pending run (a cost label as in `costs`). */
  pendingCost: string
}
type Strategy = 'pipe' | 'inline'

function makeModel(label: string, dir: string): Model {
  const m = /^(\d+(?:\.\d+)?)(?:w(\d+))?$/.exec(label)
  if (!m) throw new Error(`bad cost ${label}: a number of ms, optionally followed by w<width> (e.g. 0.1w512)`)
  const costMs = Number(m[1])
  const size = m[2] ? Number(m[2]) : undefined
  const spec: CostModelSpec = size
    ? { size, rows: Math.max(1, Math.round((costMs * MEASURED_MACS_PER_MS) / (size * size))), matmuls: 1 }
    : costModelSpecFor({ targetMs: costMs })
  const bytes = buildCostModel(spec)
  const file = path.join(dir, `cost-${label}.onnx`)
  fs.writeFileSync(file, bytes)
  return { label, costMs, width: spec.size, size, bytes, file }
}

function parseArgs(argv: string[]): Options {
  const quick = argv.includes('--quick')
  const o: Options = {
    quick,
    blockTime: '1s',
    costs: quick ? ['0.1w512', '50'] : ['0.1w16', '0.1w512', '2w512', '10w512', '50', '200'],
    txs: quick ? [300, 20] : [4000, 600, 400, 300, 120, 60],
    strategies: ['pipe', 'inline'],
    pending: quick ? 1100 : 4000,
    senders: 200,
    out: quick ? undefined : 'docs/benchmarks.md',
    svg: quick ? undefined : 'docs/pipe-vs-inline.svg',
    profile: undefined,
    nodeArgs: [],
    inFlight: 4,
    pendingCost: '0.6w16',
  }
  const list = (v: string) => v.split(',').map((s) => Number(s.trim()))
  for (let i = 0; i < argv.length; i++) {
    const [flag, v] = [argv[i], argv[i + 1]]
    if (flag === '--quick') continue
    if (flag === '--no-write') {
      o.out = undefined
      o.svg = undefined
      continue
    }
    i++
    if (v === undefined) throw new Error(`flag ${flag} needs a value`)
    if (flag === '--block-time') o.blockTime = v
    else if (flag === '--costs') o.costs = v.split(',').map((c) => c.trim())
    else if (flag === '--txs') o.txs = list(v)
    else if (flag === '--strategies') o.strategies = v.split(',').map((s) => s.trim()) as Strategy[]
    else if (flag === '--pending') o.pending = Number(v)
    else if (flag === '--senders') o.senders = Number(v)
    else if (flag === '--out') o.out = v
    else if (flag === '--svg') o.svg = v
    else if (flag === '--profile') o.profile = path.resolve(v)
    else if (flag === '--in-flight') o.inFlight = Number(v)
    else if (flag === '--pending-cost') o.pendingCost = v
    else if (flag === '--node-args') o.nodeArgs = v.split(/\s+/).filter(Boolean)
    else throw new Error(`unknown flag ${flag}`)
  }
  if (o.txs.length === 1) o.txs = o.costs.map(() => o.txs[0]!)
  if (o.txs.length !== o.costs.length) throw new Error('--txs needs one count per cost (or a single count)')
  for (const s of o.strategies) if (s !== 'pipe' && s !== 'inline') throw new Error(`unknown strategy ${s}`)
  return o
}

const log = (s: string) => process.stderr.write(`${s}\n`)
/** The node entry of the inline baseline. */
const INLINE_NODE = fileURLToPath(new URL('./inlineNode.ts', import.meta.url))
const gwei = 10n ** 9n
const MAX_FEE = 50n * gwei
const CORES = os.availableParallelism()
/** Port offset of this benchmark's localnets (the EVM benchmark uses PORT_OFFSETS.bench). */
const PORT_OFFSET = PORT_OFFSETS.bench + 100

// ---------------------------------------------------------------- workload

interface Model {
  /** As given on the command line: `200`, or `2w512` for a model of that cost forced to a width. */
  label: string
  costMs: number
  width: number
  /** The forced input/output width, if the label gave one. */
  size?: number
  bytes: Uint8Array
  file: string
  cid?: string
}

// ---------------------------------------------------------------- direct onnxruntime baseline

interface Direct {
  /** Rows/s with one row per session run, one worker per core. */
  rowsPerSec: number
  /** ms of one inference (batch 1, one thread): wall time × workers / rows. */
  msPerInference: number
  /** Rows/s with 64 rows per session run (for batchable cheap models), one worker per core. */
  batchedRowsPerSec?: number
}

async function measureDirect(model: Model, txs: number): Promise<Direct> {
  // At least ~1.5 s of work per worker (at the nominal cost), so start-up effects do not count.
  const n = Math.min(10_000, Math.max(txs, Math.ceil((1_500 * CORES) / model.costMs)))
  const rows = inputRows(n, model.width)
  // Best of 3 rounds: this VM's cores change speed with its neighbours' load; the limit is the best.
  let best = Infinity
  let bestBatched = Infinity
  for (let round = 0; round < 3; round++) {
    best = Math.min(best, (await directParallel(model.file, 'x', model.width, rows, 1)).ms)
    if ((best * CORES) / n < 20) bestBatched = Math.min(bestBatched, (await directParallel(model.file, 'x', model.width, rows, 64)).ms)
  }
  const d: Direct = { rowsPerSec: (n / best) * 1000, msPerInference: (best * CORES) / n }
  if (Number.isFinite(bestBatched)) d.batchedRowsPerSec = (n / bestBatched) * 1000
  return d
}

// ---------------------------------------------------------------- chain helpers

async function sendBatches(
  url: string,
  raws: Hex[],
  onBatch?: (from: number, to: number, replies: { error?: { message: string } }[]) => void,
  inFlight = 4,
): Promise<void> {
  const BATCH = 50
  const CONCURRENCY = inFlight
  let next = 0
  const worker = async () => {
    while (next < raws.length) {
      const from = next
      const chunk = raws.slice(from, from + BATCH)
      next += chunk.length
      const replies = await rpcBatch(
        url,
        chunk.map((r) => ['eth_sendRawTransaction', [r]]),
      )
      onBatch?.(from, from + chunk.length, replies)
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
}

async function uploadModel(chain: TestChain, model: Model): Promise<string> {
  const res = await fetch(`${chain.net.endpoints(0).rest}/v1/models`, { method: 'PUT', body: model.bytes })
  if (res.status !== 200 && res.status !== 201)
    throw new Error(`upload of the ${model.label} ms model: HTTP ${res.status} ${await res.text()}`)
  const meta = (await res.json()) as { cid: string; costMicros: number; batchable: boolean }
  log(`  model ${model.label} ms: ${meta.cid}, probed ${(meta.costMicros / 1000).toFixed(2)} ms, batchable ${meta.batchable}`)
  return meta.cid
}

/** Waits until the node's mempool is empty and one more block has been committed. */
async function settle(chain: TestChain, watcher: BlockWatcher): Promise<void> {
  const deadline = Date.now() + 120_000
  while ((await nodeStats(chain.rpc())).mempool.queued > 0) {
    if (Date.now() > deadline) throw new Error('the mempool did not empty within 120 s')
    await watcher.next()
  }
  await watcher.next()
  await watcher.next()
}

/** Share of all cores busy over `ms`, from /proc/stat (undefined where there is none). */
async function machineBusy(ms = 2_000): Promise<number | undefined> {
  const read = (): number[] | undefined => {
    try {
      return fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
    } catch {
      return undefined
    }
  }
  const a = read()
  await new Promise((r) => setTimeout(r, ms))
  const b = read()
  if (!a || !b) return undefined
  const d = b.map((v, i) => v - a[i]!)
  const total = d.reduce((x, y) => x + y, 0)
  const idle = d[3]! + (d[4] ?? 0)
  return total > 0 ? 1 - idle / total : undefined
}

/**
 * Waits (up to 3 min) until the machine is quiet — under 20% of its CPU busy while our chain is
 * idle — so another process's load does not end up in the numbers; returns the last reading.
 */
async function quietMachine(): Promise<number> {
  const deadline = Date.now() + 180_000
  for (;;) {
    const busy = await machineBusy()
    if (busy === undefined) return NaN
    if (busy < 0.2 || Date.now() > deadline) {
      if (busy >= 0.2) log(`    machine still ${(busy * 100).toFixed(0)}% busy with the chain idle: measuring anyway`)
      return busy
    }
    log(`    machine ${(busy * 100).toFixed(0)}% busy with the chain idle (another process?): waiting…`)
    await new Promise((r) => setTimeout(r, 5_000))
  }
}

const PHASES = ['checkTx', 'recheckTx', 'prepareProposal', 'processProposal', 'finalizeBlock', 'commit']

// ---------------------------------------------------------------- one measured run

interface Summary {
  n: number
  mean: number
  max: number
  p50: number
  p99: number
}

function summarize(xs: number[]): Summary {
  if (xs.length === 0) return { n: 0, mean: NaN, max: NaN, p50: NaN, p99: NaN }
  const s = [...xs].sort((a, b) => a - b)
  const pct = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!
  return { n: s.length, mean: s.reduce((a, b) => a + b, 0) / s.length, max: s[s.length - 1]!, p50: pct(0.5), p99: pct(0.99) }
}

interface BlockPhases {
  height: number
  txs: number
  prepareProposal: number
  processProposal: number
  finalizeBlock: number
  commit: number
  /** Inference txs the mempool tracked after the previous commit (pipe only). */
  pendingBefore: number
  /** Txs in the node's EVM mempool after the previous commit. */
  queuedBefore: number
}

/** Each block's phase times: pipe_stats after block h minus pipe_stats after block h-1. */
function blockPhases(
  blocks: Map<number, SeenBlock>,
  from: number,
  to: number,
  ours: Set<string>,
): { rows: BlockPhases[]; skipped: number } {
  const rows: BlockPhases[] = []
  let skipped = 0
  for (let h = from; h <= to; h++) {
    const b = blocks.get(h)
    const prev = blocks.get(h - 1)
    if (!b || !prev || Number(b.stats.height) !== h || Number(prev.stats.height) !== h - 1) {
      skipped++
      continue
    }
    const d = (phase: string): number => {
      const a = prev.stats.phases[phase]
      const z = b.stats.phases[phase]
      if (!z) return 0
      if (z.count - (a?.count ?? 0) !== 1 && phase !== 'processProposal') return NaN
      return z.totalMs - (a?.totalMs ?? 0)
    }
    const row: BlockPhases = {
      height: h,
      txs: b.txs.filter((t) => ours.has(t)).length,
      prepareProposal: d('prepareProposal'),
      processProposal: d('processProposal'),
      finalizeBlock: d('finalizeBlock'),
      commit: d('commit'),
      pendingBefore: pendingInference(prev.stats),
      queuedBefore: prev.stats.mempool.queued,
    }
    if ([row.prepareProposal, row.finalizeBlock, row.commit].some(Number.isNaN)) {
      skipped++
      continue
    }
    rows.push(row)
  }
  return { rows, skipped }
}

function pendingInference(s: NodeStats): number {
  const i = s.inference
  return (i.simulating ?? 0) + (i.running ?? 0) + (i.ready ?? 0)
}

interface RunResult {
  strategy: Strategy
  blockTime: string
  costMs: number
  label: string
  width: number
  direct: Direct
  txs: number
  committed: number
  succeeded: number
  refused: Record<string, number>
  missing: string[]
  gas: bigint
  calldataBytes: number
  seconds: number
  submitSeconds: number
  txPerSec: number
  blocks: BlockPhases[]
  skippedBlocks: number
  /** Over blocks holding this run's txs. */
  finalize: Summary
  finalizeMsPerTx: number
  /** Over every block from the first submission to the last inclusion. */
  prepare: Summary
  latency: Summary
  executor: { rows: number; seconds: number; rowsPerSec: number; meanBatch: number; failed: number }
  /** Every ABCI phase over the whole run (first submission → last inclusion): calls and total ms. */
  phases: Record<string, { count: number; totalMs: number; maxMs: number }>
  /** Mean ms between the newHeads notifications of the run's blocks (timeout_commit + the node's work). */
  blockIntervalMs: number
  /** Share of the machine's CPU busy just before the run, chain idle (other processes show here). */
  machineBusyBefore: number
  /** Cores used by processes other than this benchmark and its chain during the run (USER_HZ ticks). */
  otherCores: number
}

async function measureRun(
  chain: TestChain,
  watcher: BlockWatcher,
  strategy: Strategy,
  blockTime: string,
  model: Model,
  direct: Direct,
  raws: Hex[],
  gas: bigint,
  inFlight: number,
): Promise<RunResult> {
  const { costMs, label, width } = model
  const name = `${strategy} C=${label} ms N=${raws.length}`
  await settle(chain, watcher)
  const machineBusyBefore = await quietMachine()
  const startHeight = watcher.height
  const before = await nodeStats(chain.rpc())
  const poller = new StatsPoller(chain.rpc(), 250)
  poller.start()
  const hashes = raws.map((r) => keccak256(r))
  const load = otherLoad()
  const ours = new Set(hashes)
  const sentAt = new Float64Array(raws.length)
  const accepted: boolean[] = []
  const refused: Record<string, number> = {}
  const t0 = performance.now()
  await sendBatches(
    chain.rpc(),
    raws,
    (from, to, replies) => {
      const now = performance.now()
      for (let i = from; i < to; i++) {
        sentAt[i] = now
        const err = replies[i - from]?.error
        accepted[i] = !err
        if (err)
          refused[err.message.replace(/0x[0-9a-f]{6,}/gi, '0x…').slice(0, 160)] =
            (refused[err.message.replace(/0x[0-9a-f]{6,}/gi, '0x…').slice(0, 160)] ?? 0) + 1
      }
    },
    inFlight,
  )
  const submitted = performance.now()
  const nRefused = Object.values(refused).reduce((a, b) => a + b, 0)
  log(
    `  ${name}: submitted in ${((submitted - t0) / 1000).toFixed(1)} s${nRefused ? `, ${nRefused} refused: ${JSON.stringify(refused)}` : ''}`,
  )

  // Wait for every accepted tx; give up after a long stretch without progress.
  const stallMs = Math.max(60_000, 3 * costMs * raws.length)
  let lastProgress = performance.now()
  let includedCount = 0
  let lastLogged = 0
  for (;;) {
    const n = hashes.filter((h, i) => accepted[i] && watcher.included.has(h)).length
    if (n > includedCount) {
      includedCount = n
      lastProgress = performance.now()
    }
    if (performance.now() - lastLogged > 5_000) {
      lastLogged = performance.now()
      const s = poller.samples.at(-1)?.stats
      log(
        `    height ${watcher.height}: ${includedCount}/${raws.length - nRefused} committed${s ? `, inference ${JSON.stringify(s.inference)}, executor queued ${s.executor.queued} running ${s.executor.running}` : ''}`,
      )
    }
    if (n === raws.length - nRefused) break
    if (performance.now() - lastProgress > stallMs) {
      log(`    no progress for ${(stallMs / 1000).toFixed(0)} s: giving up on ${raws.length - nRefused - n} txs`)
      break
    }
    await watcher.next(1_000)
  }
  await poller.stop()
  const otherCores = load.stop()
  const missing: string[] = []
  for (const [i, h] of hashes.entries()) if (accepted[i] && !watcher.included.has(h)) missing.push(h)
  const missingReasons: string[] = []
  for (const h of missing.slice(0, 5)) {
    const st = await rpc<Record<string, unknown> | null>(chain.rpc(), 'pipe_getInferenceStatus', [h]).catch((e) => ({ error: String(e) }))
    missingReasons.push(`${h}: ${JSON.stringify(st)}`)
  }
  if (missing.length > 0) log(`    missing ${missing.length}, e.g.\n      ${missingReasons.join('\n      ')}`)

  // Inclusion times and per-block phases
  const includedHeights = hashes.map((h) => watcher.included.get(h)).filter((h): h is number => h !== undefined)
  const endHeight = Math.max(startHeight, ...includedHeights)
  const seen = (i: number): number | undefined => {
    const h = watcher.included.get(hashes[i]!)
    return h === undefined ? undefined : watcher.blocks.get(h)!.seenAt
  }
  const latencies: number[] = []
  let tLast = t0
  for (let i = 0; i < raws.length; i++) {
    const s = seen(i)
    if (s === undefined) continue
    latencies.push(s - sentAt[i]!)
    tLast = Math.max(tLast, s)
  }
  const { rows, skipped } = blockPhases(watcher.blocks, startHeight + 1, endHeight, ours)
  const withTxs = rows.filter((r) => r.txs > 0)
  const fbTotal = withTxs.reduce((a, r) => a + r.finalizeBlock, 0)
  const txsInMeasured = withTxs.reduce((a, r) => a + r.txs, 0)

  // Receipts: every committed tx must have succeeded (status 1).
  let succeeded = 0
  const heights = [...new Set(includedHeights)].sort((a, b) => a - b)
  for (const h of heights) {
    const receipts = await rpc<{ transactionHash: string; status: string }[]>(chain.rpc(), 'eth_getBlockReceipts', [`0x${h.toString(16)}`])
    for (const r of receipts) if (ours.has(r.transactionHash as Hex) && r.status === '0x1') succeeded++
  }

  // Executor throughput over the window it was busy with this run.
  const samples = poller.samples
  const computed = (s: NodeStats) => s.executor.completed
  const c0 = computed(before)
  const cEnd = samples.length > 0 ? computed(samples.at(-1)!.stats) : c0
  const firstMove = samples.findIndex((s) => computed(s.stats) > c0)
  const lastMove = samples.findIndex((s) => computed(s.stats) === cEnd)
  let exSeconds = 0
  if (firstMove !== -1 && lastMove !== -1) {
    const tStart = firstMove > 0 ? samples[firstMove - 1]!.t : t0
    exSeconds = (samples[lastMove]!.t - tStart) / 1000
  }
  const last = samples.at(-1)?.stats ?? before
  const batches = last.executor.batches - before.executor.batches
  const exRows = cEnd - c0
  const committed = includedHeights.length
  const seconds = (tLast - t0) / 1000
  const afterAll = watcher.blocks.get(endHeight)?.stats ?? last
  const phases: RunResult['phases'] = {}
  for (const [k, v] of Object.entries(afterAll.phases)) {
    const a = before.phases[k] ?? { count: 0, totalMs: 0 }
    phases[k] = { count: v.count - a.count, totalMs: v.totalMs - a.totalMs, maxMs: v.maxMs }
  }
  const seenTimes = rows.map((r) => watcher.blocks.get(r.height)!.seenAt)
  const blockIntervalMs = seenTimes.length > 1 ? (seenTimes.at(-1)! - seenTimes[0]!) / (seenTimes.length - 1) : NaN
  const result: RunResult = {
    strategy,
    blockTime,
    costMs,
    label,
    width,
    direct,
    txs: raws.length,
    committed,
    succeeded,
    refused,
    missing,
    gas,
    calldataBytes: (raws[0]!.length - 2) / 2,
    seconds,
    submitSeconds: (submitted - t0) / 1000,
    txPerSec: committed / seconds,
    blocks: rows,
    skippedBlocks: skipped,
    finalize: summarize(withTxs.map((r) => r.finalizeBlock)),
    finalizeMsPerTx: txsInMeasured > 0 ? fbTotal / txsInMeasured : NaN,
    prepare: summarize(rows.map((r) => r.prepareProposal)),
    latency: summarize(latencies.map((l) => l / 1000)),
    executor: {
      rows: exRows,
      seconds: exSeconds,
      rowsPerSec: exSeconds > 0 ? exRows / exSeconds : NaN,
      meanBatch: batches > 0 ? exRows / batches : NaN,
      failed: last.executor.failed - before.executor.failed,
    },
    phases,
    blockIntervalMs,
    machineBusyBefore,
    otherCores,
  }
  log(
    `    blocks (height:txs/FinalizeBlock ms/PrepareProposal ms): ${rows
      .filter((r) => r.txs > 0 || r.pendingBefore > 0)
      .map((r) => `${r.height}:${r.txs}/${r.finalizeBlock.toFixed(0)}/${r.prepareProposal.toFixed(1)}`)
      .join(' ')}`,
  )
  log(
    `    → ${result.txPerSec.toFixed(1)} tx/s, ${committed}/${raws.length} committed (${succeeded} status 1), FinalizeBlock mean ${result.finalize.mean.toFixed(1)} ms max ${result.finalize.max.toFixed(1)} ms (${result.finalizeMsPerTx.toFixed(3)} ms/tx), ` +
      `PrepareProposal p50 ${result.prepare.p50.toFixed(1)} p99 ${result.prepare.p99.toFixed(1)} ms, latency p50 ${result.latency.p50.toFixed(2)} s p99 ${result.latency.p99.toFixed(2)} s, ` +
      `executor ${result.executor.rowsPerSec.toFixed(0)} rows/s (${exRows} rows in ${exSeconds.toFixed(1)} s, mean batch ${result.executor.meanBatch.toFixed(1)}) vs direct ${direct.rowsPerSec.toFixed(0)} rows/s, ` +
      `block interval ${blockIntervalMs.toFixed(0)} ms, other processes ${otherCores.toFixed(2)} cores`,
  )
  log(
    `    node phases over the run: ${PHASES.filter((p) => phases[p])
      .map((p) => `${p} ${phases[p]!.count}× ${phases[p]!.totalMs.toFixed(0)} ms`)
      .join(', ')}`,
  )
  return result
}

// ---------------------------------------------------------------- one chain per strategy

interface PendingResult {
  txs: number
  blockTime: string
  costMs: number
  blocks: BlockPhases[]
  /** PrepareProposal over blocks proposed with ≥ 1,000 inference txs tracked. */
  atThousand: Summary
  all: Summary
  run: RunResult
}

async function runStrategy(
  o: Options,
  strategy: Strategy,
  models: Model[],
  directs: Direct[],
  pendingLoad?: { model: Model; direct: Direct },
): Promise<{ runs: RunResult[]; pending?: PendingResult }> {
  if (o.profile) process.env.PIPE_CPU_PROFILE = path.join(o.profile, strategy)
  log(
    `\n[${strategy}] starting a 1-validator localnet (block time ${o.blockTime}, ${strategy === 'inline' ? 'inline baseline node' : 'pipe node'})…`,
  )
  const chain = await startTestChain({
    name: `bench-pipe-${strategy}`,
    portOffset: PORT_OFFSET,
    validators: 1,
    blockTime: o.blockTime,
    nodeArgs: o.nodeArgs,
    nodeMain: strategy === 'inline' ? INLINE_NODE : undefined,
  })
  const watcher = new BlockWatcher(chain.rpc(), chain.ws())
  try {
    await watcher.start()
    const funder = privateKeyToAccount(devAccounts(1)[0]!.privateKey)
    const senders = Array.from({ length: o.senders }, (_, i) =>
      privateKeyToAccount(keccak256(toHex(`pipe-inference-bench-${strategy}-${i}`))),
    )
    const nonces = senders.map(() => 0)
    log(`[${strategy}] funding ${o.senders} senders, uploading ${models.length} models…`)
    const funding = await Promise.all(
      senders.map((s, i) =>
        funder.signTransaction({
          chainId: 1337,
          type: 'eip1559',
          nonce: i,
          to: s.address,
          value: 20n * 10n ** 18n,
          gas: 21_000n,
          maxFeePerGas: MAX_FEE,
          maxPriorityFeePerGas: 0n,
        }),
      ),
    )
    await sendBatches(chain.rpc(), funding)
    const cids: string[] = []
    for (const m of models) cids.push(await uploadModel(chain, m))
    while (!watcher.included.has(keccak256(funding.at(-1)!))) await watcher.next()

    const sign = async (cid: string, width: number, n: number, gas: bigint, offset: number): Promise<Hex[]> => {
      const out: Hex[] = []
      for (let i = 0; i < n; i++) {
        const s = i % senders.length
        out.push(
          await senders[s]!.signTransaction({
            chainId: 1337,
            type: 'eip1559',
            nonce: nonces[s]!++,
            to: INFERENCE_PRECOMPILE_ADDRESS,
            data: calldata(cid, inputValues(offset + i, width)),
            gas,
            maxFeePerGas: MAX_FEE,
            maxPriorityFeePerGas: 1n,
          }),
        )
      }
      return out
    }
    /** Gas for every tx of a model: one estimate on the input with the most non-zero bytes. */
    const estimate = async (cid: string, width: number): Promise<bigint> => {
      const data = calldata(cid, new Array(width).fill(999))
      return BigInt(
        await rpc<string>(chain.rpc(), 'eth_estimateGas', [{ from: senders[0]!.address, to: INFERENCE_PRECOMPILE_ADDRESS, data }]),
      )
    }

    const runs: RunResult[] = []
    for (const [k, m] of models.entries()) {
      const n = o.txs[k]!
      const gas = await estimate(cids[k]!, m.width)
      log(`[${strategy}] C=${m.label} ms: signing ${n} txs (gas ${gas}, ${m.width} input elements)…`)
      const raws = await sign(cids[k]!, m.width, n, gas, 0)
      runs.push(await measureRun(chain, watcher, strategy, o.blockTime, m, directs[k]!, raws, gas, o.inFlight))
    }

    let pending: PendingResult | undefined
    if (strategy === 'pipe' && pendingLoad) {
      // Small txs to a model the executor needs ~1 ms per tx for on 2 cores: txs arrive faster
      // than their inferences finish, so thousands wait while blocks are proposed.
      const m = pendingLoad.model
      const cid = await uploadModel(chain, m)
      const gas = await estimate(cid, m.width)
      log(`[${strategy}] PrepareProposal with many pending inference txs: signing ${o.pending} txs to the ${m.label} ms model…`)
      // Inputs after the matrix run's, so none is already computed.
      const raws = await sign(cid, m.width, o.pending, gas, 100_000)
      const run = await measureRun(chain, watcher, strategy, o.blockTime, m, pendingLoad.direct, raws, gas, o.inFlight)
      const loaded = run.blocks.filter((b) => b.pendingBefore >= 1000)
      pending = {
        txs: o.pending,
        blockTime: o.blockTime,
        costMs: m.costMs,
        blocks: run.blocks,
        atThousand: summarize(loaded.map((b) => b.prepareProposal)),
        all: run.prepare,
        run,
      }
      log(
        `    PrepareProposal with ≥ 1,000 pending: ${loaded.length} blocks, p50 ${pending.atThousand.p50.toFixed(1)} ms, p99 ${pending.atThousand.p99.toFixed(1)} ms`,
      )
    }
    return { runs, pending }
  } finally {
    await watcher.stop().catch(() => {})
    log(`[${strategy}] stopping the localnet…`)
    await chain.stop()
    if (o.profile) log(`[${strategy}] CPU profile(s) in ${path.join(o.profile, strategy)}`)
  }
}

// ---------------------------------------------------------------- report

function machine(): string {
  const require = createRequire(import.meta.url)
  const ortVersion = (require('onnxruntime-node/package.json') as { version: string }).version
  return `${describeMachine()}, onnxruntime-node ${ortVersion}`
}

const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '–')
const fi = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–')

interface Verdict {
  target: string
  result: string
  met: boolean | undefined
}

function verdicts(runs: RunResult[], pending: PendingResult | undefined): Verdict[] {
  const out: Verdict[] = []
  // Model cost is compared at one tensor width (the widest run), so the calldata and output
  // sizes, which block execution does pay for, stay the same while C changes.
  const widest = Math.max(...runs.map((r) => r.width))
  const byCost = (strategy: Strategy) =>
    runs.filter((r) => r.strategy === strategy && r.width === widest).sort((a, b) => a.costMs - b.costMs)
  const pipe = byCost('pipe')
  const inline = byCost('inline')
  if (pipe.length >= 2) {
    const lo = pipe[0]!
    const hi = pipe.at(-1)!
    const ratioTx = hi.finalizeMsPerTx / lo.finalizeMsPerTx
    const ratioBlock = hi.finalize.mean / lo.finalize.mean
    out.push({
      target: `FinalizeBlock independent of model cost under PIPE (within 1.2× between C = ${lo.costMs} and ${hi.costMs} ms, ${widest} wide)`,
      result: `ms per tx: ${f(lo.finalizeMsPerTx, 3)} → ${f(hi.finalizeMsPerTx, 3)} (${f(ratioTx, 2)}×); mean ms per block: ${f(lo.finalize.mean)} → ${f(hi.finalize.mean)} (${f(ratioBlock, 2)}×, blocks of ${f(lo.committed / Math.max(1, lo.finalize.n), 0)} vs ${f(hi.committed / Math.max(1, hi.finalize.n), 0)} txs)`,
      met: Number.isFinite(ratioTx) ? Math.max(ratioTx, 1 / ratioTx) <= 1.2 : undefined,
    })
  }
  if (inline.length >= 2) {
    const lo = inline[0]!
    const hi = inline.at(-1)!
    const grew = hi.finalizeMsPerTx - lo.finalizeMsPerTx
    const cost = hi.direct.msPerInference - lo.direct.msPerInference
    out.push({
      target: 'inline baseline grows with N·C (expected, not a target: per tx by ≥ 80% of the model-cost difference)',
      result: `ms per tx: ${f(lo.finalizeMsPerTx, 3)} → ${f(hi.finalizeMsPerTx, 1)} (+${f(grew, 1)} ms; model cost +${f(cost, 1)} ms per inference); mean ms per block ${f(lo.finalize.mean)} → ${f(hi.finalize.mean)}`,
      met: grew >= 0.8 * cost,
    })
  }
  if (pending) {
    out.push({
      target: 'PrepareProposal p99 ≤ 20 ms with 1,000 pending inference txs',
      result:
        pending.atThousand.n > 0
          ? `p99 ${f(pending.atThousand.p99)} ms (p50 ${f(pending.atThousand.p50)} ms) over ${pending.atThousand.n} blocks proposed with ≥ 1,000 inference txs pending; p99 over all ${pending.all.n} blocks of that run ${f(pending.all.p99)} ms`
          : `no block was proposed with ≥ 1,000 inference txs pending (p99 over the run ${f(pending.all.p99)} ms)`,
      met: pending.atThousand.n > 0 ? pending.atThousand.p99 <= 20 : undefined,
    })
  }
  const best = runs.filter((r) => r.strategy === 'pipe').sort((a, b) => b.txPerSec - a.txPerSec)[0]
  if (best) {
    out.push({
      target: '≥ 400 inference-calling txs/s committed on one validator',
      result: `best PIPE run: ${f(best.txPerSec)} tx/s (C = ${best.label} ms, ${best.width} wide, N = ${best.txs}, block time ${best.blockTime})${pending ? `; the ${fi(pending.txs)}-tx PrepareProposal run: ${f(pending.run.txPerSec)} tx/s` : ''}`,
      met: Math.max(best.txPerSec, pending?.run.txPerSec ?? 0) >= 400,
    })
  }
  return out
}

function render(o: Options, argv: string[], runs: RunResult[], pending: PendingResult | undefined, svgRel: string | undefined): string {
  const date = new Date().toISOString().slice(0, 10)
  const command = `node --import tsx bench/pipe/run.ts${argv.length ? ` ${argv.join(' ')}` : ''}`
  const lines: string[] = []
  lines.push(
    `Run ${date} on commit ${revision()}. Machine: ${machine()}. Command: \`${command}\`. Block time ${o.blockTime}, ${o.senders} senders, one validator.`,
    '',
  )
  lines.push('| target | result | met |', '|---|---|---|')
  for (const v of verdicts(runs, pending))
    lines.push(`| ${v.target} | ${v.result} | ${v.met === undefined ? 'not measured' : v.met ? '**met**' : '**not met**'} |`)
  lines.push('')
  lines.push(
    '| strategy | model cost C (ms, direct) | tensor width | txs | gas / calldata per tx | blocks with txs | FinalizeBlock mean / max per block (ms) | FinalizeBlock per tx (ms) | PrepareProposal p50 / p99 (ms) | committed tx/s | latency p50 / p99 (s) | executor rows/s during run (mean batch) | direct onnxruntime rows/s: 1 row/run · 64 rows/run |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  )
  for (const r of runs) {
    const committed = r.committed === r.txs ? `${r.txs}` : `${r.txs} (${r.committed} committed)`
    lines.push(
      `| ${r.strategy} | ${r.label} (${f(r.direct.msPerInference, 2)}) | ${r.width} | ${committed} | ${fi(Number(r.gas))} / ${(r.calldataBytes / 1024).toFixed(1)} KiB | ${r.finalize.n} | ${f(r.finalize.mean)} / ${f(r.finalize.max)} | ${f(r.finalizeMsPerTx, 3)} | ${f(r.prepare.p50)} / ${f(r.prepare.p99)} | **${f(r.txPerSec)}** | ${f(r.latency.p50, 2)} / ${f(r.latency.p99, 2)} | ${fi(r.executor.rowsPerSec)} (${f(r.executor.meanBatch)}) | ${fi(r.direct.rowsPerSec)} · ${r.direct.batchedRowsPerSec ? fi(r.direct.batchedRowsPerSec) : '–'} |`,
    )
  }
  lines.push('')
  lines.push(
    "Where the node's main thread spent the run (first submission → last inclusion; every phase shares one event loop), ms per committed tx (calls):",
    '',
    '| strategy | C (ms) | block interval (ms) | CPU of other processes during the run (cores) | CheckTx | RECHECK | PrepareProposal | ProcessProposal | FinalizeBlock | Commit |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  )
  for (const r of runs) {
    const cell = (p: string) => (r.phases[p] ? `${f(r.phases[p].totalMs / Math.max(1, r.committed), 2)} (${fi(r.phases[p].count)})` : '–')
    lines.push(`| ${r.strategy} | ${r.label} | ${fi(r.blockIntervalMs)} | ${f(r.otherCores, 2)} | ${PHASES.map(cell).join(' | ')} |`)
  }
  lines.push('')
  const problems = runs.filter(
    (r) => r.committed < r.txs || r.succeeded < r.committed || r.skippedBlocks > 0 || Object.keys(r.refused).length > 0,
  )
  for (const r of problems) {
    const parts: string[] = []
    if (Object.keys(r.refused).length > 0)
      parts.push(
        `refused at submission: ${Object.entries(r.refused)
          .map(([m, n]) => `${n}× "${m}"`)
          .join(', ')}`,
      )
    if (r.committed < r.txs) parts.push(`${r.txs - r.committed} never committed`)
    if (r.succeeded < r.committed) parts.push(`${r.committed - r.succeeded} committed with status 0`)
    if (r.skippedBlocks > 0) parts.push(`${r.skippedBlocks} blocks without a clean pipe_stats snapshot left out of the phase times`)
    lines.push(`- ${r.strategy}, C = ${r.label} ms: ${parts.join('; ')}.`)
  }
  if (problems.length > 0) lines.push('')
  if (svgRel) lines.push(`![FinalizeBlock time per block and per tx vs model cost, PIPE and inline](${svgRel})`, '')
  if (pending) {
    lines.push(
      `PrepareProposal with many inference txs pending (PIPE, ${fi(pending.txs)} txs to the ${pending.costMs} ms model, ${pending.run.width} wide, submitted at once; "pending" = inference txs the mempool tracked — simulating, running or ready — after the previous commit; one row per block of the run):`,
      '',
      '| height | pending before | txs included | PrepareProposal (ms) | ProcessProposal (ms) | FinalizeBlock (ms) | Commit (ms) |',
      '|---:|---:|---:|---:|---:|---:|---:|',
      ...pending.blocks.map(
        (b) =>
          `| ${b.height} | ${fi(b.pendingBefore)} | ${b.txs} | ${f(b.prepareProposal)} | ${f(b.processProposal)} | ${f(b.finalizeBlock)} | ${f(b.commit)} |`,
      ),
      '',
      `That run: ${f(pending.run.txPerSec)} tx/s committed, latency p50 ${f(pending.run.latency.p50, 2)} s / p99 ${f(pending.run.latency.p99, 2)} s, submission took ${f(pending.run.submitSeconds)} s.`,
      '',
    )
  }
  return lines.join('\n')
}

const SECTION = '## PIPE vs inline inference'
const BEGIN = '<!-- bench/pipe/run.ts: generated from here -->'
const END = '<!-- bench/pipe/run.ts: generated until here -->'

/**
 * Puts the generated text between the markers of the `## PIPE vs inline inference` section
 * (created at the end of the file if absent); text around the markers is kept.
 */
function writeReport(file: string, generated: string): void {
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n'
  const block = `${BEGIN}\n\n${generated.trimEnd()}\n\n${END}`
  let next: string
  const start = existing.indexOf(SECTION)
  if (start === -1) next = `${existing.trimEnd()}\n\n${SECTION}\n\n${block}\n`
  else {
    const b = existing.indexOf(BEGIN, start)
    const e = existing.indexOf(END, start)
    if (b === -1 || e === -1) {
      const nextSection = existing.indexOf('\n## ', start + SECTION.length)
      const end = nextSection === -1 ? existing.length : nextSection + 1
      next = `${existing.slice(0, start)}${SECTION}\n\n${block}\n${end < existing.length ? `\n${existing.slice(end)}` : ''}`
    } else next = existing.slice(0, b) + block + existing.slice(e + END.length)
  }
  fs.writeFileSync(file, next)
  log(`wrote ${file}`)
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  const o = parseArgs(argv)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-inference-bench-'))
  try {
    if (o.nodeArgs.length) log(`node flags: ${o.nodeArgs.join(' ')}`)
    log(
      `PIPE vs inline: costs ${o.costs.join(', ')} ms, txs ${o.txs.join(', ')}, block time ${o.blockTime}, strategies ${o.strategies.join(', ')}${o.pending ? `, pending test ${o.pending} txs` : ''}`,
    )
    const models: Model[] = o.costs.map((c) => makeModel(c, dir))
    await quietMachine()
    log('direct onnxruntime-node on the same inputs (the executor’s physical limit)…')
    const directs: Direct[] = []
    for (const [k, m] of models.entries()) {
      const d = await measureDirect(m, o.txs[k]!)
      directs.push(d)
      log(
        `  C=${m.label} ms (${m.width} wide): ${f(d.msPerInference, 3)} ms per inference, ${fi(d.rowsPerSec)} rows/s with ${CORES} workers${d.batchedRowsPerSec ? `, ${fi(d.batchedRowsPerSec)} rows/s in batches of 64` : ''}`,
      )
    }
    let pendingLoad: { model: Model; direct: Direct } | undefined
    if (o.pending > 0 && o.strategies.includes('pipe')) {
      const model = makeModel(o.pendingCost, dir)
      pendingLoad = { model, direct: await measureDirect(model, 200) }
      log(`  C=${model.label} ms (${model.width} wide, the pending run's): ${f(pendingLoad.direct.msPerInference, 3)} ms per inference`)
    }
    const runs: RunResult[] = []
    let pending: PendingResult | undefined
    for (const s of o.strategies) {
      const r = await runStrategy(o, s, models, directs, pendingLoad)
      runs.push(...r.runs)
      pending ??= r.pending
    }
    runs.sort((a, b) => a.costMs - b.costMs || a.width - b.width || a.strategy.localeCompare(b.strategy))
    let svgRel: string | undefined
    if (o.svg) {
      fs.writeFileSync(
        o.svg,
        renderChart(
          runs.map((r) => ({
            strategy: r.strategy,
            offLine: r.width !== Math.max(...runs.map((q) => q.width)),
            width: r.width,
            costMs: r.direct.msPerInference,
            label: r.label,
            perBlockMean: r.finalize.mean,
            perBlockMax: r.finalize.max,
            perTx: r.finalizeMsPerTx,
          })),
        ),
      )
      log(`wrote ${o.svg}`)
      svgRel = o.out ? path.relative(path.dirname(o.out), o.svg) : o.svg
    }
    const report = render(o, argv, runs, pending, svgRel)
    process.stdout.write(`${SECTION}\n\n${report}\n`)
    fs.writeFileSync(
      path.join(os.tmpdir(), 'pipe-inference-bench-last.json'),
      JSON.stringify({ runs, pending }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2),
    )
    if (o.out) writeReport(o.out, report)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

await main()
