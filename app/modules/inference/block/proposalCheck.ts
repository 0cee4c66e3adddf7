import type { MerkleStateManager } from '@ethereumjs/statemanager'
import type { AppError } from '../../../errors.ts'
import type { EthTx } from '../../evm/ethTx.ts'
import { ErrResultsTx } from '../errors.ts'
import type { Simulation, SimulationAnswers } from '../mempool/txSimulator.ts'
import type { ModeRules } from '../precompile/inferenceCalls.ts'
import type { PrecompileReach } from '../precompile/reachability.ts'
import type { InferenceRequest } from '../types/request.ts'
import { type InferenceResult, type ResultLookup, resultsByKey } from '../types/result.ts'

/** What the check reads: committed state, and txs simulated on it. */
export interface CommittedState {
  /** The latest committed EVM state (the code txs call). */
  state: MerkleStateManager
  reach: PrecompileReach
  /** Committed registrations: which modes each model allows. */
  modes: ModeRules
  /** Checks one carried result against the request it answers (ResultVerification: proofs). */
  verify(result: InferenceResult, request: InferenceRequest): Promise<AppError | undefined>
  /** Starts the request-independent part of `verify` (a ZK proof against its key) early; optional. */
  startVerifying?(result: InferenceResult): void
  /** Runs a tx on the latest committed state (TxSimulator, on its threads). */
  simulate(eth: EthTx, answers: SimulationAnswers): Promise<Simulation>
}

/**
 * A verdict this node can prove without simulating: the requests a block-answers simulation of
 * `eth` on the committed state would make with `proposal`'s results, or undefined. It must
 * return exactly what {@link checkProposalResults} would find by simulating
 * (InferenceMempool.provenRequests says why its answers are).
 */
export interface ProvenRequests {
  provenRequests(eth: EthTx, proposal: ResultLookup): readonly InferenceRequest[] | undefined
}

/**
 * ProcessProposal's inference check: every request a block tx makes must have its result in the
 * block, every result must be needed by some tx, and every result must pass its mode's
 * verification against the request it answers (ZKML proofs verified in parallel). A tx's requests are what it asks for when
 * run on the committed state with the block's results as answers, so the verdict is a function
 * of the proposal and committed state only; `proven` may spare the simulation of a tx whose
 * requests it can prove.
 * @returns the first problem, or undefined to accept.
 */
export async function checkProposalResults(
  txs: readonly EthTx[],
  results: readonly InferenceResult[],
  committed: CommittedState,
  proven?: ProvenRequests,
): Promise<AppError | undefined> {
  const byKey = resultsByKey(results)
  // Proofs start verifying now, on the verifier's threads, while the simulation threads find
  // the txs' requests: a simulation ends only when the ones sharing its thread do, so waiting
  // for each tx's request would put every proof after every simulation.
  for (const r of results) committed.startVerifying?.(r)
  const needed = new Map<string, InferenceRequest>()
  // Each result is checked against its request once a tx's request for it is known.
  const verdicts = new Map<string, Promise<AppError | undefined>>()
  const need = (r: InferenceRequest): void => {
    if (needed.has(r.keyHex)) return
    needed.set(r.keyHex, r)
    const result = byKey.get(r.keyHex)
    if (result) verdicts.set(r.keyHex, committed.verify(result, r))
  }
  // Txs whose requests must be found by simulating run on the simulation threads, all at once
  // (each on committed state alone); their requests are taken in block order.
  const found: (readonly InferenceRequest[] | Promise<Simulation> | undefined)[] = []
  for (const eth of txs) {
    if (!(await committed.reach.mayReach(eth, committed.state))) found.push(undefined)
    else found.push(proven?.provenRequests(eth, byKey) ?? quiet(committed.simulate(eth, { kind: 'block', results: byKey })))
  }
  for (let i = 0; i < txs.length; i++) {
    const eth = txs[i]!
    const f = found[i]
    if (f === undefined) continue
    if (!(f instanceof Promise)) {
      const missing = f.find((r) => !byKey.has(r.keyHex))
      if (missing) return settleAll(found, missingResult(eth, missing))
      for (const r of f) need(r)
      continue
    }
    for (const c of (await f).calls) {
      if (c.outcome === 'missing') return settleAll(found, missingResult(eth, c.request))
      need(c.request)
    }
  }
  const extra = results.find((r) => !needed.has(r.keyHex))
  if (extra) return ErrResultsTx.with(`result ${extra.keyHex} (model ${extra.modelCid}) is needed by no tx of the block`)
  // The first failure in the results tx's order, whatever order the verdicts came in.
  const all = await Promise.all(results.map((r) => verdicts.get(r.keyHex)!))
  return all.find((v) => v !== undefined)
}

/** A simulation awaited later: its failure is reported there, not as an unhandled rejection. */
function quiet(p: Promise<Simulation>): Promise<Simulation> {
  p.catch(() => {})
  return p
}

/** Returns `verdict` once every simulation started has ended (none is left running behind the verdict). */
async function settleAll(found: readonly unknown[], verdict: AppError): Promise<AppError> {
  await Promise.allSettled(found.filter((f) => f instanceof Promise))
  return verdict
}

function missingResult(eth: EthTx, r: InferenceRequest): AppError {
  return ErrResultsTx.with(`tx ${eth.hashHex} needs the result of model ${r.modelCid} request ${r.keyHex}, which the block does not carry`)
}
