/**
 * Per-phase cost of inference-calling txs with nothing else running: the app driven through its
 * ABCI handlers in-process (real LevelDB, real onnxruntime-node executor, no CometBFT, no
 * JSON-RPC), each phase timed and CPU-profiled on its own, so a live run's numbers
 * (bench/pipe/run.ts) can be split into ms per tx of each step.
 *
 *   node --import tsx bench/pipe/phases.ts [--cost 0.1] [--txs 400] [--strategies pipe,inline] [--top 12] [--profiles <dir>]
 *        [--size 512]
 *
 * `--size n` builds a model of about `--cost` ms whose input and output are n wide (one MatMul
 * over fewer rows), instead of `buildCostModel({ targetMs })`'s shape: to tell the cost of the
 * tensor size (ABI work per element) from the cost of the model.
 *
 * Steps, one block of `--txs` txs (each a direct precompile call with a distinct input, as in
 * run.ts, gas from one estimate; at most what fits the 100M block gas limit):
 *  1. CheckTx(NEW) of every tx (prefetch, then check, as the ABCI server does);
 *  2. pipe: until every tx is ready (simulated, inference computed, re-simulated);
 *  3. an empty block (Prepare/Process/Finalize/Commit): the txs stay pending;
 *  4. CheckTx(RECHECK) of every tx, as CometBFT does after each commit;
 *  5. pipe: until every tx is ready again (the mempool re-simulates ready txs after a commit);
 *  6. PrepareProposal with every tx offered; 7. ProcessProposal; 8. FinalizeBlock; 9. Commit.
 * For each step: ms, ms per tx, and the functions that took the main thread's time.
 */

import fs from 'node:fs'
import { Session } from 'node:inspector/promises'
import os from 'node:os'
import path from 'node:path'
import { createAddressFromString } from '@ethereumjs/util'
import { CheckTxType } from 'cosmjs-types/tendermint/abci/types'
import { hexToBytes, keccak256, toHex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { abciHandlers } from '../../app/abci/handlers.ts'
import { initCrypto } from '../../app/crypto.ts'
import { silentLogger } from '../../app/log.ts'
import { CallSimulator } from '../../app/modules/evm/callSimulator.ts'
import { INFERENCE_PRECOMPILE_ADDRESS } from '../../app/modules/inference/precompile/abi.ts'
import { PipeApp } from '../../app/pipeApp.ts'
import { buildCostModel, type CostModelSpec, costModelSpecFor, MEASURED_MACS_PER_MS } from '../../scripts/models/modelFactory.ts'
import { InlineInferenceModule } from './inlineInference.ts'
import { type CpuProfile, projectOnly, summarizeProfile, topEntries } from './profileSummary.ts'
import { calldata, inputValues } from './workload.ts'

const args = process.argv.slice(2)
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(name)
  return i === -1 ? dflt : args[i + 1]!
}
const COST = Number(opt('--cost', '0.1'))
let TXS = Number(opt('--txs', '400'))
const STRATEGIES = opt('--strategies', 'pipe,inline').split(',') as ('pipe' | 'inline')[]
const TOP = Number(opt('--top', '12'))
const SIZE = args.includes('--size') ? Number(opt('--size', '')) : undefined
const SPEC: CostModelSpec = SIZE
  ? { size: SIZE, rows: Math.max(1, Math.round((COST * MEASURED_MACS_PER_MS) / (SIZE * SIZE))), matmuls: 1 }
  : costModelSpecFor({ targetMs: COST })
const PROFILES = args.includes('--profiles') ? path.resolve(opt('--profiles', '')) : undefined
const SENDERS = 100
const T0 = 1_700_000_000n
const PROPOSER = new Uint8Array(20).fill(0xab)

const session = new Session()
session.connect()
await session.post('Profiler.enable')
await session.post('Profiler.setSamplingInterval', { interval: 200 })

interface Step {
  name: string
  ms: number
  /** Main-thread time not idle (the rest waited: worker threads, I/O, timers). */
  busyMs: number
  perTx: number
  self: [string, number][]
  total: [string, number][]
}

async function step<T>(strategy: string, name: string, fn: () => Promise<T>): Promise<{ result: T; step: Step }> {
  await session.post('Profiler.start')
  const t0 = performance.now()
  const result = await fn()
  const ms = performance.now() - t0
  const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile }
  if (PROFILES) {
    fs.mkdirSync(PROFILES, { recursive: true })
    fs.writeFileSync(path.join(PROFILES, `${strategy}-${name.replace(/\W+/g, '_')}.cpuprofile`), JSON.stringify(profile))
  }
  const s = summarizeProfile(profile)
  const self = topEntries(s.self, TOP, (k) => k !== '(idle)' && k !== '(program)')
  const total = topEntries(s.total, TOP, projectOnly)
  process.stderr.write(`  ${name}: ${ms.toFixed(1)} ms, ${(ms / TXS).toFixed(3)} ms/tx\n`)
  return { result, step: { name, ms, busyMs: s.busyMs, perTx: ms / TXS, self, total } }
}

