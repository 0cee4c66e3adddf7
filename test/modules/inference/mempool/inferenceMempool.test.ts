import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { ExecResult, PrecompileInput } from '@ethereumjs/evm'
import { hexToBytes } from '@ethereumjs/util'
import type { Hex } from 'viem'
import { initCrypto } from '../../../../app/crypto.ts'
import { silentLogger } from '../../../../app/log.ts'
import { modelCid } from '../../../../app/modelHub/cid.ts'
import { createChainCommon } from '../../../../app/modules/evm/chainConfig.ts'
import { decodeEthTx, type EthTx } from '../../../../app/modules/evm/ethTx.ts'
import { ErrMempoolFull, ErrUnknownModel } from '../../../../app/modules/inference/errors.ts'
import { InferenceMempool, resimulationBudget } from '../../../../app/modules/inference/mempool/inferenceMempool.ts'
import type { Simulation, SimulationAnswers } from '../../../../app/modules/inference/mempool/txSimulator.ts'
import { MAX_SIMULATION_ROUNDS, modelGas } from '../../../../app/modules/inference/params.ts'
import { INFERENCE_PRECOMPILE_ADDRESS } from '../../../../app/modules/inference/precompile/abi.ts'
import { decodeModelOutput } from '../../../../app/modules/inference/precompile/abiDecoder.ts'
import { encodeModelOutput } from '../../../../app/modules/inference/precompile/abiEncoder.ts'
import { type ModelCatalog, VANILLA_ONLY } from '../../../../app/modules/inference/precompile/inferenceCalls.ts'
import { inferencePrecompile } from '../../../../app/modules/inference/precompile/precompile.ts'
import type { InferenceRequest } from '../../../../app/modules/inference/types/request.ts'
import { type InferenceResult, resultOf, resultsByKey } from '../../../../app/modules/inference/types/result.ts'
import { fakeSimulationRun, precompileCall, row } from '../../../support/inference.ts'
import { signedTx } from '../../../support/inProcessApp.ts'

/**
 * The inference mempool on its own, with a fake simulator that runs a scripted "contract" per
 * tx against the real precompile, and results the test computes when it wants: every state a tx
 * goes through, and the verdicts ProcessProposal may take from it.
 */
await initCrypto()
const common = createChainCommon()
const CID = await modelCid(new TextEncoder().encode('a model'))
const COST_MICROS = 100
const catalog: ModelCatalog = {
  metadata: async (cid) =>
    cid === CID
      ? {
          inputs: [{ name: 'x', type: 'float32', shape: ['batch', 1] }],
          outputs: [{ name: 'y', type: 'float32', shape: ['batch', 1] }],
          costMicros: COST_MICROS,
        }
      : undefined,
}

/** A tx's code, as the fake simulator runs it: calls the precompile through `call`. */
type Program = (call: (x: bigint, opts?: { gas?: bigint; cid?: string }) => Promise<ExecResult>) => Promise<void>

/** The output the fake model gives for input x: y = x + 1. */
const outputFor = (x: bigint) =>
  encodeModelOutput({
    numbers: [{ name: 'y', values: [{ value: x + 1n, decimals: 0n }], shape: [1, 1] }],
    strings: [],
    jsons: [],
    is_simulation_result: false,
  })
const inputOf = (r: InferenceRequest) => (r.input.numbers[0]?.values[0]?.value ?? 0n) as bigint
/** The value a call's answer carries, or undefined for the simulation placeholder. */
const answerOf = (exec: ExecResult): bigint | undefined => {
  const out = decodeModelOutput(exec.returnValue)
  return out.is_simulation_result ? undefined : (out.numbers[0]?.values[0]?.value as bigint)
}

class Harness {
  height = 5n
  readonly programs = new Map<string, Program>()
  readonly reads = new Map<string, Set<string>>()
  /** Txs whose execution reads the block context (NUMBER, TIMESTAMP, …). */
  readonly contextual = new Set<string>()
  readonly plain = new Set<string>()
  readonly cache = new Map<string, InferenceResult>()
  /** Computations asked for and not yet finished, by request key. */
  readonly computing = new Map<
    string,
    { request: InferenceRequest; promise: Promise<InferenceResult>; finish: () => void; fail: (e: Error) => void }
  >()
  simulations = 0
  /** Simulations per tx hash. */
  readonly simulated = new Map<string, number>()
  /** While set, a simulation that has run waits for it before it returns (a commit can happen meanwhile). */
  gate: Promise<void> | undefined
  readonly mempool: InferenceMempool

