/**
 * FinalizeBlock of contract → model txs, in process (issue 11, item 3): where a block of
 * RiskScorer.score txs (contracts/examples/RiskScorer.sol: builds an OpenGradient
 * ModelInferenceRequest of 4 features, calls 0x…F4, decodes the ModelOutput, stores the first
 * value, emits an event) spends its FinalizeBlock time.
 *
 *   node --import tsx bench/pipe/finalizeProfile.ts [--blocks 12] [--profiled 6] [--txs 50] [--warmup 3]
 *        [--top 30] [--profile <file.cpuprofile>] [--callers text] [--count-ops] [--record <file> | --replay <file>]
 *
 * The app is driven through its ABCI handlers (real LevelDB, real onnxruntime executor, no
 * CometBFT, no JSON-RPC), model models/risk-scorer.onnx, one RiskScorer (VANILLA) deployed. Each
 * block holds `--txs` txs from the 10 dev accounts (in turn), each scoring its own account with
 * its own features (no two txs share a request or a storage slot). Every block goes the live way
 * — CheckTx(NEW), the inference mempool until every tx is ready, PrepareProposal,
 * ProcessProposal — and then FinalizeBlock and Commit, which are timed:
 *  - `--warmup` blocks first, not reported (JIT, caches);
 *  - `--blocks` timed blocks with no profiler: FinalizeBlock ms per tx, median (min–max);
 *  - `--profiled` more blocks under the V8 sampling profiler (100 µs): FinalizeBlock's main-thread
 *    time by category (each sample goes to the innermost frame that names a category; generic
 *    helpers — util, rlp, hashing, node internals — go to their caller) and the project
 *    functions' total time, in ms per tx. `--profile` also writes the merged samples of those
 *    blocks as one .cpuprofile (open in Chrome DevTools or bench/pipe/profile.ts).
 * `--count-ops` runs one more block with an EVM `step` listener and prints the opcodes a tx
 * executes, by name (that block is not timed: the listener slows the interpreter).
 * It prints the app hash after the last block and a digest of every block's FinalizeBlock
 * response. Live blocks carry results whose model gas comes from this node's probe of the model
 * (a timing), so two live runs differ; `--record <file>` writes the blocks a run finalized and
 * `--replay <file>` finalizes exactly those on a fresh app (txs decoded and senders recovered
 * before each block, as CheckTx would have; no ProcessProposal): the same digest before and after
 * a change means the change is bit-identical on this workload (test/block/finalizeDeterminism.test.ts
 * pins fixed blocks in the test suite). The machine is shared: run a few times, compare medians.
 */
import fs from 'node:fs'
import { Session } from 'node:inspector/promises'
import { createAddressFromString } from '@ethereumjs/util'
import {
  CheckTxType,
  type RequestFinalizeBlock,
  ResponseProcessProposal_ProposalStatus as Status,
} from 'cosmjs-types/tendermint/abci/types'
import { type Abi, encodeDeployData, encodeFunctionData, getContractAddress, type Hex, hexToBytes, toHex } from 'viem'
import { sha256 } from '../../app/crypto.ts'
import { CallSimulator } from '../../app/modules/evm/callSimulator.ts'
import { loadContract } from '../../test/support/contracts.ts'
import { devKeys, GENESIS_TIME, type InProcessApp, openInProcessApp, PROPOSER, signedTx } from '../../test/support/inProcessApp.ts'
import { type CpuProfile, projectOnly, summarizeProfile, topEntries } from './profileSummary.ts'

const args = process.argv.slice(2)
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(name)
  return i === -1 ? dflt : args[i + 1]!
}
const BLOCKS = Number(opt('--blocks', '12'))
const PROFILED = Number(opt('--profiled', '6'))
const TXS = Number(opt('--txs', '50'))
const WARMUP = Number(opt('--warmup', '3'))
const TOP = Number(opt('--top', '30'))
const PROFILE_OUT = args.includes('--profile') ? opt('--profile', '') : undefined
const CALLERS = args.includes('--callers') ? opt('--callers', '') : undefined
const COUNT_OPS = args.includes('--count-ops')
const RECORD = args.includes('--record') ? opt('--record', '') : undefined
const REPLAY = args.includes('--replay') ? opt('--replay', '') : undefined
const SENDERS = 10

