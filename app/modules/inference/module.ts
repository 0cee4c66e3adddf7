import { LRUCache } from 'lru-cache'
import type { AppError } from '../../errors.ts'
import { type ExecutorOptions, InferenceExecutor, type ModelExecutor } from '../../executor/index.ts'
import { fingerprint } from '../../fingerprint.ts'
import type { Logger } from '../../log.ts'
import type { ModelStore } from '../../modelHub/modelStore.ts'
import type { KvStore } from '../../store/kvStore.ts'
import type { EthTx } from '../evm/ethTx.ts'
import type { EvmKeeper } from '../evm/keeper.ts'
import type { EvmPrecompiles } from '../evm/precompiles.ts'
import { BlockRecorder } from './block/blockRecorder.ts'
import { InferenceKeeper } from './block/keeper.ts'
import { checkProposalResults } from './block/proposalCheck.ts'
import { decodeResultsTx, encodeResultsTx } from './block/resultsTx.ts'
import { InferenceMempool, type InferenceMempoolLimits, timeoutFor } from './mempool/inferenceMempool.ts'
import { InferenceRunner } from './mempool/inferenceRunner.ts'
import { ResultCache } from './mempool/resultCache.ts'
import type { WarmedUp } from './mempool/simulationWire.ts'
import { TxSimulator } from './mempool/txSimulator.ts'
import { CALL_INFERENCE_TIMEOUT_MS, INFERENCE_TIMEOUT_MS, MAX_PENDING_INFERENCE_TXS, MAX_REQUESTS_PER_TX } from './params.ts'
import { blockAnswers, type InferenceAnswers, txInferenceCalls } from './precompile/inferenceCalls.ts'
import { inferencePrecompile } from './precompile/precompile.ts'
import { PrecompileReach } from './precompile/reachability.ts'
import { RegistryKeeper } from './registry/keeper.ts'
import { RegisteredModes } from './registry/registeredModes.ts'
import type { InferenceRequest } from './types/request.ts'
import { type InferenceResult, resultsByKey } from './types/result.ts'
import { VerificationMode } from './types/verificationMode.ts'
import { ResultVerification } from './verification/resultVerification.ts'
import { ZkCircuits } from './verification/zkCircuits.ts'
import { ZkProver } from './verification/zkProver.ts'
import { ZkVerifier } from './verification/zkVerifier.ts'

export interface InferenceModuleOptions {
  /** The node's model hub: what checked runs validate requests against, where the executor finds models. */
  hub: ModelStore
  executor?: ExecutorOptions
  /** Runs models instead of an InferenceExecutor made from `executor` (tests hold runs with one). */
  modelExecutor?: ModelExecutor
  mempool?: Partial<InferenceMempoolLimits>
  /** ZKML proving and verifying threads (defaults: 1 prover, one verifier per core). */
  zk?: { provers?: number; verifiers?: number }
  /** Threads simulating mempool txs and proposals (default DEFAULT_SIMULATION_THREADS). */
  simulationThreads?: number
  log: Logger
}

/**
 * The inference module's wiring (module.ts: wiring only), and the calls consensus makes into
 * it at each ABCI step — one interface, whatever computes the results:
 * - CheckTx: {@link admit};
 * - PrepareProposal: {@link isReady}, {@link resultsTx};
 * - ProcessProposal: {@link checkProposal} (proposal + committed state only);
 * - FinalizeBlock: {@link beginBlock}, the block precompile, {@link beforeTx} / {@link afterTx},
 *   {@link endBlock}; the keeper and the registry then stage their writes like every module's;
 * - Commit: {@link blockCommitted}.
 */
export class InferenceModule {
  readonly results: ResultCache
  /** Computes requests on the executor (the ResultCache's, and bench/pipe's inline baseline's). */
  protected readonly runner: InferenceRunner
  readonly recorder = new BlockRecorder()
  readonly reach = new PrecompileReach()
  /** Which modes each model may be asked for (committed registrations). */
  readonly modes: RegisteredModes
  /** ZKML: registered circuits, the prover threads, the verifier threads. */
  readonly zk: { circuits: ZkCircuits; prover: ZkProver; verifier: ZkVerifier }
  /** How ProcessProposal checks each carried result (by mode). */
  readonly verification: ResultVerification
  /** Proof artefacts of committed blocks, by sha256 (records hold the hash). */
  readonly proofs: { get(hash: Uint8Array): Promise<Uint8Array | undefined> }
  /** The results the block being executed carries (recorded in state at its end). */
  protected blockResults: InferenceResult[] = []
  private attached: { mempool: InferenceMempool; simulator: TxSimulator; evm: EvmKeeper } | undefined
  /** Results txs decoded lately, by fingerprint: ProcessProposal and FinalizeBlock see the same bytes. */
  private readonly decoded = new LRUCache<string, { raw: Uint8Array; results: InferenceResult[] }>({ max: 4 })