  /** The block gas limit the mempool sees (re-simulation after a commit is bounded by it). */
  blockGasLimit = 100_000_000n

  constructor(maxPending = 100) {
    const simulator = {
      headHeight: () => this.height,
      simulate: async (eth: EthTx, answers: SimulationAnswers): Promise<Simulation> => {
        this.simulations++
        this.simulated.set(eth.hashHex, (this.simulated.get(eth.hashHex) ?? 0) + 1)
        const height = this.height
        const run = fakeSimulationRun(eth, answers, { modes: VANILLA_ONLY, models: catalog })
        const calls = run.calls
        const precompile = inferencePrecompile(() => calls)
        const program = this.programs.get(eth.hashHex)
        await program?.(async (x, opts = {}) => {
          const data = hexToBytes(precompileCall(opts.cid ?? CID, [row('x', [x])]))
          return precompile.function({ data, gasLimit: opts.gas ?? 10_000_000n } as PrecompileInput)
        })
        await this.gate
        return run.end({
          height,
          reads: this.reads.get(eth.hashHex) ?? new Set(),
          readsBlockContext: this.contextual.has(eth.hashHex),
        })
      },
    }
    const results = {
      get: (key: string) => this.cache.get(key),
      // Like the ResultCache: a request being computed is computed once, whoever asks.
      compute: (request: InferenceRequest): Promise<InferenceResult> => {
        const running = this.computing.get(request.keyHex)
        if (running) return running.promise
        let finish!: () => void
        let fail!: (e: Error) => void
        const promise = new Promise<InferenceResult>((resolve, reject) => {
          finish = () => {
            const r = resultOf(request, outputFor(inputOf(request)), modelGas(COST_MICROS))
            this.cache.set(request.keyHex, r)
            this.computing.delete(request.keyHex)
            resolve(r)
          }
          fail = (e) => {
            this.computing.delete(request.keyHex)
            reject(e)
          }
        })
        this.computing.set(request.keyHex, { request, promise, finish, fail })
        return promise
      },
    }
    const reach = { mayReach: async (eth: EthTx) => !this.plain.has(eth.hashHex) }
    this.mempool = new InferenceMempool(
      { checkState: async () => ({}) as never, blockGasLimit: () => this.blockGasLimit },
      simulator,
      reach,
      results,
      silentLogger,
      {
        maxPending,
        timeoutMs: 1000,
      },
    )
  }

  /** A contract-call tx (to a plain address) running `program`. */
  tx(
    from: number,
    program: Program,
    opts: { direct?: boolean; reads?: string[]; readsBlockContext?: boolean; nonce?: bigint } = {},
  ): EthTx {
    const to = opts.direct ? INFERENCE_PRECOMPILE_ADDRESS : (`0x${'c0'.repeat(20)}` as Hex)
    const eth = decodeEthTx(signedTx(from, opts.nonce ?? 0n, { to, data: '0x' }), common)
    this.programs.set(eth.hashHex, program)
    this.reads.set(eth.hashHex, new Set(opts.reads ?? []))
    if (opts.readsBlockContext) this.contextual.add(eth.hashHex)
    return eth
  }

  finishAll(): void {
    for (const c of [...this.computing.values()]) c.finish()
  }

  state(eth: EthTx): string | undefined {
    return this.mempool.status(eth.hashHex)?.state
  }
}

/** Lets the mempool's queued work run (it works in setImmediate turns). */
async function settle(until?: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    await new Promise((r) => setImmediate(r))
    if (until?.()) return
  }
  if (until) assert.fail('the mempool did not get there')
}

/** Computes whatever the txs ask for until every one is ready. */
async function driveToReady(h: Harness, txs: EthTx[]): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await settle(() => h.computing.size > 0 || txs.every((e) => h.mempool.isReady(e)))
    if (txs.every((e) => h.mempool.isReady(e))) return
    h.finishAll()
  }
  assert.fail('the txs did not get ready')
}

const direct: Program = async (call) => {
  await call(1n)
}
/** Calls the model with 1, then with the first answer + 10: a chained call. */
const chained: Program = async (call) => {
  const first = answerOf(await call(1n))
  if (first !== undefined) await call(first + 10n)
}

test('a tx that cannot reach the precompile is plain and ready at once', async () => {
  const h = new Harness()
  const eth = h.tx(1, direct)
  h.plain.add(eth.hashHex)
  await h.mempool.admit(eth)
  assert.equal(h.state(eth), 'plain')
  assert.ok(h.mempool.isReady(eth))
  assert.deepEqual(h.mempool.resultsFor([eth]), [])
  assert.equal(h.simulations, 0)
})

