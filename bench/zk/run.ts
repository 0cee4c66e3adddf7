/**
 * ZKML on the example model (models/risk-scorer.onnx, called by contracts/examples/RiskScorer.sol),
 * VANILLA and ZK side by side in one run:
 *
 *   npm run bench:zk [-- --rounds 7] [--verifies 20] [--proves 21] [--latency 20] [--load-seconds 90]
 *        [--load-rate 0.5] [--block-time 1s] [--home <dir>] [--skip-blocks] [--skip-live] [--quiet-wait 600]
 *        [--out <file.md>]
 *
 * 1. Setup, prove, verify, size. zkSetup (scripts/zk/zkSetup.ts) with its per-step progress, in a
 *    fresh home unless `--home` (so the SRS is generated, not taken from the cache). Then, on an
 *    in-process app with the model registered, a ZkProver with 1 thread (the node's default; its
 *    own check of each proof switched off here, so proving is timed alone) proves distinct inputs
 *    one after the other, each proof verified right after by a ZkVerifier with 1 thread (one
 *    core): p50 per proof over every proof but the first (which starts the threads), at least
 *    `--proves`, and as many as the later parts need valid inputs. A proof that does not verify
 *    (an input outside the lookup ranges calibration chose) is counted and its input named; the
 *    block and load workloads send only inputs proved valid here, and the live part sends one
 *    invalid input besides, which the node must drop in its mempool while blocks go on.
 *    Proof sizes: the artefact results txs carry, its proof bytes, the JSON @ezkljs/engine
 *    verifies, and EZKL's proof.json from the setup's self-check.
 * 2. ProcessProposal with 16 ZK proofs, by a validator that did not make them. App A (the proposer)
 *    holds 16 distinct RiskScorer.score txs (ZK contract) from 4 senders, proved by its mempool,
 *    and proposes them. For each of `--rounds` rounds a fresh app B (same genesis and blocks, the
 *    model and artefacts in its own hub, its circuit loaded, its verifier threads started on other
 *    proofs) processes A's proposal of the 16 VANILLA twins (same inputs, the VANILLA contract),
 *    then the ZK proposal, timed: its verifier has seen none of those proofs. Bound:
 *    16 × (one verify, p50 of 1.) ÷ cores + 50 ms.
 * 3. FinalizeBlock of 16 ZK txs vs the same 16 VANILLA txs, on A: `--rounds` blocks of each mode
 *    (alternating which goes first), each Prepare → Process → Finalize (timed) → Commit, as a
 *    validator runs them. Target: ZK ≤ 1.2 × VANILLA (medians).
 * 4. A real 1-validator localnet (cometbft + pipe node, `--block-time`): the model uploaded and
 *    registered with the real CLI (`pipe model register <cid> --zk`), RiskScorer deployed twice
 *    (mode 0 and 1). (a) Latency alone: `--latency` txs per mode, alternating, one at a time,
 *    round-robin over 4 senders: submit → the newHeads notification of the block holding it.
 *    (b) Sustained load: ZK txs from 4 other senders at `--load-rate` tx/s for `--load-seconds`
 *    (above what one prover thread proves), VANILLA txs from the first 4 senders at the same rate
 *    meanwhile; committed ZK txs/s, latency per mode under load, and every block interval from
 *    the first submission to the last ZK commit (CometBFT header times and newHeads arrivals)
 *    against block time + 1 s.
 * Before each timed section the benchmark waits (at most `--quiet-wait` s) until under 20% of the
 * machine is busy, and it reports how many cores other processes used while each section ran.
 * Progress goes to stderr; the markdown tables to stdout (and `--out`).
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CheckTxType, ResponseProcessProposal_ProposalStatus as Status } from 'cosmjs-types/tendermint/abci/types'
import { type Abi, encodeDeployData, getContractAddress, type Hex, keccak256 } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { devAccounts } from '../../app/modules/evm/devAccounts.ts'
import { DEFAULT_SIMULATION_THREADS } from '../../app/modules/inference/mempool/txSimulator.ts'
import { ZK_PROVING_TIMEOUT_MS } from '../../app/modules/inference/params.ts'
import { inferenceRequest } from '../../app/modules/inference/types/request.ts'
import { VerificationMode } from '../../app/modules/inference/types/verificationMode.ts'
import { decodeZkProof, engineProofJson } from '../../app/modules/inference/verification/zkProof.ts'
import { ZkProver } from '../../app/modules/inference/verification/zkProver.ts'
import { ZkVerifier } from '../../app/modules/inference/verification/zkVerifier.ts'
import { formatZkProgress, ZK_ARTEFACT_NAMES, type ZkArtefacts, type ZkSetupProgress, zkSetup } from '../../scripts/zk/zkSetup.ts'
import { loadContract } from '../../test/support/contracts.ts'
import { row } from '../../test/support/inference.ts'
import { GENESIS_TIME, type InProcessApp, openInProcessApp, PROPOSER, signedTx } from '../../test/support/inProcessApp.ts'
import { PORT_OFFSETS, startTestChain, type TestChain } from '../../test/support/testChain.ts'
import { riskFeatures as features, riskScoreCall as scoreCall } from '../../test/support/workload.ts'
import { registerModelTx } from '../../test/support/zk.ts'
import { otherLoad, quietMachine } from '../machine.ts'
import { BlockWatcher, rpc } from '../pipe/chain.ts'

// ---------------------------------------------------------------- options

const argv = process.argv.slice(2)
const flag = (name: string) => argv.includes(name)
const opt = (name: string, dflt: string): string => {
  const i = argv.indexOf(name)
  if (i === -1) return dflt
  const v = argv[i + 1]
  if (v === undefined) throw new Error(`${name} needs a value`)
  return v
}
const known = new Set([
  '--rounds',
  '--verifies',
  '--proves',
  '--latency',
  '--load-seconds',
  '--load-rate',
  '--block-time',
  '--home',
  '--out',
  '--skip-live',
  '--skip-blocks',
  '--quiet-wait',
])
for (const a of argv) if (a.startsWith('--') && !known.has(a)) throw new Error(`unknown flag ${a}`)
const ROUNDS = Number(opt('--rounds', '7'))
const VERIFIES = Number(opt('--verifies', '20'))
const PROVES = Math.max(Number(opt('--proves', String(VERIFIES + 1))), VERIFIES + 1)
const LATENCY_TXS = Number(opt('--latency', '20'))
const LOAD_SECONDS = Number(opt('--load-seconds', '90'))
const LOAD_RATE = Number(opt('--load-rate', '0.5'))
const BLOCK_TIME = opt('--block-time', '1s')
const OUT = argv.includes('--out') ? opt('--out', '') : undefined
const SKIP_LIVE = flag('--skip-live')
const SKIP_BLOCKS = flag('--skip-blocks')
const SRS_HOME_GIVEN = argv.includes('--home')
/** How long to wait for a quiet machine before each timed section, at most. */
const QUIET_WAIT_MS = Number(opt('--quiet-wait', '600')) * 1000