  protected constructor(
    readonly keeper: InferenceKeeper,
    /** Registered models and inference nodes. */
    readonly registry: RegistryKeeper,
    readonly hub: ModelStore,
    readonly executor: ModelExecutor,
    protected readonly log: Logger,
    private readonly limits: InferenceMempoolLimits,
    zk: InferenceModuleOptions['zk'] = {},
    private readonly simulationThreads?: number,
  ) {
    this.modes = new RegisteredModes(registry)
    const circuits = new ZkCircuits(registry, hub)
    const verifier = new ZkVerifier({ threads: zk.verifiers })
    this.zk = { circuits, prover: new ZkProver(circuits, verifier, { threads: zk.provers }), verifier }
    this.proofs = { get: (hash) => keeper.proof(hash) }
    this.runner = new InferenceRunner(hub, executor, this.zk.prover)
    this.results = new ResultCache(this.runner)
    this.verification = new ResultVerification(
      circuits,
      this.zk.verifier,
      hub,
      {
        committedNode: (key) => registry.committedNode(key),
        committedTeePolicy: () => registry.committedTeePolicy(),
        committedTime: () => this.attached?.evm.head()?.header.timestamp ?? 0n,
      },
      this.results,
    )
  }

  static async open(kv: KvStore, opts: InferenceModuleOptions): Promise<InferenceModule> {
    const { hub } = opts
    const limits = { maxPending: MAX_PENDING_INFERENCE_TXS, timeoutMs: INFERENCE_TIMEOUT_MS, ...opts.mempool }
    // The mempool bounds what waits for inference (maxPending txs of at most MAX_REQUESTS_PER_TX
    // requests): the executor's queue is sized to hold all of it, so it is the one queue and an
    // admitted tx is never refused for a full one.
    const queue = limits.maxPending * MAX_REQUESTS_PER_TX
    const executor =
      opts.modelExecutor ??
      new InferenceExecutor(hub, { log: opts.log.child('executor'), maxQueued: queue, maxQueuePerModel: queue, ...opts.executor })
    return new this(
      await InferenceKeeper.open(kv),
      await RegistryKeeper.open(kv),
      hub,
      executor,
      opts.log,
      limits,
      opts.zk,
      opts.simulationThreads,
    )
  }

  /** The precompile, for the EVM's block VM (block answers) and call VMs (computed now, bounded). */
  precompiles(): EvmPrecompiles {
    return {
      block: () => [inferencePrecompile(() => this.recorder.current())],
      // eth_call and eth_estimateGas both run the model for real (bounded), so an estimate covers
      // the work a contract does after the model answered. Results are kept: the tx sent right
      // after its estimate finds them computed.
      call: () => {
        const calls = txInferenceCalls(new Uint8Array(32), {
          kind: 'call',
          results: this.results,
          modes: this.modes,
          models: this.hub,
          compute: (request) => this.results.compute(request, CALL_INFERENCE_TIMEOUT_MS),
        })
        return [inferencePrecompile(() => calls)]
      },
    }
  }

  /** Connects the module to the EVM it extends (they are created in that order). */
  attach(evm: EvmKeeper): void {
    // Mempool simulations wait for the results they need: computed once each by the result cache.
    const compute = (r: InferenceRequest) => this.results.compute(r, timeoutFor(r, this.limits.timeoutMs))
    const simulator = new TxSimulator(evm, this.modes, this.hub, this.simulationThreads, compute)
    simulator.onWarmUpFailure = (why) => this.log.warn(`a simulation thread starts cold: its warm-up failed (${why})`)
    const mempool = new InferenceMempool(evm, simulator, this.reach, this.results, this.log.child('inference-mempool'), this.limits)
    this.attached = { simulator, mempool, evm }
  }

  get mempool(): InferenceMempool {
    return this.wired().mempool
  }