const log = (s: string) => process.stderr.write(`${s}\n`)

/** Four features of input `idx` (× 10^-3), distinct for every idx < 1,000,000. */
export function features(idx: number): bigint[] {
  return [idx % 1000, Math.floor(idx / 1000) % 1000, (idx * 37 + 11) % 1000, (idx * 91 + 250) % 1000].map((v) => BigInt(v - 500))
}
/** The account a call scores: distinct per input, so no two txs write one slot. */
export const scoredAccount = (idx: number): Hex => `0x${(0x5c0000 + idx).toString(16).padStart(40, '0')}`

// ------------------------------------------------------------------ profile categories

/**
 * Categories by the frame's `name file:line` key (profileSummary's), first match wins. A sample
 * goes to the innermost frame that matches one; frames matching GENERIC are passed over.
 */
const CATEGORIES: [string, (k: string) => boolean][] = [
  ['precompile: input decode', (k) => k.includes('precompile/abiDecoder')],
  ['precompile: output/event encode', (k) => k.includes('precompile/abiEncoder')],
  ['precompile: request (input hash, key)', (k) => k.includes('inference/types/request')],
  ['precompile: other', (k) => k.includes('inference/precompile/')],
  ['inference block recorder', (k) => k.includes('inference/block/blockRecorder')],
  ['inference keeper (records)', (k) => k.includes('inference/block/keeper') || k.includes('inferenceRecord')],
  ['inference module (other)', (k) => k.includes('app/modules/inference/')],
  ['RecordingStateManager', (k) => k.includes('recordingStateManager')],
  ['EVM jumpdest analysis', (k) => k.startsWith('_getValidJumpDestinations ')],
  ['EVM memory', (k) => k.includes('@ethereumjs/evm/') && k.includes('/memory.js')],
  ['EVM stack', (k) => k.includes('@ethereumjs/evm/') && k.includes('/stack.js')],
  ['EVM dynamic gas', (k) => k.includes('@ethereumjs/evm/') && k.includes('/opcodes/gas.js')],
  ['EVM opcodes', (k) => k.includes('@ethereumjs/evm/') && k.includes('/opcodes/')],
  [
    'EVM interpreter loop',
    (k) => (k.includes('@ethereumjs/evm/') && k.includes('/interpreter.js')) || k.includes('modules/evm/fastInterpreter'),
  ],
  ['EVM journal', (k) => k.includes('@ethereumjs/evm/') && k.includes('/journal.js')],
  ['EVM message/call setup', (k) => k.includes('@ethereumjs/evm/')],
  ['VM receipts/bloom', (k) => k.includes('@ethereumjs/vm/') && (k.includes('bloom') || k.includes('Receipt'))],
  ['VM runTx', (k) => k.includes('@ethereumjs/vm/')],
  ['state manager (caches, checkpoints)', (k) => k.includes('@ethereumjs/statemanager/')],
  ['trie', (k) => k.includes('@ethereumjs/mpt/')],
  ['tx object (accessors, hashing)', (k) => k.includes('@ethereumjs/tx/')],
  ['block header', (k) => k.includes('@ethereumjs/block/')],
  ['Common (param lookups)', (k) => k.includes('@ethereumjs/common/')],
  ['tx decode (block txs)', (k) => k.includes('modules/evm/ethTx') || k.includes('block/blockTx') || k.includes('modules/evm/mempool')],
  ['receipts/tx roots', (k) => k.includes('modules/evm/orderedTrie')],
  ['evmBlock (receipts, header, stored txs)', (k) => k.includes('modules/evm/evmBlock')],
  ['evm keeper, block store', (k) => k.includes('app/modules/evm/')],
  ['block executor', (k) => k.includes('app/block/')],
  ['auth (account numbers)', (k) => k.includes('app/modules/auth/')],
  ['store (chained keepers, write set)', (k) => k.includes('app/store/')],
  ['ABCI handler, app hash', (k) => k.includes('app/abci/') || k.includes('app/appHash') || k.includes('app/lastCommit')],
  ['viem', (k) => k.includes('~/viem/') || k.includes('~/ox/')],
  ['GC', (k) => k.startsWith('(garbage collector)')],
]
const GENERIC = (k: string): boolean =>
  k.includes('@ethereumjs/util/') ||
  k.includes('@ethereumjs/rlp/') ||
  k.includes('app/crypto') ||
  k.includes('hash-wasm') ||
  k.includes('@noble/') ||
  k.includes('ethereum-cryptography') ||
  k.includes('~/debug/') ||
  k.includes('node:') ||
  !/ \S+:\d+$/.test(k) // builtins and natives without a file