const MODEL_FILE = 'models/risk-scorer.onnx'
const ZK = VerificationMode.VERIFICATION_MODE_ZKML
const VANILLA = VerificationMode.VERIFICATION_MODE_VANILLA
const CORES = os.availableParallelism()
/** Txs per block in 2. and 3. */
const BLOCK_TXS = 16
/** Senders of one block's txs (4 txs each). */
const SENDERS_PER_BLOCK = 4
const TX_GAS = 2_000_000n
/** ZK txs admitted to A's mempool at once (their proofs must all be done within ZK_PROVING_TIMEOUT_MS). */
const ZK_BATCH = 48
/** A proof during which other processes kept this many cores busy is left out of the prove/verify times. */
const NOISY_CORES = 0.2
/** Inputs the screen proves at most. */
const MAX_SCREENED = 1000
const scorer = loadContract('RiskScorer')
const scorerAbi = scorer.abi as Abi
const dev = devAccounts(10)

const t0 = performance.now()
const log = (s: string) => process.stderr.write(`[zk-bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${s}\n`)

// ---------------------------------------------------------------- small helpers

interface Summary {
  n: number
  p50: number
  p90: number
  p99: number
  min: number
  max: number
  mean: number
}

/** Nearest-rank percentiles. */
function summarize(xs: readonly number[]): Summary {
  if (xs.length === 0) return { n: 0, p50: NaN, p90: NaN, p99: NaN, min: NaN, max: NaN, mean: NaN }
  const s = [...xs].sort((a, b) => a - b)
  const pct = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!
  return {
    n: s.length,
    p50: pct(0.5),
    p90: pct(0.9),
    p99: pct(0.99),
    min: s[0]!,
    max: s.at(-1)!,
    mean: s.reduce((a, b) => a + b, 0) / s.length,
  }
}
const median = (xs: readonly number[]) => summarize(xs).p50
const ms = (x: number, digits = 1) => `${x.toFixed(digits)} ms`
const sec = (x: number, digits = 2) => `${(x / 1000).toFixed(digits)} s`
const kib = (b: number) => (b >= 10_240 ? `${(b / 1024).toFixed(1)} KiB` : `${b.toLocaleString('en')} B`)
const sleep = (t: number) => new Promise((r) => setTimeout(r, t))

/** Cores other processes kept busy during each timed section (one entry per time it ran). */
const others = new Map<string, number[]>()

/** Runs a timed section once the machine is quiet, and notes what other processes used meanwhile. */
async function measured<T>(section: string, fn: () => Promise<T>): Promise<T> {
  await quietMachine(log, QUIET_WAIT_MS)
  const load = otherLoad()
  try {
    return await fn()
  } finally {
    const cores = load.stop()
    others.set(section, [...(others.get(section) ?? []), cores])
    if (cores > 0.2) log(`  (other processes kept ${cores.toFixed(2)} cores busy during ${section})`)
  }
}

// ---------------------------------------------------------------- 1. setup

interface SetupResult {
  zk: ZkArtefacts
  steps: { step: string; seconds: number; detail: string }[]
  wallMs: number
}

async function runSetup(home: string): Promise<SetupResult> {
  log(`ZK setup of ${MODEL_FILE} (SRS cache under ${home})`)
  const steps: SetupResult['steps'] = []
  let start = NaN
  const zk = await measured('setup', () => {
    start = performance.now()
    return zkSetup(fs.readFileSync(MODEL_FILE), {
      home,
      onProgress: (p: ZkSetupProgress) => {
        log(`  ${formatZkProgress(p)}`)
        if (p.status === 'done') {
          const line = formatZkProgress(p)
          const detail = line.includes(': ') ? line.slice(line.indexOf(': ') + 2) : ''
          steps.push({ step: p.step, seconds: p.seconds ?? NaN, detail })
        }
      },
    })
  })
  return { zk, steps, wallMs: performance.now() - start }
}

// ---------------------------------------------------------------- in-process chain

interface Chain {
  cid: string
  registerTx: Uint8Array
  deploys: Uint8Array[]
  contracts: { vanilla: Hex; zk: Hex }
}

/** Puts the model and its artefacts in `a`'s hub: the model's CID and the registration's artefact list. */
async function putModel(a: InProcessApp, zk: ZkArtefacts): Promise<{ cid: string; artefacts: { name: string; cid: string }[] }> {
  const { metadata } = await a.app.inference.hub.put(fs.readFileSync(MODEL_FILE))
  const artefacts: { name: string; cid: string }[] = []
  for (const name of ZK_ARTEFACT_NAMES) artefacts.push({ name, cid: await a.app.inference.hub.putArtefact(zk.files[name]) })
  return { cid: metadata.cid, artefacts }
}

/** The blocks every in-process app runs first: an empty one, the registration, the two deployments. */
async function prepareChain(a: InProcessApp, zk: ZkArtefacts, chain?: Chain): Promise<Chain> {
  const { cid, artefacts } = await putModel(a, zk)
  const registerTx =
    chain?.registerTx ?? (await registerModelTx(9, 0, { cid, modes: [VANILLA, ZK], verifyingKeyHash: zk.verifyingKeyHash, artefacts }))
  const deploys = chain?.deploys ?? [
    signedTx(0, 0n, { data: encodeDeployData({ abi: scorerAbi, bytecode: scorer.bytecode, args: [cid, 0] }), gasLimit: 3_000_000n }),
    signedTx(0, 1n, { data: encodeDeployData({ abi: scorerAbi, bytecode: scorer.bytecode, args: [cid, 1] }), gasLimit: 3_000_000n }),
  ]
  await a.block([])
  const reg = await a.block([registerTx])
  if (reg.codes.some((c) => c !== 0)) throw new Error(`registration failed: ${reg.logs.join('; ')}`)
  const dep = await a.block(deploys)
  if (dep.codes.some((c) => c !== 0)) throw new Error(`deployment failed: ${dep.logs.join('; ')}`)
  const from = dev[0]!.address as Hex
  return {
    cid,
    registerTx,
    deploys,
    contracts: { vanilla: getContractAddress({ from, nonce: 0n }), zk: getContractAddress({ from, nonce: 1n }) },
  }
}

interface ProveVerify {
  /** Inputs proved, in order; `valid` those whose proof verified. */
  proved: number[]
  valid: number[]
  /** Inputs whose proof does not verify, and the verifier's reason. */
  invalid: { idx: number; features: bigint[]; reason: string }[]
  /** Prove and verify times of the proofs during which other processes left the machine quiet (< NOISY_CORES). */
  proveMs: number[]
  proveColdMs: number
  verifyMs: number[]
  verifyColdMs: number
  /** Proofs left out of the times because other processes used ≥ NOISY_CORES meanwhile. */
  noisy: number
  artefactBytes: number[]
  proofBytes: number
  engineJsonBytes: number
  ezklProofJsonBytes: number
  /** The circuit's lookup range (settings.json run_args.lookup_range). */
  lookupRange: unknown
  /** Artefacts of valid proofs, to warm other verifiers with. */
  warm: Uint8Array[]
}