async function until(what: string, cond: () => boolean, timeoutMs = 300_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 1)) // not setImmediate: a spinning wait would show as main-thread work
  }
}

async function runStrategy(strategy: 'pipe' | 'inline'): Promise<Step[]> {
  await initCrypto()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pipe-phases-${strategy}-`))
  const app = await PipeApp.open(
    path.join(dir, 'data'),
    silentLogger,
    strategy === 'inline' ? { inferenceModule: InlineInferenceModule } : {},
  )
  const abci = abciHandlers(app)
  try {
    const senders = Array.from({ length: SENDERS }, (_, i) => privateKeyToAccount(keccak256(toHex(`pipe-phases-${i}`))))
    await abci.initChain({
      time: { seconds: T0, nanos: 0 },
      chainId: 'pipe_1337-1',
      validators: [],
      appStateBytes: new TextEncoder().encode(
        JSON.stringify({ evm: { accounts: senders.map((s) => ({ address: s.address, balance: (10n ** 21n).toString() })) } }),
      ),
      initialHeight: 1n,
      consensusParams: { block: { maxBytes: 22020096n, maxGas: 100_000_000n } } as never,
    })
    let height = 0n
    const block = (txs: Uint8Array[]) => ({
      txs,
      height,
      time: { seconds: T0 + height, nanos: 0 },
      proposerAddress: PROPOSER,
      nextValidatorsHash: new Uint8Array(32),
      misbehavior: [],
    })
    const emptyBlock = async () => {
      height = app.lastCommit.height + 1n
      const p = await abci.prepareProposal({ ...block([]), maxTxBytes: 22_000_000n, localLastCommit: { round: 0, votes: [] } })
      await abci.processProposal({ ...block(p.txs as Uint8Array[]), proposedLastCommit: { round: 0, votes: [] }, hash: new Uint8Array(32) })
      await abci.finalizeBlock({
        ...block(p.txs as Uint8Array[]),
        decidedLastCommit: { round: 0, votes: [] },
        hash: new Uint8Array(32).fill(1),
      })
      await abci.commit()
    }
    const emptyBlockAfterGenesis = emptyBlock // the first block after genesis, outside any measurement
    const { metadata } = await app.inference.hub.put(buildCostModel(SPEC))
    const width = SPEC.size
    await emptyBlockAfterGenesis()
    const GAS = await new CallSimulator(app.evm).estimateGas(
      {
        from: createAddressFromString(senders[0]!.address),
        to: createAddressFromString(INFERENCE_PRECOMPILE_ADDRESS),
        data: hexToBytes(calldata(metadata.cid, new Array(width).fill(999))),
      },
      app.evm.head()!,
    )
    const fit = Number(100_000_000n / GAS)
    if (TXS > fit) {
      process.stderr.write(`[${strategy}] ${TXS} txs of ${GAS} gas exceed the block gas limit: ${fit} txs\n`)
      TXS = fit
    }
    process.stderr.write(
      `[${strategy}] model ${COST} ms (probed ${(metadata.costMicros / 1000).toFixed(2)} ms, ${width} inputs), gas ${GAS}, signing ${TXS} txs…\n`,
    )
    const nonces = senders.map(() => 0)
    const raws: Uint8Array[] = []
    for (let i = 0; i < TXS; i++) {
      const s = i % SENDERS
      const hex = await senders[s]!.signTransaction({
        chainId: 1337,
        type: 'eip1559',
        nonce: nonces[s]!++,
        to: INFERENCE_PRECOMPILE_ADDRESS,
        data: calldata(metadata.cid, inputValues(i, width)),
        gas: GAS,
        maxFeePerGas: 50n * 10n ** 9n,
        maxPriorityFeePerGas: 1n,
      })
      raws.push(hexToBytes(hex))
    }
    // Decoded once here (txCache.decode hashes the raw tx on every call: polling it would cost more than what is measured).
    let eths: ReturnType<typeof app.evm.txCache.decode>[] = []
    const ready = () => eths.every((eth) => app.inference.mempool.isReady(eth))
    const steps: Step[] = []
    process.stderr.write(`[${strategy}] ${TXS} txs of the ${COST} ms model\n`)

    steps.push(
      (
        await step(strategy, 'CheckTx NEW', async () => {
          for (const tx of raws) abci.prefetchCheckTx?.({ tx, type: CheckTxType.NEW })
          for (const tx of raws) {
            const r = await abci.checkTx({ tx, type: CheckTxType.NEW })
            if (r.code) throw new Error(`CheckTx: ${r.log}`)
          }
        })
      ).step,
    )
    eths = raws.map((raw) => app.evm.txCache.decode(raw))
    if (strategy === 'pipe') steps.push((await step(strategy, 'pre-execution until all ready', () => until('ready', ready))).step)
    steps.push((await step(strategy, 'empty block', emptyBlock)).step)
    steps.push(
      (
        await step(strategy, 'CheckTx RECHECK', async () => {
          for (const tx of raws) {
            const r = await abci.checkTx({ tx, type: CheckTxType.RECHECK })
            if (r.code) throw new Error(`RECHECK: ${r.log}`)
          }
        })
      ).step,
    )
    if (strategy === 'pipe') steps.push((await step(strategy, 're-simulation until all ready', () => until('ready again', ready))).step)
    height = app.lastCommit.height + 1n
    const prepared = await step(strategy, 'PrepareProposal', () =>
      abci.prepareProposal({ ...block(raws), maxTxBytes: 22_000_000n, localLastCommit: { round: 0, votes: [] } }),
    )
    steps.push(prepared.step)
    const txs = prepared.result.txs as Uint8Array[]
    const included = txs.length - (strategy === 'pipe' ? 1 : 0)
    if (included !== TXS) throw new Error(`the proposal holds ${included} of ${TXS} txs`)
    const processed = await step(strategy, 'ProcessProposal', () =>
      abci.processProposal({ ...block(txs), proposedLastCommit: { round: 0, votes: [] }, hash: new Uint8Array(32) }),
    )
    if (processed.result.status !== 1) throw new Error('ProcessProposal rejected the proposal')
    steps.push(processed.step)
    const finalized = await step(strategy, 'FinalizeBlock', () =>
      abci.finalizeBlock({ ...block(txs), decidedLastCommit: { round: 0, votes: [] }, hash: new Uint8Array(32).fill(2) }),
    )
    const failed = (finalized.result.txResults ?? []).filter(
      (r) => r?.code || r?.events?.some((e) => e.attributes?.some((a) => a.key === 'ethereumTxFailed')),
    )
    if (failed.length > 0) throw new Error(`${failed.length} txs failed in FinalizeBlock`)
    steps.push(finalized.step)
    steps.push((await step(strategy, 'Commit', () => abci.commit())).step)
    return steps
  } finally {
    await app.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

const out: string[] = [
  `In-process, one block of ${TXS} txs, each calling the ${COST} ms cost model (${JSON.stringify(SPEC)}) once with its own input. ms and ms per tx of each step; then, per step, the functions that took the main thread's time (total = with callees, project functions only; self = on top of the stack).`,
  '',
]
const all: Record<string, Step[]> = {}
for (const s of STRATEGIES) all[s] = await runStrategy(s)
out.push(
  `| step | ${STRATEGIES.map((s) => `${s} ms · ms/tx (main thread busy ms/tx)`).join(' | ')} |`,
  `|---|${STRATEGIES.map(() => '---:').join('|')}|`,
)
const names = [...new Set(Object.values(all).flatMap((steps) => steps.map((x) => x.name)))]
for (const n of names)
  out.push(
    `| ${n} | ${STRATEGIES.map((s) => all[s]!.find((x) => x.name === n))
      .map((x) => (x ? `${x.ms.toFixed(0)} · ${x.perTx.toFixed(3)} (${(x.busyMs / TXS).toFixed(3)})` : '–'))
      .join(' | ')} |`,
  )
out.push('')
for (const s of STRATEGIES) {
  for (const st of all[s]!) {
    out.push(`${s} / ${st.name} (${st.ms.toFixed(0)} ms, ${st.perTx.toFixed(3)} ms/tx):`)
    out.push(`  total: ${st.total.map(([k, ms]) => `${k.replace(/ app\/.*$/, '')} ${(ms / TXS).toFixed(3)}`).join(', ')}`)
    out.push(`  self:  ${st.self.map(([k, ms]) => `${k.replace(/ (app|~)\/.*$/, '')} ${(ms / TXS).toFixed(3)}`).join(', ')}`)
  }
}
process.stdout.write(`${out.join('\n')}\n`)
session.disconnect()