function categorize(profile: CpuProfile, into: Map<string, number>): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const keyOf = (id: number) => {
    const f = byId.get(id)!.callFrame
    let where = f.url.replace(/^file:\/\//, '').replace(/^.*node_modules\//, '~/')
    if (where.startsWith(process.cwd())) where = where.slice(process.cwd().length + 1)
    return `${f.functionName || '(anonymous)'} ${where ? `${where}:${f.lineNumber + 1}` : ''}`.trim()
  }
  const memo = new Map<number, string>()
  const categoryOf = (leaf: number): string => {
    const hit = memo.get(leaf)
    if (hit) return hit
    let found: string | undefined
    let firstSpecific: string | undefined
    for (let id: number | undefined = leaf; id !== undefined && !found; id = parent.get(id)) {
      const k = keyOf(id)
      if (k.startsWith('(idle)') || k.startsWith('(program)')) found = k.slice(0, k.indexOf(')') + 1)
      else if (k.startsWith('(garbage collector)')) found = 'GC'
      else if (!GENERIC(k)) {
        found = CATEGORIES.find(([, m]) => m(k))?.[0]
        firstSpecific ??= k
      }
    }
    const c = found ?? `other: ${firstSpecific ?? keyOf(leaf)}`
    memo.set(leaf, c)
    return c
  }
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000
    const c = categoryOf(profile.samples[i]!)
    into.set(c, (into.get(c) ?? 0) + dt)
  }
}

/** Profiles taken one after another, as one (samples concatenated, node ids renumbered). */
function mergeProfiles(profiles: CpuProfile[]): CpuProfile {
  const out: CpuProfile = { nodes: [], startTime: profiles[0]!.startTime, endTime: 0, samples: [], timeDeltas: [] }
  let offset = 0
  for (const p of profiles) {
    const max = Math.max(...p.nodes.map((n) => n.id))
    for (const n of p.nodes) out.nodes.push({ ...n, id: n.id + offset, children: n.children?.map((c) => c + offset) })
    for (const s of p.samples) out.samples.push(s + offset)
    // A profile's first delta is from its own start: 0 here, so a block's last sample does not get the gap between blocks.
    out.timeDeltas.push(0, ...p.timeDeltas.slice(1))
    out.endTime = out.startTime + out.timeDeltas.reduce((a, b) => a + b, 0)
    offset += max
  }
  return out
}

// ------------------------------------------------------------------ the chain

/** Where the blocks come from: made live (CheckTx, the mempool, PrepareProposal, ProcessProposal), or replayed from a file. */
interface Chain {
  a: InProcessApp
  /** The next block's FinalizeBlock txs, and how long ProcessProposal took (NaN when replayed). */
  next(): Promise<{ txs: Uint8Array[]; processMs: number }>
  /** Every block so far, the deployment first (what --record writes). */
  recorded: Uint8Array[][]
}

const scorerAbi = loadContract('RiskScorer').abi as Abi
function scoreCall(idx: number): Hex {
  return encodeFunctionData({ abi: scorerAbi, functionName: 'score', args: [scoredAccount(idx), features(idx), 3n] })
}