/**
 * 1. Proves input after input on a 1-thread ZkProver, and verifies each proof right after on a
 * 1-thread ZkVerifier (never both at once: one core each), until `needed` inputs have a proof that
 * verifies (and at least --proves proofs are made). The first proof and the first verify start
 * their threads and are reported apart. The node's ZkProver verifies each proof it makes before
 * the tx is ready (an invalid one fails the tx); here it is given no verifier, so the prove time
 * is EZKL's alone and every proof, invalid ones too, reaches the measured verifier. These are the
 * inputs parts 2-4 send (the valid ones).
 */
async function proveAndVerify(a: InProcessApp, cid: string, zk: ZkArtefacts, needed: number): Promise<ProveVerify> {
  const circuits = a.app.inference.zk.circuits
  await circuits.forProving(cid)
  const vc = await circuits.forVerifying(cid)
  const meta = await a.app.inference.hub.metadata(cid)
  if (!meta) throw new Error('the model is not in the hub')
  const prover = new ZkProver(circuits, { verify: async () => undefined }, { threads: 1 })
  const verifier = new ZkVerifier({ threads: 1 })
  const r: ProveVerify = {
    proved: [],
    valid: [],
    invalid: [],
    proveMs: [],
    proveColdMs: NaN,
    verifyMs: [],
    verifyColdMs: NaN,
    noisy: 0,
    artefactBytes: [],
    proofBytes: NaN,
    engineJsonBytes: NaN,
    ezklProofJsonBytes: zk.sample.proof.length,
    lookupRange: (JSON.parse(new TextDecoder().decode(zk.files.settings)) as { run_args: { lookup_range?: unknown } }).run_args
      .lookup_range,
    warm: [],
  }
  try {
    await measured('prove and verify', async () => {
      for (let idx = 0; r.valid.length < needed || r.verifyMs.length < PROVES - 1; idx++) {
        if (idx >= MAX_SCREENED) throw new Error(`${MAX_SCREENED} inputs proved, and still not enough valid proofs or quiet samples`)
        const load = otherLoad()
        const request = inferenceRequest(ZK, cid, { numbers: [row('features', features(idx), 3n)], strings: [] })
        let start = performance.now()
        const { artefact } = await prover.prove(request, meta, ZK_PROVING_TIMEOUT_MS)
        const proveTook = performance.now() - start
        const proof = decodeZkProof(artefact)
        start = performance.now()
        const reason = await verifier.verify(vc, artefact, proof)
        const verifyTook = performance.now() - start
        const busy = load.stop()
        if (r.proved.length === 0) {
          r.proveColdMs = proveTook
          r.verifyColdMs = verifyTook
          r.proofBytes = proof.proof.length
          r.engineJsonBytes = engineProofJson(proof).length
        } else if (busy >= NOISY_CORES) {
          r.noisy++
        } else {
          r.proveMs.push(proveTook)
          r.verifyMs.push(verifyTook)
        }
        r.proved.push(idx)
        r.artefactBytes.push(artefact.length)
        if (reason === undefined) {
          r.valid.push(idx)
          if (r.warm.length < 2 * CORES) r.warm.push(artefact)
        } else {
          r.invalid.push({ idx, features: features(idx), reason })
          log(`  input ${idx} [${features(idx).join(', ')}] × 10^-3: its proof does NOT verify: ${reason}`)
        }
        const n = r.proved.length
        if (n === 1 || n % 10 === 0) {
          const p = summarize(r.proveMs)
          const v = summarize(r.verifyMs)
          log(
            `  ${n} proofs (${r.valid.length} valid of ${needed} needed, ${r.noisy} left out of the times: other processes busy): ${n === 1 ? `first prove ${ms(proveTook, 0)}, first verify ${ms(verifyTook)} (thread starts included)` : `prove p50 ${ms(p.p50, 0)}, verify p50 ${ms(v.p50)}`}`,
          )
        }
      }
    })
    if (verifier.verified !== r.proved.length) throw new Error(`the verifier ran ${verifier.verified} times for ${r.proved.length} proofs`)
  } finally {
    await Promise.all([prover.close(), verifier.close()])
  }
  return r
}

/** The txs of round r: 16 per mode, senders 1-4 (ZK) and 5-8 (VANILLA), nonces 4r..4r+3, the same inputs for both modes. */
function roundTxs(chain: Chain, r: number, inputs: readonly number[]): { zk: Uint8Array[]; vanilla: Uint8Array[] } {
  const zk: Uint8Array[] = []
  const vanilla: Uint8Array[] = []
  for (let s = 0; s < SENDERS_PER_BLOCK; s++) {
    for (let k = 0; k < BLOCK_TXS / SENDERS_PER_BLOCK; k++) {
      const idx = inputs[r * BLOCK_TXS + s * (BLOCK_TXS / SENDERS_PER_BLOCK) + k]!
      const nonce = BigInt(r * (BLOCK_TXS / SENDERS_PER_BLOCK) + k)
      zk.push(signedTx(1 + s, nonce, { to: chain.contracts.zk, data: scoreCall(idx), gasLimit: TX_GAS }))
      vanilla.push(signedTx(5 + s, nonce, { to: chain.contracts.vanilla, data: scoreCall(idx), gasLimit: TX_GAS }))
    }
  }
  return { zk, vanilla }
}

async function admitAll(a: InProcessApp, txs: Uint8Array[]): Promise<void> {
  for (const tx of txs) {
    const r = await a.abci.checkTx({ tx, type: CheckTxType.NEW })
    if (r.code !== 0) throw new Error(`CheckTx refused a tx: ${r.log}`)
  }
}

async function untilReady(a: InProcessApp, txs: Uint8Array[], what: string): Promise<number> {
  const eths = txs.map((t) => a.app.evm.txCache.decode(t))
  const start = performance.now()
  let lastLog = start
  for (;;) {
    let ready = 0
    for (const eth of eths) {
      if (a.app.inference.mempool.isReady(eth)) ready++
      else {
        const st = a.app.inference.mempool.status(eth.hashHex)
        if (st?.state === 'failed') throw new Error(`${what}: tx ${eth.hashHex} failed: ${st.reason}`)
      }
    }
    if (ready === eths.length) return performance.now() - start
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now()
      log(
        `  ${what}: ${ready}/${eths.length} ready after ${sec(performance.now() - start, 0)} (prover queue ${a.app.inference.zk.prover.queued})`,
      )
    }
    if (performance.now() - start > 30 * 60_000) throw new Error(`${what}: not ready after 30 min`)
    await sleep(50)
  }
}

