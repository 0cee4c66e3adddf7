/**
 * Committed throughput on one validator for the workloads users send (issue 11), side by side in
 * one run, and where the node's main thread spends its time:
 *
 *   npm run bench -- [--workload all|<row>[,<row>…]] [--txs 10000] [--block-time 1s] [--senders 200]
 *                    [--submit rpc|comet] [--batch 50] [--connections 8] [--window 4000]
 *                    [--quiet-wait 180] [--node-args="--simulation-threads 2"] [--out <file.md>]
 *
 * Rows (bench/evm-throughput/workloads.ts): transfer-1, transfer-10, model-10 (the real
 * workloads), transfer-200 and direct-200 (shortcut rows: many fresh senders; EOAs calling 0x…F4
 * directly), store-200 (contract calls that store and log) and bank-200 (Cosmos MsgSends). `all`
 * (the default) runs the real and the shortcut rows; `--senders` changes the 200.
 * Older spellings: transfer = transfer-200, call = store-200, both = both of them, bank = bank-200.
 *
 * Every row gets a fresh 1-validator localnet (real cometbft + pipe node, test/support/testChain.ts),
 * so rows do not share accounts, mempool or state. It sets the row up (funding, the model upload,
 * a contract), pre-signs `--txs` txs, waits (at most `--quiet-wait` s) for a quiet machine, submits
 * them as bench/evm-throughput/measure.ts describes and waits until the last is committed.
 * Progress goes to stderr; the markdown section to stdout (and `--out`, where it replaces the
 * section with the same heading).
 */
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { PORT_OFFSETS, startTestChain } from '../../test/support/testChain.ts'
import { describeMachine, revision } from '../machine.ts'
import { BlockWatcher } from '../pipe/chain.ts'
import { goDurationMs, type Measured, measureRow, PHASES, type PhaseName } from './measure.ts'
import { DEFAULT_GROUPS, type Workload, workloads } from './workloads.ts'

const { values: flags } = parseArgs({
  options: {
    workload: { type: 'string', default: 'all' },
    txs: { type: 'string', default: '10000' },
    'block-time': { type: 'string', default: '1s' },
    senders: { type: 'string', default: '200' },
    submit: { type: 'string', default: 'rpc' },
    batch: { type: 'string', default: '50' },
    connections: { type: 'string', default: '8' },
    window: { type: 'string', default: '4000' },
    'quiet-wait': { type: 'string', default: '180' },
    'node-args': { type: 'string', default: '' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
  allowPositionals: false,
})

if (flags.help) {
  const doc = fs.readFileSync(new URL(import.meta.url), 'utf8')
  process.stdout.write(`${doc.slice(doc.indexOf('/**'), doc.indexOf('*/') + 2)}\n`)
  process.exit(0)
}

const int = (name: string, v: string): number => {
  const n = Number(v)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} ${v}: a positive integer is needed`)
  return n
}
const TXS = int('txs', flags.txs)
const MANY = int('senders', flags.senders)
const BLOCK_TIME = flags['block-time']
const BLOCK_MS = goDurationMs(BLOCK_TIME)
if (flags.submit !== 'rpc' && flags.submit !== 'comet') throw new Error(`--submit ${flags.submit}: rpc or comet`)
const SUBMIT: 'rpc' | 'comet' = flags.submit
const SUBMIT_OPTS = {
  submit: SUBMIT,
  batch: int('batch', flags.batch),
  connections: int('connections', flags.connections),
  window: int('window', flags.window),
  quietWaitMs: Number(flags['quiet-wait']) * 1000,
}

/** Extra pipe node flags for every row (e.g. `--simulation-threads 2`). */
const NODE_ARGS = flags['node-args'].split(/\s+/).filter(Boolean)

const ALL = workloads(MANY)
const ALIASES: Record<string, string[]> = {
  all: ALL.filter((w) => DEFAULT_GROUPS.includes(w.group)).map((w) => w.id),
  transfer: [`transfer-${MANY}`],
  call: [`store-${MANY}`],
  both: [`transfer-${MANY}`, `store-${MANY}`],
  bank: [`bank-${MANY}`],
}
const selected: Workload[] = []
for (const name of flags.workload.split(',').map((s) => s.trim())) {
  for (const id of ALIASES[name] ?? [name]) {
    const w = ALL.find((x) => x.id === id)
    if (!w) throw new Error(`--workload ${name}: unknown; rows are ${ALL.map((x) => x.id).join(', ')}, or all`)
    if (!selected.includes(w)) selected.push(w)
  }
}

const t0 = performance.now()
const log = (s: string) => process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${s}\n`)

interface Row {
  w: Workload
  gasLimit?: bigint
  m: Measured
}

async function runRow(w: Workload): Promise<Row> {
  log(`${w.id}: ${w.label}: starting a fresh 1-validator localnet (block time ${BLOCK_TIME})…`)
  const chain = await startTestChain({
    name: `bench-${w.id}`,
    portOffset: PORT_OFFSETS.bench,
    validators: 1,
    blockTime: BLOCK_TIME,
    nodeArgs: NODE_ARGS,
  })
  const watcher = new BlockWatcher(chain.rpc(), chain.ws())
  try {
    await watcher.start()
    const prepared = await w.prepare({ chain, watcher, log }, TXS)
    log(`${w.id}: submitting ${prepared.raws.length} txs…`)
    const m = await measureRow({ rpc: chain.rpc(), comet: chain.comet() }, watcher, prepared, { ...SUBMIT_OPTS, log })
    log(
      `${w.id}: ${m.committed}/${m.txs} committed (${m.succeeded} succeeded) → ${m.txPerSec.toFixed(0)} tx/s, ` +
        `latency p50 ${(m.latency.p50 / 1000).toFixed(2)} s p99 ${(m.latency.p99 / 1000).toFixed(2)} s, ` +
        `${m.blocksWithTxs} blocks (largest ${m.largestBlock}), FinalizeBlock ${perTx(m, 'finalizeBlock')} ms/tx, other processes ${m.otherCores.toFixed(2)} cores`,
    )
    if (m.succeeded < m.committed) log(`${w.id}: WARNING ${m.committed - m.succeeded} committed txs failed`)
    return { w, gasLimit: prepared.gasLimit, m }
  } finally {
    await watcher.stop().catch(() => {})
    await chain.stop()
  }
}

// ---------------------------------------------------------------- report

const perTx = (m: Measured, p: PhaseName, digits = 3) => (m.committed > 0 ? (m.phases[p].totalMs / m.committed).toFixed(digits) : '–')
const num = (x: number, digits = 0) =>
  Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–'
const sec = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '–')
const PHASE_NAMES: Record<PhaseName, string> = {
  checkTx: 'CheckTx',
  recheckTx: 'RecheckTx',
  prepareProposal: 'PrepareProposal',
  processProposal: 'ProcessProposal',
  finalizeBlock: 'FinalizeBlock',
  commit: 'Commit',
}
const GROUP: Record<Workload['group'], string> = { real: '', shortcut: 'shortcut: ', older: 'older: ' }