const headerAt = (height: bigint) => ({
  height,
  time: { seconds: GENESIS_TIME.seconds + height, nanos: 0 },
  proposerAddress: PROPOSER,
  nextValidatorsHash: new Uint8Array(32),
  misbehavior: [],
})

async function liveChain(): Promise<Chain> {
  const a = await openInProcessApp()
  const { metadata } = await a.app.inference.hub.put(fs.readFileSync('models/risk-scorer.onnx'))
  const scorer = loadContract('RiskScorer')
  const deploy = signedTx(0, 0n, {
    data: encodeDeployData({ abi: scorer.abi as Abi, bytecode: scorer.bytecode as Hex, args: [metadata.cid, 0] }),
    gasLimit: 3_000_000n,
  })
  const dep = await a.block([deploy])
  if (dep.codes.some((c) => c !== 0)) throw new Error(`deployment failed: ${dep.logs.join('; ')}`)
  const contract = getContractAddress({ from: devKeys[0]!.address as Hex, nonce: 0n })
  const estimated = await new CallSimulator(a.app.evm).estimateGas(
    { from: createAddressFromString(devKeys[1]!.address), to: createAddressFromString(contract), data: hexToBytes(scoreCall(0)) },
    a.app.evm.head()!,
  )
  const gas = (estimated * 12n) / 10n
  log(`RiskScorer at ${contract}, ${gas} gas per tx`)
  const nonces = Array.from({ length: SENDERS }, (_, i) => (i === 0 ? 1n : 0n))
  let idx = 0
  const recorded = [[deploy]]
  return {
    a,
    recorded,
    async next() {
      const txs: Uint8Array[] = []
      for (let i = 0; i < TXS; i++, idx++) {
        const s = idx % SENDERS
        txs.push(signedTx(s, nonces[s]!++, { to: contract, data: scoreCall(idx), gasLimit: gas }))
      }
      for (const tx of txs) {
        const r = await a.abci.checkTx({ tx, type: CheckTxType.NEW })
        if (r.code !== 0) throw new Error(`CheckTx: ${r.log}`)
      }
      const eths = txs.map((t) => a.app.evm.txCache.decode(t))
      for (let i = 0; !eths.every((e) => a.app.inference.mempool.isReady(e)); i++) {
        if (i > 6000) throw new Error('txs not ready after 60 s')
        await new Promise((r) => setTimeout(r, 10))
      }
      const header = headerAt(a.app.lastCommit.height + 1n)
      const proposal = (await a.abci.prepareProposal({ ...header, txs, maxTxBytes: 22_000_000n, localLastCommit: { round: 0, votes: [] } }))
        .txs as Uint8Array[]
      if (proposal.length !== txs.length + 1) throw new Error(`the proposal holds ${proposal.length - 1} of ${txs.length} txs`)
      const t = performance.now()
      const processed = await a.abci.processProposal({
        ...header,
        txs: proposal,
        proposedLastCommit: { round: 0, votes: [] },
        hash: new Uint8Array(32),
      })
      const processMs = performance.now() - t
      if (processed.status !== Status.ACCEPT) throw new Error('ProcessProposal rejected the proposal')
      recorded.push(proposal)
      return { txs: proposal, processMs }
    },
  }
}

/** Blocks a --record run wrote, on a fresh app: the same FinalizeBlock requests, so the digest is comparable across code versions. */
async function replayedChain(file: string): Promise<Chain> {
  const blocks = (JSON.parse(fs.readFileSync(file, 'utf8')) as Hex[][]).map((b) => b.map((t) => hexToBytes(t)))
  const a = await openInProcessApp()
  const dep = await a.block(blocks[0]!, { skipCheckTx: true })
  if (dep.codes.some((c) => c !== 0)) throw new Error(`deployment failed: ${dep.logs.join('; ')}`)
  let i = 1
  return {
    a,
    recorded: blocks,
    async next() {
      const txs = blocks[i++]
      if (!txs) throw new Error(`${file} holds ${blocks.length - 1} blocks, fewer than asked for`)
      // As CheckTx would have: decoded and the sender recovered before the block.
      for (const raw of txs.slice(1)) a.app.evm.txCache.decode(raw).sender
      return { txs, processMs: Number.NaN }
    },
  }
}