const header = (height: bigint) => ({
  height,
  time: { seconds: GENESIS_TIME.seconds + height, nanos: 0 },
  proposerAddress: PROPOSER,
  nextValidatorsHash: new Uint8Array(32),
  misbehavior: [],
})

interface BlockTiming {
  prepare: number
  process: number
  finalize: number
  commit: number
}

/** A block as a validator runs it: PrepareProposal offered `txs`, ProcessProposal, FinalizeBlock, Commit, each timed. */
async function timedBlock(a: InProcessApp, txs: Uint8Array[]): Promise<BlockTiming> {
  const height = a.app.lastCommit.height + 1n
  let t = performance.now()
  const prepared = await a.abci.prepareProposal({
    ...header(height),
    txs,
    maxTxBytes: 22_000_000n,
    localLastCommit: { round: 0, votes: [] },
  })
  const prepare = performance.now() - t
  const blockTxs = prepared.txs as Uint8Array[]
  if (blockTxs.length !== txs.length + 1) throw new Error(`the proposal holds ${blockTxs.length - 1} of ${txs.length} txs`)
  t = performance.now()
  const processed = await a.abci.processProposal({
    ...header(height),
    txs: blockTxs,
    proposedLastCommit: { round: 0, votes: [] },
    hash: new Uint8Array(32),
  })
  const process = performance.now() - t
  if (processed.status !== Status.ACCEPT) throw new Error('the proposer rejected its own proposal')
  t = performance.now()
  const fin = await a.abci.finalizeBlock({
    ...header(height),
    txs: blockTxs,
    decidedLastCommit: { round: 0, votes: [] },
    hash: new Uint8Array(32).fill(Number(height % 256n)),
  })
  const finalize = performance.now() - t
  const failed = (fin.txResults ?? []).filter(
    (r) => r?.code || r?.events?.some((e) => e.attributes?.some((x) => x.key === 'ethereumTxFailed')),
  )
  if (failed.length > 0) throw new Error(`${failed.length} txs failed in FinalizeBlock: ${failed.map((r) => r?.log).join('; ')}`)
  t = performance.now()
  await a.abci.commit()
  const commit = performance.now() - t
  return { prepare, process, finalize, commit }
}

interface BlocksResult {
  mempoolProveMs: number
  mempoolProofs: number
  processZk: number[]
  processVanilla: number[]
  verifiedPerRound: number[]
  finalize: { zk: BlockTiming[]; vanilla: BlockTiming[] }
}

interface InProcessResult {
  setup: SetupResult
  pv: ProveVerify
  blocks?: BlocksResult
}

/** 1., then 2. and 3. unless `--skip-blocks`; `needed`: how many valid inputs the later parts send. */
async function runInProcess(home: string, needed: number): Promise<InProcessResult> {
  const setup = await runSetup(home)
  log('in-process app A (the proposer): the model registered, RiskScorer deployed for VANILLA and ZK')
  const a = await openInProcessApp()
  try {
    const chain = await prepareChain(a, setup.zk)
    log(`1. proving input after input on a ZkProver with 1 thread, each proof verified right after on a ZkVerifier with 1 thread`)
    const pv = await proveAndVerify(a, chain.cid, setup.zk, needed)
    if (SKIP_BLOCKS) return { setup, pv }
    return { setup, pv, blocks: await runBlocks(a, chain, setup, pv) }
  } finally {
    await a.close()
    fs.rmSync(a.dir, { recursive: true, force: true })
  }
}

/** 2. and 3. on A (which holds the chain of prepareChain). */
async function runBlocks(a: InProcessApp, chain: Chain, setup: SetupResult, pv: ProveVerify): Promise<BlocksResult> {
  {
    const rounds = Array.from({ length: ROUNDS }, (_, r) => roundTxs(chain, r, pv.valid))
    const allZk = rounds.flatMap((r) => r.zk)
    log(`A's mempool: ${allZk.length} ZK and ${allZk.length} VANILLA RiskScorer.score txs (${ROUNDS} rounds of ${BLOCK_TXS}), proving…`)
    const provedBefore = a.app.inference.zk.prover.proved
    await admitAll(
      a,
      rounds.flatMap((r) => r.vanilla),
    )
    // ZK txs in batches of at most ZK_BATCH: a prover thread makes ~0.3 proofs/s, and a tx whose
    // proof is not done within ZK_PROVING_TIMEOUT_MS of its admission (queueing included) is dropped.
    let mempoolProveMs = 0
    for (let i = 0; i < allZk.length; i += ZK_BATCH) {
      const batch = allZk.slice(i, i + ZK_BATCH)
      mempoolProveMs += await measured('proving in the mempool', async () => {
        const start = performance.now()
        await admitAll(a, batch)
        await untilReady(a, batch, `ZK txs ${i + 1}-${i + batch.length} of ${allZk.length}`)
        return performance.now() - start
      })
    }
    await untilReady(
      a,
      rounds.flatMap((r) => r.vanilla),
      'VANILLA txs',
    )
    const mempoolProofs = a.app.inference.zk.prover.proved - provedBefore
    log(
      `  ${mempoolProofs} proofs in ${sec(mempoolProveMs, 1)} (${(mempoolProveMs / mempoolProofs / 1000).toFixed(2)} s each, 1 prover thread)`,
    )

    // 2. ProcessProposal on validators that did not make the proofs.
    const zkProposal = await a.propose(rounds[0]!.zk)
    const vanillaProposal = await a.propose(rounds[0]!.vanilla)
    if (zkProposal.length !== BLOCK_TXS + 1 || vanillaProposal.length !== BLOCK_TXS + 1) {
      throw new Error(`A proposed ${zkProposal.length - 1} ZK and ${vanillaProposal.length - 1} VANILLA txs of ${BLOCK_TXS}`)
    }
    const processZk: number[] = []
    const processVanilla: number[] = []
    const verifiedPerRound: number[] = []
    for (let r = 0; r < ROUNDS; r++) {
      const b = await openInProcessApp()
      try {
        b.app.inference.startSimulationThreads() // as a node does at start
        await prepareChain(b, setup.zk, chain)
        // …and a node that has started has warmed them up (a thread's first seconds).
        for (let i = 0; b.app.inference.simulationWarmUps().length < DEFAULT_SIMULATION_THREADS; i++) {
          if (i > 600) throw new Error("B's simulation threads did not warm up within 60 s")
          await new Promise((r) => setTimeout(r, 100))
        }
        if (b.app.lastCommit.height !== a.app.lastCommit.height) throw new Error('B is not at the height A proposes on')
        // Warm B as a running validator is: its simulation threads started and warmed up, its circuit loaded, its verifier threads started on two other proofs.
        const vc = await b.app.inference.zk.circuits.forVerifying(chain.cid)
        const warm = pv.warm
        await Promise.all(warm.map((art) => b.app.inference.zk.verifier.verify(vc, art, decodeZkProof(art))))
        await measured('ProcessProposal', async () => {
          let t = performance.now()
          if ((await b.process(vanillaProposal)) !== Status.ACCEPT) throw new Error('B rejected the VANILLA proposal')
          processVanilla.push(performance.now() - t)
          const before = b.app.inference.zk.verifier.verified
          t = performance.now()
          if ((await b.process(zkProposal)) !== Status.ACCEPT) throw new Error('B rejected the ZK proposal')
          processZk.push(performance.now() - t)
          verifiedPerRound.push(b.app.inference.zk.verifier.verified - before)
        })
        log(
          `2. round ${r + 1}/${ROUNDS}: fresh validator B, ProcessProposal VANILLA ${ms(processVanilla.at(-1)!)}, ZK ${ms(processZk.at(-1)!)} (${verifiedPerRound.at(-1)} proofs verified)`,
        )
      } finally {
        await b.close()
        fs.rmSync(b.dir, { recursive: true, force: true })
      }
    }

    // 3. FinalizeBlock, ZK vs VANILLA, on A.
    const finalize: BlocksResult['finalize'] = { zk: [], vanilla: [] }
    // What A's mempool still holds: CometBFT rechecks it after every commit (the inference mempool
    // forgets a tx no recheck has seen for a block).
    let pending = rounds.flatMap((r) => [...r.zk, ...r.vanilla])
    for (let r = 0; r < ROUNDS; r++) {
      const order: ('zk' | 'vanilla')[] = r % 2 === 0 ? ['zk', 'vanilla'] : ['vanilla', 'zk']
      for (const mode of order) {
        const txs = rounds[r]![mode]
        await untilReady(a, txs, `${mode} round ${r + 1}`)
        const timing = await measured('FinalizeBlock', () => timedBlock(a, txs))
        finalize[mode].push(timing)
        pending = pending.filter((tx) => !txs.includes(tx))
        for (const tx of pending) {
          const rc = await a.abci.checkTx({ tx, type: CheckTxType.RECHECK })
          if (rc.code !== 0) throw new Error(`RECHECK refused a tx: ${rc.log}`)
        }
        log(
          `3. round ${r + 1}/${ROUNDS}, ${mode === 'zk' ? 'ZK' : 'VANILLA'} block of ${BLOCK_TXS}: Prepare ${ms(timing.prepare)}, Process ${ms(timing.process)}, Finalize ${ms(timing.finalize)}, Commit ${ms(timing.commit)}`,
        )
      }
    }
    return { mempoolProveMs, mempoolProofs, processZk, processVanilla, verifiedPerRound, finalize }
  }
}