test('a direct call: simulated once, running while computed, then ready holding its result', async () => {
  const h = new Harness()
  const eth = h.tx(1, direct, { direct: true })
  await h.mempool.admit(eth)
  assert.equal(h.state(eth), 'simulating')
  assert.equal(h.mempool.isReady(eth), false)
  await settle(() => h.computing.size === 1)
  assert.equal(h.state(eth), 'running')
  h.finishAll()
  await settle(() => h.mempool.isReady(eth))
  assert.equal(h.simulations, 1, "no second round: no code reads a direct call's output")
  const [result] = h.mempool.resultsFor([eth])
  assert.deepEqual(result?.output, outputFor(1n))
  // Results stay with the tx even when the cache forgets them.
  h.cache.clear()
  assert.equal(h.mempool.resultsFor([eth]).length, 1)
})

test('a chained call: one more round per link, until its requests stop changing', async () => {
  const h = new Harness()
  const eth = h.tx(1, chained)
  await h.mempool.admit(eth)
  await settle(() => h.computing.size === 1)
  h.finishAll() // y(1) = 2: the second call asks for 12
  await settle(() => h.computing.size === 1)
  assert.equal(inputOf([...h.computing.values()][0]!.request), 12n)
  h.finishAll()
  await settle(() => h.mempool.isReady(eth))
  const status = h.mempool.status(eth.hashHex)!
  assert.equal(status.round, 2)
  assert.deepEqual(status.requests.map(inputOf), [1n, 12n])
  assert.equal(h.mempool.resultsFor([eth]).length, 2)
  assert.equal(status.reason, undefined)
})

test('requests that keep changing fail the tx after MAX_SIMULATION_ROUNDS, and CheckTx then refuses it', async () => {
  const h = new Harness()
  let n = 0n
  const eth = h.tx(1, async (call) => {
    await call(100n + n++) // a new input every round
  })
  await h.mempool.admit(eth)
  for (let i = 0; i < MAX_SIMULATION_ROUNDS && h.state(eth) !== 'failed'; i++) {
    await settle(() => h.computing.size > 0 || h.state(eth) === 'failed')
    h.finishAll()
  }
  await settle(() => h.state(eth) === 'failed')
  assert.match(h.mempool.status(eth.hashHex)!.reason!, /inference requests did not settle: still new requests after 4 rounds of simulation/)
  await assert.rejects(h.mempool.admit(eth), /did not settle/)
})

test('an invalid request fails the tx with its error; a failed computation too', async () => {
  const h = new Harness()
  const unknown = h.tx(1, async (call) => {
    await call(1n, { cid: await modelCid(new TextEncoder().encode('not in the hub')) })
  })
  await h.mempool.admit(unknown)
  await settle(() => h.state(unknown) === 'failed')
  assert.ok(ErrUnknownModel.is(h.mempool.status(unknown.hashHex)!.error))
  const broken = h.tx(2, direct, { direct: true })
  await h.mempool.admit(broken)
  await settle(() => h.computing.size === 1)
  ;[...h.computing.values()][0]!.fail(new Error('the model crashed'))
  await settle(() => h.state(broken) === 'failed')
  assert.match(h.mempool.status(broken.hashHex)!.reason!, /the model crashed/)
})

test('a call that cannot pay for the model: its result is computed, the tx is ready, and its status says it will run out of gas', async () => {
  const h = new Harness()
  const eth = h.tx(1, async (call) => {
    await call(1n, { gas: 50_100n }) // the call's own gas, not the model's
  })
  await h.mempool.admit(eth)
  await settle(() => h.computing.size === 1)
  h.finishAll()
  await settle(() => h.mempool.isReady(eth))
  const status = h.mempool.status(eth.hashHex)!
  assert.match(
    status.reason!,
    new RegExp(
      `^out of gas: inference 0 \\(model ${CID}\\) needs 51100 gas and the call has 50100; the tx will run out of gas when it executes`,
    ),
  )
  assert.equal(h.mempool.resultsFor([eth]).length, 1, 'the block carries its result, so the block charges the same gas')
})

test('beyond maxPending txs waiting for inference CheckTx refuses new ones; plain txs still enter', async () => {
  const h = new Harness(2)
  await h.mempool.admit(h.tx(1, direct, { direct: true }))
  await h.mempool.admit(h.tx(2, direct, { direct: true }))
  await assert.rejects(h.mempool.admit(h.tx(3, direct, { direct: true })), (err: Error) => ErrMempoolFull.is(err))
  const plain = h.tx(4, direct)
  h.plain.add(plain.hashHex)
  await h.mempool.admit(plain)
  assert.ok(h.mempool.isReady(plain))
})