interface BlockRun {
  processMs: number
  finalizeMs: number
  /** CPU time of the process during FinalizeBlock (the executor's threads are idle then: ≈ the main thread's). */
  finalizeCpuMs: number
  commitMs: number
  appHash: Uint8Array
  response: string
  profile?: CpuProfile
}

async function runBlock(c: Chain, session?: Session): Promise<BlockRun> {
  const { a } = c
  const { txs, processMs } = await c.next()
  const height = a.app.lastCommit.height + 1n
  const req: RequestFinalizeBlock = {
    ...headerAt(height),
    txs,
    decidedLastCommit: { round: 0, votes: [] },
    hash: new Uint8Array(32).fill(Number(height % 256n)),
  }
  if (session) await session.post('Profiler.start')
  const cpu = process.cpuUsage()
  let t = performance.now()
  const res = await a.abci.finalizeBlock(req)
  const finalizeMs = performance.now() - t
  const used = process.cpuUsage(cpu)
  const finalizeCpuMs = (used.user + used.system) / 1000
  const profile = session ? ((await session.post('Profiler.stop')) as { profile: CpuProfile }).profile : undefined
  const failed = (res.txResults ?? []).filter(
    (r) => r?.code || r?.events?.some((e) => e.attributes?.some((x) => x.key === 'ethereumTxFailed')),
  )
  if (failed.length > 0) throw new Error(`${failed.length} txs failed in FinalizeBlock: ${failed.map((r) => r?.log).join('; ')}`)
  t = performance.now()
  await a.abci.commit()
  const commitMs = performance.now() - t
  const response = JSON.stringify(res, (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? toHex(v) : v))
  return { processMs, finalizeMs, finalizeCpuMs, commitMs, appHash: res.appHash as Uint8Array, response, profile }
}

// ------------------------------------------------------------------ main

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const range = (xs: number[]) => `${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)}`