// ---------------------------------------------------------------- 4. live localnet

interface LiveTx {
  mode: 'zk' | 'vanilla'
  hash: Hex
  sentAt: number
  seenAt?: number
}

interface LiveResult {
  registerMs: number
  registerOutput: string[]
  alone: { zk: Summary; vanilla: Summary }
  load: {
    zk: Summary
    vanilla: Summary
    zkSubmitted: number
    zkCommitted: number
    vanillaSubmitted: number
    vanillaCommitted: number
    /** First ZK submission → last ZK inclusion. */
    zkPerSecond: number
    /** First ZK inclusion → last ZK inclusion: the prover's steady rate. */
    zkPerSecondSteady: number
    windowMs: number
    blocks: number
    maxHeaderIntervalMs: number
    maxHeaderIntervalAt: number
    maxSeenIntervalMs: number
    headerIntervals: Summary
    failed: string[]
  }
  blockTimeMs: number
  /** The ZK tx of an input whose proof does not verify, sent as the load starts: what became of it. */
  invalidTx?: { features: bigint[]; state: string; reason: string }
}

function goDurationMs(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(s)
  if (!m) throw new Error(`--block-time: ${s} is not like 1s or 500ms`)
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1)
}

/** CometBFT header time in ms (RFC 3339 with nanoseconds). */
function headerTimeMs(t: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(t)
  if (!m) throw new Error(`unexpected header time ${t}`)
  return Date.parse(`${m[1]}Z`) + Number(`0.${m[2] ?? '0'}`) * 1000
}

async function headerTimes(comet: string, from: number, to: number): Promise<Map<number, number>> {
  const out = new Map<number, number>()
  for (let lo = from; lo <= to; lo += 20) {
    const hi = Math.min(to, lo + 19)
    const res = await fetch(`${comet}/blockchain?minHeight=${lo}&maxHeight=${hi}`)
    const body = (await res.json()) as { result: { block_metas: { header: { height: string; time: string } }[] } }
    for (const m of body.result.block_metas) out.set(Number(m.header.height), headerTimeMs(m.header.time))
  }
  return out
}

/** The real CLI: `pipe model register <cid> --zk`, its progress lines forwarded. */
function cliRegister(chain: TestChain, cid: string, home: string): Promise<{ ms: number; lines: string[] }> {
  const env = { ...process.env }
  delete env.PIPE_KEY
  delete env.PIPE_COMET
  delete env.PIPE_NODE
  const args = ['scripts/pipe.mjs', 'model', 'register', cid, '--zk', '--dev-account', '9']
  args.push('--node', chain.net.endpoints(0).rest, '--comet', chain.comet(), '--home', home)
  const start = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    const lines: string[] = []
    let err = ''
    let pending = ''
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8')
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl)
        pending = pending.slice(nl + 1)
        lines.push(line)
        log(`  pipe: ${line}`)
      }
    })
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8')
    })
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve({ ms: performance.now() - start, lines })
      else reject(new Error(`pipe model register --zk exited ${code}: ${err}`))
    })
  })
}

