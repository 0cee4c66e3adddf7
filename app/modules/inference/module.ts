import type { CustomPrecompile } from '@ethereumjs/evm'
import type { Logger } from '../../log.ts'
import type { KvStore } from '../../store/kvStore.ts'
import type { EvmExtensions } from '../evm/extensions.ts'
import type { EvmKeeper } from '../evm/keeper.ts'
import { BlockRecorder } from './block/blockRecorder.ts'
import { InferenceExecutor, type ExecutorOptions } from '../../executor/index.ts'
import { newContext, type InferenceContext } from './precompile/inferenceCalls.ts'
import { InferenceMempool, type InferenceMempoolLimits } from './mempool/inferenceMempool.ts'
import { InferenceRunner } from './mempool/inferenceRunner.ts'
import { InferenceKeeper } from './block/keeper.ts'
import { RegistryKeeper } from './registry/keeper.ts'
import type { ModelStore } from '../../modelHub/modelStore.ts'
import { CALL_INFERENCE_TIMEOUT_MS, INFERENCE_TIMEOUT_MS, MAX_PENDING_INFERENCE_TXS } from './params.ts'
import { inferencePrecompile } from './precompile/precompile.ts'
import { ResultCache } from './mempool/resultCache.ts'
import { TxSimulator } from './mempool/txSimulator.ts'

/**
 * How blocks get their inference results:
 * - `pipe` (default): pre-executed in the mempool, carried by the block's results tx;
 * - `inline`: computed during FinalizeBlock by every validator, as a chain without
 *   pre-execution does (a benchmark baseline, not for production).
 */
export type InferenceStrategy = 'pipe' | 'inline'

export interface InferenceModuleOptions {
  store: ModelStore
  strategy?: InferenceStrategy
  executor?: ExecutorOptions
  mempool?: Partial<InferenceMempoolLimits>
  log: Logger
}

/** The inference module's wiring: keeper, mempool, executor, precompiles (module.ts: wiring only). */
export class InferenceModule {
  readonly results = new ResultCache()
  readonly runner: InferenceRunner
  readonly recorder: BlockRecorder
  readonly strategy: InferenceStrategy
  private attached: { mempool: InferenceMempool; simulator: TxSimulator } | undefined

  private constructor(
    readonly keeper: InferenceKeeper,
    /** Registered models and inference nodes. */
    readonly registry: RegistryKeeper,
    readonly store: ModelStore,
    readonly executor: InferenceExecutor,
    private readonly log: Logger,
    strategy: InferenceStrategy,
    private readonly limits: InferenceMempoolLimits,
  ) {
    this.strategy = strategy
    this.runner = new InferenceRunner(store, executor)
    this.recorder = new BlockRecorder(strategy === 'inline' ? (r) => this.runner.run(r, CALL_INFERENCE_TIMEOUT_MS * 6) : undefined)
  }

  static async open(kv: KvStore, opts: InferenceModuleOptions): Promise<InferenceModule> {
    const { store } = opts
    const executor = new InferenceExecutor(
      { path: (cid) => store.path(cid), batchable: async (cid) => (await store.metadata(cid))?.batchable ?? false },
      { log: opts.log.child('executor'), ...opts.executor },
    )
    const limits = { maxPending: MAX_PENDING_INFERENCE_TXS, timeoutMs: INFERENCE_TIMEOUT_MS, ...opts.mempool }
    return new InferenceModule(await InferenceKeeper.open(kv), await RegistryKeeper.open(kv), store, executor, opts.log, opts.strategy ?? 'pipe', limits)
  }

  /** What the EVM gets: the precompile in its block VM and call VMs, and the block hooks. */
  evmExtensions(): EvmExtensions {
    return {
      blockPrecompiles: () => [inferencePrecompile(() => this.recorder.context(), this.store)],
      blockHooks: this.recorder,
      // eth_call and eth_estimateGas both run the model for real (bounded), so an estimate
      // covers the work a contract does after the model answered. Results are kept: the tx sent
      // right after its estimate finds them ready.
      callPrecompiles: (): CustomPrecompile[] => {
        const ctx: InferenceContext = newContext('call', this.results)
        ctx.runNow = async (request) => {
          const r = await this.runner.run(request, CALL_INFERENCE_TIMEOUT_MS)
          this.results.set(request.keyHex, r)
          return r
        }
        return [inferencePrecompile(() => ctx, this.store)]
      },
    }
  }

  /** Connects the module to the EVM it extends (they are created in that order). */
  attach(evm: EvmKeeper): void {
    const simulator = new TxSimulator(evm, this.store)
    this.attached = { simulator, mempool: new InferenceMempool(evm, simulator, this.runner, this.results, this.log.child('inference-mempool'), this.limits) }
  }

  get mempool(): InferenceMempool {
    if (!this.attached) throw new Error('inference module not attached to the EVM')
    return this.attached.mempool
  }

  get simulator(): TxSimulator {
    if (!this.attached) throw new Error('inference module not attached to the EVM')
    return this.attached.simulator
  }

  async close(): Promise<void> {
    await this.executor.close()
  }
}