const chain = REPLAY ? await replayedChain(REPLAY) : await liveChain()
try {
  log(`${REPLAY ? `replaying ${REPLAY}: ` : ''}${WARMUP} warm-up, ${BLOCKS} timed, ${PROFILED} profiled blocks of ${TXS} txs`)
  const responses: string[] = []
  for (let b = 0; b < WARMUP; b++) responses.push((await runBlock(chain)).response)
  const timed: BlockRun[] = []
  for (let b = 0; b < BLOCKS; b++) {
    const r = await runBlock(chain)
    timed.push(r)
    responses.push(r.response)
    log(`  block ${b + 1}/${BLOCKS}: FinalizeBlock ${r.finalizeMs.toFixed(1)} ms (${(r.finalizeMs / TXS).toFixed(3)} ms/tx)`)
  }
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 100 })
  const profiled: BlockRun[] = []
  for (let b = 0; b < PROFILED; b++) {
    const r = await runBlock(chain, session)
    profiled.push(r)
    responses.push(r.response)
  }
  session.disconnect()
  let ops: Map<string, number> | undefined
  if (COUNT_OPS) {
    ops = new Map()
    const counts = ops
    const vm = (chain.a.app.evm as unknown as { working: { vm: import('@ethereumjs/vm').VM } }).working.vm
    const onStep = (s: { opcode: { name: string } }) => counts.set(s.opcode.name, (counts.get(s.opcode.name) ?? 0) + 1)
    vm.evm.events!.on('step', onStep)
    responses.push((await runBlock(chain)).response)
    vm.evm.events!.off('step', onStep)
  }
  const last = profiled.at(-1) ?? timed.at(-1)!
  if (RECORD) fs.writeFileSync(RECORD, JSON.stringify(chain.recorded.map((b) => b.map((t) => toHex(t)))))

  const fin = timed.map((r) => r.finalizeMs / TXS)
  const cpu = timed.map((r) => r.finalizeCpuMs / TXS)
  const proc = timed.map((r) => r.processMs / TXS)
  const com = timed.map((r) => r.commitMs / TXS)
  const out: string[] = []
  out.push(`FinalizeBlock of ${TXS} RiskScorer.score txs (10 senders), ${BLOCKS} blocks, no profiler:`)
  out.push(`  FinalizeBlock   ${median(fin).toFixed(3)} ms/tx median (${range(fin)})`)
  out.push(`  FinalizeBlock   ${median(cpu).toFixed(3)} ms/tx CPU time median (${range(cpu)})`)
  if (!REPLAY) out.push(`  ProcessProposal ${median(proc).toFixed(3)} ms/tx median (${range(proc)})`)
  out.push(`  Commit          ${median(com).toFixed(3)} ms/tx median (${range(com)})`)
  out.push(`  per block: ${fin.map((x) => x.toFixed(3)).join(' ')}`)
  out.push(`app hash after block ${chain.a.app.lastCommit.height}: ${toHex(last.appHash)}`)
  out.push(`digest of ${responses.length} FinalizeBlock responses: ${toHex(sha256(new TextEncoder().encode(responses.join('\n'))))}`)
  if (profiled.length > 0) {
    const n = TXS * profiled.length
    const pfin = profiled.map((r) => r.finalizeMs / TXS)
    const merged = mergeProfiles(profiled.map((r) => r.profile!))
    if (PROFILE_OUT) fs.writeFileSync(PROFILE_OUT, JSON.stringify(merged))
    const cats = new Map<string, number>()
    for (const r of profiled) categorize(r.profile!, cats)
    const busy = [...cats].filter(([k]) => k !== '(idle)').reduce((s, [, v]) => s + v, 0)
    out.push('')
    out.push(
      `Profiled (${profiled.length} blocks, 100 µs sampling): FinalizeBlock ${median(pfin).toFixed(3)} ms/tx median with the profiler on;`,
    )
    out.push(
      `main thread busy ${(busy / n).toFixed(3)} ms/tx, idle ${((cats.get('(idle)') ?? 0) / n).toFixed(3)} ms/tx. By category (ms/tx, % of busy):`,
    )
    for (const [k, ms] of topEntries(cats, TOP, (k) => k !== '(idle)'))
      out.push(`  ${(ms / n).toFixed(3).padStart(7)} ${((ms / busy) * 100).toFixed(1).padStart(5)}%  ${k}`)
    const s = summarizeProfile(merged, CALLERS)
    out.push('')
    out.push('Project functions, total time with callees (ms/tx):')
    for (const [k, ms] of topEntries(s.total, TOP, projectOnly)) out.push(`  ${(ms / n).toFixed(3).padStart(7)}  ${k}`)
    out.push('')
    out.push('Self time, top functions (ms/tx):')
    for (const [k, ms] of topEntries(s.self, TOP, (k) => !k.startsWith('(idle)'))) out.push(`  ${(ms / n).toFixed(3).padStart(7)}  ${k}`)
    if (CALLERS) {
      out.push('')
      out.push(`Callers of "${CALLERS}" (ms/tx):`)
      for (const [k, ms] of topEntries(s.callers, TOP)) out.push(`  ${(ms / n).toFixed(3).padStart(7)}  ${k}`)
    }
  }
  if (ops) {
    const all = [...ops.values()].reduce((x, y) => x + y, 0)
    out.push('')
    out.push(
      `Opcodes executed: ${(all / TXS).toFixed(0)} per tx; by name (per tx): ${topEntries(ops, 40)
        .map(([k, v]) => `${k} ${(v / TXS).toFixed(0)}`)
        .join(', ')}`,
    )
  }
  process.stdout.write(`${out.join('\n')}\n`)
} finally {
  await chain.a.close()
  fs.rmSync(chain.a.dir, { recursive: true, force: true })
}