/** 4. `inputs`: valid ZK inputs (1.), LATENCY_TXS for (a) then the load's. */
async function runLive(home: string, inputs: readonly number[], invalidInput: number | undefined): Promise<LiveResult> {
  const blockTimeMs = goDurationMs(BLOCK_TIME)
  log(`4. starting a 1-validator localnet (block time ${BLOCK_TIME}, port offset ${PORT_OFFSETS.zkBench})`)
  const chain = await startTestChain({ name: 'bench-zk', portOffset: PORT_OFFSETS.zkBench, blockTime: BLOCK_TIME })
  const watcher = new BlockWatcher(chain.rpc(), chain.ws())
  try {
    await watcher.start()
    const rest = chain.net.endpoints(0).rest
    const up = await fetch(`${rest}/v1/models`, { method: 'PUT', body: fs.readFileSync(MODEL_FILE) })
    if (up.status !== 200 && up.status !== 201) throw new Error(`model upload: HTTP ${up.status} ${await up.text()}`)
    const cid = ((await up.json()) as { cid: string }).cid
    log(`  uploaded ${MODEL_FILE}: ${cid}; registering it with the CLI`)
    const reg = await cliRegister(chain, cid, home)
    log(`  registered in ${sec(reg.ms, 1)}`)

    const accounts = dev.map((d) => privateKeyToAccount(d.privateKey as Hex))
    const nonces = await Promise.all(
      dev.map(async (d) => Number(BigInt(await rpc<string>(chain.rpc(), 'eth_getTransactionCount', [d.address, 'latest'])))),
    )
    const sign = async (from: number, fields: { to?: Hex; data: Hex; gas: bigint }): Promise<Hex> =>
      accounts[from]!.signTransaction({
        chainId: 1337,
        type: 'eip1559',
        nonce: nonces[from]!++,
        to: fields.to,
        data: fields.data,
        gas: fields.gas,
        maxFeePerGas: 50n * 10n ** 9n,
        maxPriorityFeePerGas: 1n,
      })
    const send = async (raw: Hex): Promise<{ hash: Hex; sentAt: number }> => {
      const sentAt = performance.now()
      const hash = await rpc<Hex>(chain.rpc(), 'eth_sendRawTransaction', [raw])
      if (hash.toLowerCase() !== keccak256(raw)) throw new Error(`unexpected hash ${hash}`)
      return { hash: keccak256(raw), sentAt }
    }
    const included = async (hash: Hex, timeoutMs: number): Promise<number> => {
      const deadline = performance.now() + timeoutMs
      for (;;) {
        const h = watcher.included.get(hash)
        if (h !== undefined) return watcher.blocks.get(h)!.seenAt
        if (performance.now() > deadline) {
          const st = await rpc<unknown>(chain.rpc(), 'pipe_getInferenceStatus', [hash]).catch((e) => String(e))
          throw new Error(`tx ${hash} not included within ${timeoutMs} ms: ${JSON.stringify(st)}`)
        }
        await watcher.next(1_000)
      }
    }

    // Deploy RiskScorer twice, mode 0 and mode 1.
    const deployer = 0
    const addrs: Hex[] = []
    for (const mode of [0, 1]) {
      const nonce = nonces[deployer]!
      const raw = await sign(deployer, {
        data: encodeDeployData({ abi: scorerAbi, bytecode: scorer.bytecode, args: [cid, mode] }),
        gas: 3_000_000n,
      })
      const { hash } = await send(raw)
      await included(hash, 60_000)
      addrs.push(getContractAddress({ from: dev[deployer]!.address as Hex, nonce: BigInt(nonce) }))
    }
    const [vanillaAddr, zkAddr] = addrs as [Hex, Hex]
    log(`  RiskScorer VANILLA at ${vanillaAddr}, ZK at ${zkAddr}`)
    const tx = async (mode: 'zk' | 'vanilla', from: number, idx: number): Promise<LiveTx> => {
      const raw = await sign(from, { to: mode === 'zk' ? zkAddr : vanillaAddr, data: scoreCall(idx), gas: TX_GAS })
      return { mode, ...(await send(raw)) }
    }
    const receiptsOk = async (txs: LiveTx[]): Promise<string[]> => {
      const bad: string[] = []
      for (const t of txs) {
        const r = await rpc<{ status: string } | null>(chain.rpc(), 'eth_getTransactionReceipt', [t.hash])
        if (r?.status !== '0x1') bad.push(`${t.mode} ${t.hash}: receipt ${JSON.stringify(r?.status)}`)
      }
      return bad
    }

    // (a) Alone: one tx at a time, alternating modes, round-robin over senders 1-4.
    log(`4a. latency alone: ${LATENCY_TXS} txs per mode, one at a time, alternating, senders 1-4`)
    const alone: LiveTx[] = []
    await measured('live, alone', async () => {
      for (let i = 0; i < 2 * LATENCY_TXS; i++) {
        const t = await tx(i % 2 === 0 ? 'vanilla' : 'zk', 1 + (Math.floor(i / 2) % 4), inputs[Math.floor(i / 2)]!)
        t.seenAt = await included(t.hash, ZK_PROVING_TIMEOUT_MS + 60_000)
        alone.push(t)
        if (i % 10 === 9) log(`  ${i + 1}/${2 * LATENCY_TXS}: last ${t.mode} ${sec(t.seenAt - t.sentAt)}`)
      }
    })
    const aloneBad = await receiptsOk(alone)
    if (aloneBad.length) throw new Error(`failed txs: ${aloneBad.join('; ')}`)
    const lat = (txs: LiveTx[], mode: 'zk' | 'vanilla') =>
      summarize(txs.filter((t) => t.mode === mode && t.seenAt !== undefined).map((t) => t.seenAt! - t.sentAt))

    // (b) Sustained load.
    const nLoad = Math.round(LOAD_SECONDS * LOAD_RATE)
    log(
      `4b. sustained load: ${nLoad} ZK txs (senders 5-8) and ${nLoad} VANILLA txs (senders 1-4) at ${LOAD_RATE} tx/s each for ${LOAD_SECONDS} s`,
    )
    let startHeight = 0
    const load: LiveTx[] = []
    let loadStart = 0
    let invalid: LiveTx | undefined
    const failed: string[] = []
    await measured('live, under load', async () => {
      startHeight = watcher.height
      loadStart = performance.now()
      // One input whose proof does not verify, from its own sender: the mempool must drop it.
      if (invalidInput !== undefined) invalid = await tx('zk', 9, invalidInput)
      for (let i = 0; i < nLoad; i++) {
        const due = loadStart + (i * 1000) / LOAD_RATE
        await sleep(Math.max(0, due - performance.now()))
        // In order, so each sender's nonces arrive in order (a send takes milliseconds).
        load.push(await tx('zk', 5 + (i % 4), inputs[LATENCY_TXS + i]!))
        load.push(await tx('vanilla', 1 + (i % 4), inputs[LATENCY_TXS + i]!))
        if (i % 10 === 9) {
          const committed = load.filter((t) => watcher.included.has(t.hash))
          log(
            `  submitted ${i + 1}/${nLoad} per mode; committed ZK ${committed.filter((t) => t.mode === 'zk').length}, VANILLA ${committed.filter((t) => t.mode === 'vanilla').length}, height ${watcher.height}`,
          )
        }
      }
      log(`  all submitted after ${sec(performance.now() - loadStart, 1)}; waiting for the ZK backlog`)
      let lastLog = performance.now()
      for (;;) {
        const pending = load.filter((t) => !watcher.included.has(t.hash))
        if (pending.length === 0) break
        // A tx the mempool dropped will never land: find out, and stop waiting for it.
        if (performance.now() - lastLog > 10_000) {
          lastLog = performance.now()
          log(`  ${load.length - pending.length}/${load.length} committed, height ${watcher.height}`)
          for (const t of pending) {
            const st = await rpc<{ state?: string; reason?: string } | null>(chain.rpc(), 'pipe_getInferenceStatus', [t.hash]).catch(
              () => null,
            )
            if (st?.state === 'failed') {
              failed.push(`${t.mode} ${t.hash}: ${st.reason}`)
              load.splice(load.indexOf(t), 1)
            }
          }
        }
        if (performance.now() - loadStart > LOAD_SECONDS * 1000 + ZK_PROVING_TIMEOUT_MS + 120_000) {
          failed.push(`${pending.length} txs never committed`)
          break
        }
        await watcher.next(1_000)
      }
    })
    for (const t of load) {
      const h = watcher.included.get(t.hash)
      if (h !== undefined) t.seenAt = watcher.blocks.get(h)!.seenAt
    }
    let invalidTx: LiveResult['invalidTx']
    if (invalid && invalidInput !== undefined) {
      const deadline = performance.now() + ZK_PROVING_TIMEOUT_MS
      for (;;) {
        const st = await rpc<{ state: string; reason: string | null } | null>(chain.rpc(), 'pipe_getInferenceStatus', [invalid.hash])
        if (st?.state === 'failed' || st?.state === 'included' || performance.now() > deadline) {
          invalidTx = { features: features(invalidInput), state: st?.state ?? 'unknown', reason: st?.reason ?? '' }
          break
        }
        await sleep(1_000)
      }
      log(`  the invalid-input ZK tx: ${invalidTx.state}${invalidTx.reason ? `: ${invalidTx.reason}` : ''}`)
    }
    failed.push(...(await receiptsOk(load.filter((t) => t.seenAt !== undefined))))
    const zkLoad = load.filter((t) => t.mode === 'zk' && t.seenAt !== undefined)
    const firstZkSent = Math.min(...load.filter((t) => t.mode === 'zk').map((t) => t.sentAt))
    const zkSeen = zkLoad.map((t) => t.seenAt!).sort((x, y) => x - y)
    const lastZk = zkSeen.at(-1)!
    const endHeight = Math.max(...zkLoad.map((t) => watcher.included.get(t.hash)!))
    // Block intervals over the window, by CometBFT header time and by newHeads arrival.
    const times = await headerTimes(chain.comet(), startHeight, endHeight)
    const intervals: number[] = []
    let maxHeaderIntervalMs = 0
    let maxHeaderIntervalAt = 0
    for (let h = startHeight + 1; h <= endHeight; h++) {
      const d = times.get(h)! - times.get(h - 1)!
      intervals.push(d)
      if (d > maxHeaderIntervalMs) {
        maxHeaderIntervalMs = d
        maxHeaderIntervalAt = h
      }
    }
    let maxSeenIntervalMs = 0
    for (let h = startHeight + 1; h <= endHeight; h++) {
      const x = watcher.blocks.get(h)
      const y = watcher.blocks.get(h - 1)
      if (x && y) maxSeenIntervalMs = Math.max(maxSeenIntervalMs, x.seenAt - y.seenAt)
    }
    const result: LiveResult = {
      registerMs: reg.ms,
      registerOutput: reg.lines,
      alone: { zk: lat(alone, 'zk'), vanilla: lat(alone, 'vanilla') },
      load: {
        zk: lat(load, 'zk'),
        vanilla: lat(load, 'vanilla'),
        zkSubmitted: nLoad,
        zkCommitted: zkLoad.length,
        vanillaSubmitted: nLoad,
        vanillaCommitted: load.filter((t) => t.mode === 'vanilla' && t.seenAt !== undefined).length,
        zkPerSecond: zkLoad.length / ((lastZk - firstZkSent) / 1000),
        zkPerSecondSteady: (zkSeen.length - 1) / ((lastZk - zkSeen[0]!) / 1000),
        windowMs: lastZk - firstZkSent,
        blocks: endHeight - startHeight,
        maxHeaderIntervalMs,
        maxHeaderIntervalAt,
        maxSeenIntervalMs,
        headerIntervals: summarize(intervals),
        failed,
      },
      blockTimeMs,
      invalidTx,
    }
    log(
      `  load: ${zkLoad.length} ZK committed in ${sec(result.load.windowMs, 1)} (${result.load.zkPerSecond.toFixed(3)}/s), largest block interval ${sec(maxHeaderIntervalMs)} at height ${maxHeaderIntervalAt}`,
    )
    return result
  } finally {
    await watcher.stop().catch(() => {})
    await chain.stop()
  }
}