test('after a commit: included txs are forgotten, txs whose reads the block wrote or that read the block context are simulated again, the others stay ready', async () => {
  const h = new Harness()
  const included = h.tx(1, chained, { reads: ['a1'] })
  const touched = h.tx(2, chained, { reads: ['s2'] })
  const untouched = h.tx(3, chained, { reads: ['s3'] })
  const unseen = h.tx(4, chained, { reads: ['s4'] })
  const contextual = h.tx(5, chained, { reads: ['s5'], readsBlockContext: true })
  for (const eth of [included, touched, untouched, unseen, contextual]) await h.mempool.admit(eth)
  await driveToReady(h, [included, touched, untouched, unseen, contextual])
  const before = h.simulations
  h.height = 6n
  for (const eth of [included, touched, untouched, contextual]) await h.mempool.admit(eth) // RECHECK at the new height
  h.mempool.blockCommitted([included.hash], new Set(['s2']))
  assert.equal(h.mempool.status(included.hashHex)?.reason, 'included in a block')
  assert.equal(h.state(touched), 'simulating')
  assert.equal(h.state(contextual), 'simulating', 'the next block has another number and time')
  assert.ok(h.mempool.isReady(untouched))
  await settle(() => h.mempool.isReady(touched) && h.mempool.isReady(contextual))
  assert.equal(h.simulations - before, 2, 'only the touched and the contextual tx were simulated again')
  h.height = 8n
  h.mempool.blockCommitted([], new Set())
  assert.equal(h.mempool.status(unseen.hashHex)?.reason, 'no longer in the mempool', 'CometBFT stopped rechecking it')
})

test('a simulation overtaken by commits is taken if none of them wrote what it read; otherwise, or when a block’s writes are unknown, it runs again', async () => {
  const h = new Harness()
  const held = h.tx(1, chained, { reads: ['s1'] })
  const touched = h.tx(2, chained, { reads: ['s2'] })
  const other = h.tx(3, chained, { reads: ['s3'] })
  const txs = [held, touched, other]
  for (const eth of txs) await h.mempool.admit(eth)
  // Round 1 asks for the first results; round 2 (the chained call) for the second; round 3 settles.
  for (let round = 0; round < 2; round++) {
    await settle(() => h.computing.size > 0)
    h.finishAll()
  }
  let open!: () => void
  h.gate = new Promise((r) => {
    open = r
  })
  await settle(() => txs.every((e) => h.simulated.get(e.hashHex) === 3))
  // Two blocks are committed while the settling runs (on height 5) wait; CometBFT rechecks the txs after each.
  h.height = 6n
  h.mempool.blockCommitted([], new Set(['s2']))
  for (const eth of txs) await h.mempool.admit(eth)
  h.height = 7n
  h.mempool.blockCommitted([], new Set(['s9']))
  for (const eth of txs) await h.mempool.admit(eth)
  h.gate = undefined
  open()
  await settle(() => h.mempool.isReady(held))
  assert.equal(h.simulated.get(held.hashHex), 3, 'blocks 6 and 7 wrote nothing it read: not simulated again')
  assert.equal(h.mempool.status(held.hashHex)?.height, 5n, 'simulated on 5')
  assert.deepEqual(
    h.mempool.provenRequests(held, resultsByKey(h.cache.values()))?.map((r) => r.keyHex),
    h.mempool.status(held.hashHex)?.requests.map((r) => r.keyHex),
    'and it holds on the head (7): ProcessProposal may take its requests',
  )
  await driveToReady(h, [touched])
  assert.equal(h.simulated.get(touched.hashHex), 4, 'block 6 wrote what it read: simulated again')
  assert.equal(h.mempool.status(touched.hashHex)?.height, 7n)
  // A block whose writes the mempool was not told: every overtaken simulation runs again.
  const later = h.tx(4, chained, { reads: ['s4'] })
  await h.mempool.admit(later)
  for (let round = 0; round < 2; round++) {
    await settle(() => h.computing.size > 0)
    h.finishAll()
  }
  h.gate = new Promise((r) => {
    open = r
  })
  await settle(() => h.simulated.get(later.hashHex) === 3)
  h.height = 8n
  h.mempool.blockCommitted([], undefined)
  for (const eth of [...txs, later]) await h.mempool.admit(eth)
  h.gate = undefined
  open()
  await driveToReady(h, [later])
  assert.equal(h.simulated.get(later.hashHex), 4)
  assert.equal(h.mempool.status(later.hashHex)?.height, 8n)
  assert.ok(h.mempool.isReady(other))
})