  /** CheckTx, after the EVM's checks: the inference mempool starts tracking the tx (or refuses it). */
  admit(eth: EthTx): Promise<void> {
    return this.mempool.admit(eth)
  }

  /** PrepareProposal: whether the tx may be proposed now (every inference it makes is computed). */
  isReady(eth: EthTx): boolean {
    return this.mempool.isReady(eth)
  }

  /** PrepareProposal: the results tx the selected txs need, or undefined when they need none. */
  resultsTx(selected: readonly EthTx[]): Uint8Array | undefined {
    const results = this.mempool.resultsFor(selected)
    return results.length > 0 ? encodeResultsTx(results) : undefined
  }

  /** A block's results tx, decoded and checked (ErrResultsTx); each block's is decoded once. */
  decodeResultsTx(raw: Uint8Array): InferenceResult[] {
    const key = fingerprint(raw)
    const hit = this.decoded.get(key)
    if (hit && Buffer.compare(hit.raw, raw) === 0) return hit.results
    const results = decodeResultsTx(raw)
    this.decoded.set(key, { raw, results })
    return results
  }

  /**
   * ProcessProposal: every result the block's Ethereum txs need is carried, and nothing else.
   * Reads the proposal and the committed state; the mempool may spare a simulation only where
   * it proves the outcome (InferenceMempool.provenRequests).
   */
  async checkProposal(
    txs: readonly EthTx[],
    block: { results: readonly InferenceResult[]; hasResultsTx: boolean },
  ): Promise<AppError | undefined> {
    const { simulator, mempool, evm } = this.wired()
    return checkProposalResults(
      txs,
      block.results,
      {
        state: await evm.checkState(),
        reach: this.reach,
        modes: this.modes,
        verify: (result, request) => this.verification.check(result, request),
        startVerifying: (result) => this.verification.start(result),
        simulate: (eth, answers) => simulator.simulate(eth, answers),
      },
      mempool,
    )
  }

  /**
   * FinalizeBlock, before the txs run: the precompile answers from the block's results. The
   * block was accepted (ProcessProposal verified its proofs here, or +2/3 of the validators
   * did), so nothing is verified again; ZKML records get the registered verifying-key hash.
   */
  async beginBlock(height: bigint, results: readonly InferenceResult[]): Promise<void> {
    this.blockResults = [...results]
    const verifyingKeys = new Map<string, Uint8Array>()
    for (const r of results) {
      if (r.mode !== VerificationMode.VERIFICATION_MODE_ZKML || verifyingKeys.has(r.modelCid)) continue
      const model = await this.registry.committedModel(r.modelCid)
      if (model) verifyingKeys.set(r.modelCid, model.zkVerifyingKeyHash)
    }
    this.recorder.beginBlock(height, this.blockAnswers(results), verifyingKeys)
  }

  /** How the block precompile answers (the block's results; no other source). */
  protected blockAnswers(results: readonly InferenceResult[]): InferenceAnswers {
    return blockAnswers(this.modes, resultsByKey(results))
  }

  beforeTx(eth: EthTx): void {
    this.recorder.beforeTx(eth)
  }

  afterTx(eth: EthTx, reverted: boolean): void {
    this.recorder.afterTx(eth, reverted)
  }

  /** FinalizeBlock, after the txs ran: the block's results and records go into the keeper. */
  endBlock(): void {
    this.keeper.putBlock(this.blockResults, this.recorder.endBlock())
    this.blockResults = []
  }

  /** Commit wrote the block: re-judge the mempool's txs against the new state. */
  blockCommitted(included: Iterable<Uint8Array>, writes: ReadonlySet<string> | undefined): void {
    this.modes.blockCommitted()
    this.mempool.blockCommitted(included, writes)
  }

  async close(): Promise<void> {
    await Promise.all([this.executor.close(), this.zk.prover.close(), this.zk.verifier.close(), this.attached?.simulator.close()])
  }

  /** Starts the simulation threads now (the node does at start; an in-process app leaves them to start when needed). */
  startSimulationThreads(): void {
    this.wired().simulator.startThreads()
  }

  /** How the simulation threads' warm-ups went, one report per thread that has finished warming up. */
  simulationWarmUps(): readonly WarmedUp[] {
    return this.wired().simulator.warmUps()
  }

  private wired(): { mempool: InferenceMempool; simulator: TxSimulator; evm: EvmKeeper } {
    if (!this.attached) throw new Error('inference module not attached to the EVM')
    return this.attached
  }
}