// ---------------------------------------------------------------- report

function report(ip: InProcessResult, live: LiveResult | undefined): string {
  const out: string[] = []
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  out.push(
    `Machine: ${cpu}, ${CORES} cores (os.availableParallelism), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}; Node ${process.version}. ` +
      `Run ${new Date().toISOString().slice(0, 10)}: \`${['npm run bench:zk', ...(argv.length ? ['--', ...argv] : [])].join(' ')}\`.`,
    '',
  )
  const { setup, pv } = ip
  out.push(
    `ZK setup of ${MODEL_FILE} (\`zkSetup\`, EZKL 21 Python; SRS cache ${SRS_HOME_GIVEN ? 'given by --home' : 'in a fresh home'}), per step:`,
    '',
  )
  out.push('| step | seconds | what it made |', '|---|---:|---|')
  for (const st of setup.steps) out.push(`| ${st.step} | ${st.seconds.toFixed(2)} | ${st.detail.replace(/\/tmp\/[^ )]*\//g, '…/')} |`)
  out.push(`| **total** (wall, Python start included) | ${(setup.wallMs / 1000).toFixed(2)} | |`, '')
  const prove = summarize(pv.proveMs)
  const verify = summarize(pv.verifyMs)
  const range = (x: Summary, f: (v: number) => string) => `${f(x.min)}–${f(x.max)}`
  const leftOut = pv.noisy ? `; ${pv.noisy} more left out (other processes busy)` : ''
  out.push('| measurement | VANILLA | ZK | target | met |', '|---|---:|---:|---|---|')
  out.push(
    `| prove one request (ZkProver, 1 thread), p50 of ${prove.n} distinct inputs${leftOut} (min–max) | – | ${sec(prove.p50)} (${range(prove, (v) => sec(v))}); first ${sec(pv.proveColdMs)} with thread start | – | – |`,
  )
  out.push(
    `| verify one proof on one core (ZkVerifier, threads: 1), p50 of ${verify.n} distinct proofs${leftOut} (min–max) | – | **${ms(verify.p50)}** (${range(verify, (v) => ms(v))}); first ${ms(pv.verifyColdMs)} with thread start | ≤ 250 ms | ${verify.p50 <= 250 ? 'yes' : '**no**'} |`,
  )
  const share = ((pv.invalid.length / pv.proved.length) * 100).toFixed(1)
  out.push(
    `| inputs whose proof does not verify (a value outside the lookup range calibration chose, ${JSON.stringify(pv.lookupRange)}), of ${pv.proved.length} distinct inputs in [-0.5, 0.5] | – | **${pv.invalid.length} (${share}%)** | – | – |`,
  )
  out.push(
    `| proof size: the artefact a results tx carries (RLP: proof + 5 public instances) · its proof bytes · the JSON @ezkljs/engine verifies · EZKL's proof.json | – | ${kib(summarize(pv.artefactBytes).p50)} · ${kib(pv.proofBytes)} · ${kib(pv.engineJsonBytes)} · ${kib(pv.ezklProofJsonBytes)} | – | – |`,
  )
  const bl = ip.blocks
  if (bl) {
    const bound = (BLOCK_TXS * verify.p50) / CORES + 50
    const ppZk = median(bl.processZk)
    const ppV = median(bl.processVanilla)
    const fz = bl.finalize.zk.map((t) => t.finalize)
    const fv = bl.finalize.vanilla.map((t) => t.finalize)
    const ratio = median(fz) / median(fv)
    const each = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' · ')
    out.push(
      `| proving in A's mempool: ${bl.mempoolProofs} RiskScorer txs, ${ZK_BATCH} admitted at a time (1 prover thread; each proof also verified once, by the prover's check) | – | ${(bl.mempoolProveMs / bl.mempoolProofs / 1000).toFixed(2)} s per proof (${((bl.mempoolProofs / bl.mempoolProveMs) * 1000).toFixed(3)} proofs/s) | – | – |`,
    )
    out.push(
      `| ProcessProposal of 16 RiskScorer txs on a validator that did not make the proofs, median of ${bl.processZk.length} fresh validators (each) | ${ms(ppV)} (${each(bl.processVanilla)}) | **${ms(ppZk)}** (${each(bl.processZk)}); ${bl.verifiedPerRound.join('/')} proofs verified | ≤ 16 × ${ms(verify.p50)} ÷ ${CORES} + 50 ms = ${ms(bound)} | ${ppZk <= bound ? 'yes' : '**no**'} |`,
    )
    out.push(
      `| FinalizeBlock of 16 RiskScorer txs, median of ${fz.length} blocks per mode (each) | ${ms(median(fv))} (${each(fv)}) | ${ms(median(fz))} (${each(fz)}) | ZK ≤ 1.2 × VANILLA | ${ratio <= 1.2 ? 'yes' : '**no**'}: **${ratio.toFixed(2)}×** |`,
    )
    const other = (k: keyof BlockTiming) =>
      `${ms(median(bl.finalize.vanilla.map((t) => t[k])))} | ${ms(median(bl.finalize.zk.map((t) => t[k])))}`
    out.push(`| same blocks on A (the proposer): PrepareProposal | ${other('prepare')} | – | – |`)
    out.push(`| same blocks on A: ProcessProposal (its prover verified each proof when it made it) | ${other('process')} | – | – |`)
    out.push(`| same blocks on A: Commit | ${other('commit')} | – | – |`)
  }
  if (live) {
    const l = live.load
    const lat = (x: Summary) => `${sec(x.p50)} / ${sec(x.p99)} (n ${x.n})`
    out.push(
      `| live: \`pipe model register <cid> --zk\` end to end (setup, 5 uploads, MsgRegisterModel committed; SRS cached) | – | ${sec(live.registerMs, 1)} | – | – |`,
    )
    out.push(
      `| live: submit → receipt alone (one tx at a time, 4 senders), p50 / p99 | ${lat(live.alone.vanilla)} | ${lat(live.alone.zk)} | – | – |`,
    )
    out.push(
      `| live: submit → receipt under load (${LOAD_RATE} tx/s per mode for ${LOAD_SECONDS} s, 4 senders per mode), p50 / p99 | ${lat(l.vanilla)} | ${lat(l.zk)} | – | – |`,
    )
    out.push(
      `| live: committed ZK txs/s under that load: first submission → last ZK commit · first → last ZK commit | – | ${l.zkPerSecond.toFixed(3)} · ${l.zkPerSecondSteady.toFixed(3)} (${l.zkCommitted}/${l.zkSubmitted} in ${sec(l.windowMs, 1)}) | – | – |`,
    )
    const bound = live.blockTimeMs + 1000
    out.push(
      `| live: largest block interval while proving under load, ${l.blocks} blocks (CometBFT header times · newHeads arrivals; p50 of header intervals) | – | **${sec(l.maxHeaderIntervalMs)}** (height ${l.maxHeaderIntervalAt}) · ${sec(l.maxSeenIntervalMs)}; p50 ${sec(l.headerIntervals.p50)} | ≤ block time + 1 s = ${sec(bound, 1)} | ${l.maxHeaderIntervalMs <= bound ? 'yes' : '**no**'} |`,
    )
    const inv = live.invalidTx
    if (inv) {
      const dropped = inv.state === 'failed'
      out.push(
        `| live: a ZK tx whose proof does not verify (input [${inv.features.join(', ')}] × 10^-3), sent as the load starts | – | ${inv.state}: ${inv.reason.replace(/\|/g, '\\|')} | dropped in the mempool, blocks go on | ${dropped && l.maxHeaderIntervalMs <= live.blockTimeMs + 1000 ? 'yes' : '**no**'} |`,
      )
    }
    if (l.failed.length) out.push('', `Failed or missing under load: ${l.failed.join('; ')}`)
  }
  if (pv.invalid.length) {
    out.push(
      '',
      `Inputs whose proof does not verify (× 10^-3; left out of the txs of the later parts): ${pv.invalid.map((x) => `[${x.features.join(', ')}]`).join(', ')}; the verifier says: ${[...new Set(pv.invalid.map((x) => x.reason))].join('; ')}.`,
    )
  }
  if (others.size > 0) {
    const parts = [...others].map(([k, v]) => `${k} ${Math.max(...v).toFixed(2)}`)
    out.push(
      '',
      `Cores other processes kept busy while each section ran (the most of its runs; the benchmark waits for a quiet machine before each): ${parts.join(', ')}.`,
    )
  }
  return `${out.join('\n')}\n`
}

// ---------------------------------------------------------------- main

log(`machine: ${os.cpus()[0]?.model}, ${CORES} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`)
const home = SRS_HOME_GIVEN ? path.resolve(opt('--home', '')) : fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-bench-zk-home-'))
try {
  const liveInputs = SKIP_LIVE ? 0 : LATENCY_TXS + Math.round(LOAD_SECONDS * LOAD_RATE)
  const ip = await runInProcess(home, Math.max(SKIP_BLOCKS ? 0 : ROUNDS * BLOCK_TXS, liveInputs))
  const live = SKIP_LIVE ? undefined : await runLive(home, ip.pv.valid, ip.pv.invalid[0]?.idx)
  const md = report(ip, live)
  process.stdout.write(md)
  if (OUT) fs.writeFileSync(OUT, md)
} finally {
  if (!SRS_HOME_GIVEN) fs.rmSync(home, { recursive: true, force: true })
}