function render(rows: Row[]): string {
  const argv = process.argv.slice(2)
  const command = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`
  const via =
    SUBMIT === 'rpc'
      ? `JSON-RPC batches of ${SUBMIT_OPTS.batch} eth_sendRawTransaction over ${SUBMIT_OPTS.connections} keep-alive connections`
      : 'CometBFT batches of 10 broadcast_tx_sync over 16 connections'
  const lines = [
    `### Throughput on one validator: the real workloads, block time ${BLOCK_TIME}`,
    '',
    `Run ${new Date().toISOString().slice(0, 10)} on commit ${revision()}. Machine: ${describeMachine()}. Command: \`${command}\`.`,
    `Each row on a fresh 1-validator localnet; ${TXS.toLocaleString('en-US')} pre-signed txs per row, round-robin over the senders, submitted as ${via}` +
      ` (Cosmos rows: CometBFT broadcast_tx_sync), at most ${SUBMIT_OPTS.window.toLocaleString('en-US')} submitted and not yet committed.`,
    '',
    '| row | txs | gas limit / used per tx | committed tx/s | target | latency p50 / p99 (s) | target p50 | blocks with txs (largest) | refused (resent) | other processes (cores) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const { w, gasLimit, m } of rows) {
    const t = w.target
    const failed = m.committed - m.succeeded
    const txs = `${m.committed.toLocaleString('en-US')}${m.committed < m.txs ? ` of ${m.txs.toLocaleString('en-US')}` : ''}${failed ? ` (${failed} failed)` : ''}`
    const refused = Object.values(m.refused).reduce((a, b) => a + b, 0)
    lines.push(
      `| ${GROUP[w.group]}${w.label} | ${txs} | ${gasLimit ? gasLimit.toLocaleString('en-US') : '–'} / ${num(m.meanGasUsed)} | **${num(m.txPerSec)}** | ${t.txPerSec ? `≥ ${t.txPerSec.toLocaleString('en-US')}` : (t.note ?? '–')} | ${sec(m.latency.p50)} / ${sec(m.latency.p99)} | ${t.latencyBlocks ? `≤ ${sec(t.latencyBlocks * BLOCK_MS)}` : '–'} | ${m.blocksWithTxs} (${m.largestBlock.toLocaleString('en-US')}) | ${refused} (${m.resent}) | ${num(m.otherCores, 2)} |`,
    )
  }
  lines.push(
    '',
    "Main-thread time per committed tx by ABCI phase (the node's `pipe_stats`: wall ms on its one event loop, first submission → the last block's Commit; calls in brackets):",
    '',
    `| row | ${PHASES.map((p) => PHASE_NAMES[p]).join(' | ')} | sum | FinalizeBlock target | mempool simulations per tx (after a commit) |`,
    `|---|${PHASES.map(() => '---:').join('|')}|---:|---:|---:|`,
  )
  for (const { w, m } of rows) {
    const sum = PHASES.reduce((a, p) => a + m.phases[p].totalMs, 0)
    const sims =
      m.committed && m.simulations.all
        ? `${(m.simulations.all / m.committed).toFixed(2)} (${(m.simulations.afterCommit / m.committed).toFixed(2)})`
        : '–'
    lines.push(
      `| ${GROUP[w.group]}${w.label} | ${PHASES.map((p) => `${perTx(m, p)} (${m.phases[p].count.toLocaleString('en-US')})`).join(' | ')} | ${m.committed ? (sum / m.committed).toFixed(3) : '–'} | ${w.target.finalizeMsPerTx ? `≤ ${w.target.finalizeMsPerTx}` : '–'} | ${sims} |`,
    )
  }
  const verdicts: string[] = []
  for (const { w, m } of rows) {
    const t = w.target
    const ok = (b: boolean) => (b ? '**met**' : '**not met**')
    if (t.txPerSec)
      verdicts.push(
        `| ${w.label}: ≥ ${t.txPerSec.toLocaleString('en-US')} committed tx/s | ${num(m.txPerSec)} | ${ok(m.txPerSec >= t.txPerSec)} |`,
      )
    if (t.latencyBlocks) {
      const bound = t.latencyBlocks * BLOCK_MS
      verdicts.push(
        `| ${w.label}: latency p50 ≤ ${t.latencyBlocks} block times (${sec(bound)} s) | ${sec(m.latency.p50)} s | ${ok(m.latency.p50 <= bound)} |`,
      )
    }
    if (t.finalizeMsPerTx) {
      const fb = m.phases.finalizeBlock.totalMs / m.committed
      verdicts.push(`| ${w.label}: FinalizeBlock ≤ ${t.finalizeMsPerTx} ms per tx | ${fb.toFixed(3)} ms | ${ok(fb <= t.finalizeMsPerTx)} |`)
    }
  }
  if (verdicts.length) lines.push('', '| target (issue 11) | result | met |', '|---|---:|---|', ...verdicts)
  const notes: string[] = []
  for (const { w, m } of rows) {
    if (Object.keys(m.refused).length) notes.push(`- ${w.id}: refusals ${JSON.stringify(m.refused)}`)
    if (m.committed < m.txs) notes.push(`- ${w.id}: ${m.txs - m.committed} txs never committed`)
    if (m.machineBusyBefore !== undefined && m.machineBusyBefore >= 0.2)
      notes.push(`- ${w.id}: the machine was ${(m.machineBusyBefore * 100).toFixed(0)}% busy before the row, with its chain idle`)
  }
  if (notes.length) lines.push('', ...notes)
  return `${lines.join('\n')}\n\n`
}

function writeReport(file: string, section: string): void {
  const marker = section.split('\n')[0]!
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n\n'
  const start = existing.indexOf(marker)
  let next: string
  if (start === -1) next = `${existing.trimEnd()}\n\n${section}`
  else {
    const end = existing.indexOf('\n### ', start + marker.length)
    const endH2 = existing.indexOf('\n## ', start + marker.length)
    const stop = [end, endH2].filter((x) => x !== -1).sort((a, b) => a - b)[0]
    next = existing.slice(0, start) + section + (stop === undefined ? '' : existing.slice(stop + 1))
  }
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, next)
  log(`wrote ${file}`)
}

log(`machine: ${describeMachine()}`)
log(`rows: ${selected.map((w) => w.id).join(', ')}; ${TXS} txs each, block time ${BLOCK_TIME}`)
const rows: Row[] = []
for (const w of selected) rows.push(await runRow(w))
const report = render(rows)
process.stdout.write(report)
if (flags.out) writeReport(flags.out, report)