test('after a commit, re-simulation goes oldest first and only as far as the next block is likely to take; the rest wait', async () => {
  const h = new Harness()
  // 70 txs that read the block context; test txs ask 15M gas each, blocks hold 1,000M.
  h.blockGasLimit = 1_000_000_000n
  const txs = Array.from({ length: 70 }, (_, i) =>
    h.tx(i % 10, chained, { reads: [`s${i}`], readsBlockContext: true, nonce: BigInt(Math.floor(i / 10)) }),
  )
  for (const eth of txs) await h.mempool.admit(eth)
  await driveToReady(h, txs)
  const pending = new Set(txs)
  const commit = async (height: bigint, included: typeof txs) => {
    h.height = height
    for (const eth of included) pending.delete(eth)
    for (const eth of pending) await h.mempool.admit(eth) // RECHECK at the new height
    h.mempool.blockCommitted(
      included.map((e) => e.hash),
      new Set(),
    )
    await settle()
  }
  const ready = () => txs.filter((e) => h.mempool.isReady(e)).length
  // A block that included none of them: the floor, 64 txs, the oldest.
  let before = h.simulations
  await commit(6n, [])
  assert.equal(ready(), 64)
  assert.equal(h.simulations - before, 64)
  assert.ok(h.mempool.isReady(txs[63]!) && !h.mempool.isReady(txs[64]!), 'oldest first')
  // One that included two: 2 × 2 + 64 = 68 of the other 68.
  before = h.simulations
  await commit(7n, txs.slice(0, 2))
  assert.equal(h.simulations - before, 68)
  assert.equal(ready(), 68)
  // Never more than two blocks' gas: 30M blocks hold two 15M txs, two blocks four.
  h.blockGasLimit = 30_000_000n
  before = h.simulations
  await commit(8n, txs.slice(2, 4))
  assert.equal(h.simulations - before, 4)
  assert.equal(h.state(txs[10]!), 'simulating', 'still waiting its turn')
  assert.deepEqual(resimulationBudget(30_000_000n, 5), { txs: 74, gas: 60_000_000n })
})

test("provenRequests: a direct call's requests whatever the answers; a contract call's only on the same state with byte-identical results", async () => {
  const h = new Harness()
  const d = h.tx(1, direct, { direct: true })
  const c = h.tx(2, chained)
  await h.mempool.admit(d)
  await h.mempool.admit(c)
  await driveToReady(h, [d, c])
  const mine = resultsByKey(h.mempool.resultsFor([c]))
  assert.deepEqual(h.mempool.provenRequests(c, mine)?.map(inputOf), [1n, 12n])
  assert.deepEqual(h.mempool.provenRequests(d, new Map())?.map(inputOf), [1n], 'a direct call: the checker still finds the result missing')
  // A proposal whose first output differs: the chained call would ask for something else.
  const [first] = h.mempool.status(c.hashHex)!.requests
  const forged = new Map(mine)
  forged.set(first!.keyHex, { ...mine.get(first!.keyHex)!, output: outputFor(41n) })
  assert.equal(h.mempool.provenRequests(c, forged), undefined)
  const regassed = new Map(mine)
  regassed.set(first!.keyHex, { ...mine.get(first!.keyHex)!, modelGas: 1n })
  assert.equal(h.mempool.provenRequests(c, regassed), undefined, 'a different gas can change the run too')
  // A block that wrote nothing its simulation read: the simulation holds on the new state.
  const simulations = h.simulations
  h.height = 6n
  await h.mempool.admit(c)
  h.mempool.blockCommitted([], new Set(['s9']))
  assert.ok(h.mempool.isReady(c))
  assert.equal(h.simulations, simulations)
  assert.deepEqual(h.mempool.provenRequests(c, mine)?.map(inputOf), [1n, 12n])
  // Committed state moved on and this node was not told what the block wrote: nothing is
  // proven until the tx is simulated again.
  h.height = 7n
  await h.mempool.admit(c)
  h.mempool.blockCommitted([], undefined)
  assert.equal(h.mempool.provenRequests(c, mine), undefined)
  await settle(() => h.mempool.isReady(c))
  assert.deepEqual(h.mempool.provenRequests(c, mine)?.map(inputOf), [1n, 12n])
})
