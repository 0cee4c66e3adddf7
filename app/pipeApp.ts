import { EventEmitter } from 'node:events'
import path from 'node:path'
import type { Common } from '@ethereumjs/common'
import { CheckTxOutcomes } from './abci/checkTxOutcomes.ts'
import { QueryRouter } from './abci/queryRouter.ts'
import { BlockExecutor } from './block/blockExecutor.ts'
import { BlockTxDecoder } from './block/blockTx.ts'
import type { ByzantineProposer } from './block/byzantineProposal.ts'
import type { ExecutorOptions, ModelExecutor } from './executor/index.ts'
import { type LastCommit, readLastCommit } from './lastCommit.ts'
import type { Logger } from './log.ts'
import { Metrics } from './metrics.ts'
import { ModelStore } from './modelHub/modelStore.ts'
import { AuthKeeper } from './modules/auth/keeper.ts'
import { authQueries } from './modules/auth/queryServer.ts'
import { BankKeeper } from './modules/bank/keeper.ts'
import { msgSendHandler } from './modules/bank/msgServer.ts'
import { bankQueries } from './modules/bank/queryServer.ts'
import type { StoredBlock, StoredTx } from './modules/evm/blockStore.ts'
import { createChainCommon } from './modules/evm/chainConfig.ts'
import { EvmKeeper } from './modules/evm/keeper.ts'
import { EvmMempool } from './modules/evm/mempool.ts'
import { SenderRecoveryPool } from './modules/evm/senderRecoveryPool.ts'
import type { InferenceMempoolLimits } from './modules/inference/mempool/inferenceMempool.ts'
import { InferenceModule } from './modules/inference/module.ts'
import { inferenceQueries } from './modules/inference/queryServer.ts'
import { registerInferenceNodeHandler, registerModelHandler } from './modules/inference/registry/msgServer.ts'
import { decodeZkProof } from './modules/inference/verification/zkProof.ts'
import { CosmosTxModule } from './modules/tx/module.ts'
import type { ChainedKeeper } from './store/chainedStore.ts'
import { KvStore, WriteSet } from './store/kvStore.ts'

export interface AppOptions {
  /** Tests instrument the crypto; nodes use the chain's. */
  common?: Common
  /** Sender-recovery worker threads (0: recover on the main thread). */
  recoveryWorkers?: number
  /** The model hub's store (default `<data>/models`). */
  hub?: ModelStore
  executor?: ExecutorOptions
  /** Runs models instead of an executor made from `executor` (tests hold runs with one). */
  modelExecutor?: ModelExecutor
  inferenceMempool?: Partial<InferenceMempoolLimits>
  /**
   * Opens the inference module; default InferenceModule.open. bench/pipe's inline baseline
   * passes a subclass that computes inference during block execution instead.
   */
  inferenceModule?: Pick<typeof InferenceModule, 'open'>
  /** ZKML prover and verifier threads (InferenceModuleOptions.zk). */
  zk?: { provers?: number; verifiers?: number }
  /** Threads simulating mempool txs and proposals (default 1). */
  simulationThreads?: number
  /** TEST ONLY: propose with corrupted ZKML proofs (block/byzantineProposal.ts). */
  byzantineProposer?: ByzantineProposer
}

/** Emitted after Commit has written a block: JSON-RPC filters and subscriptions listen. */
export interface CommittedBlockEvent {
  block: StoredBlock
  txs: StoredTx[]
}

interface AppEvents {
  committed: [CommittedBlockEvent]
}

/**
 * The application's modules and the state shared by the ABCI handlers: the database, the
 * writes FinalizeBlock stages and Commit flushes, and the last committed height. Wiring only;
 * behaviour lives in the modules, in app/block (the block loop) and in app/abci/*Handler.ts.
 */
export class PipeApp {
  /** Writes of the block being finalized; Commit writes them in one batch. */
  readonly blockWrites = new WriteSet()
  readonly events = new EventEmitter<AppEvents>()
  readonly metrics = new Metrics()
  /** CheckTx(NEW) answers for txs this node's JSON-RPC submitted. */
  readonly checkTxOutcomes = new CheckTxOutcomes()
  /** Height and app hash of the block FinalizeBlock executed, until Commit makes them last. */
  staged: LastCommit | undefined
  /** TEST ONLY: set, PrepareProposal corrupts its ZKML proofs (a byzantine proposer). */
  byzantineProposer: ByzantineProposer | undefined

  private constructor(
    readonly kv: KvStore,
    readonly evm: EvmKeeper,
    /** CheckTx and proposal checks of Ethereum txs; its sender queues are shared with Cosmos txs. */
    readonly evmMempool: EvmMempool,
    readonly inference: InferenceModule,
    readonly auth: AuthKeeper,
    readonly bank: BankKeeper,
    readonly cosmos: CosmosTxModule,
    readonly queries: QueryRouter,
    /** Decodes block txs of both kinds. */
    readonly blockTxs: BlockTxDecoder,
    /** FinalizeBlock's tx loop. */
    readonly blockExecutor: BlockExecutor,
    readonly log: Logger,
    public lastCommit: LastCommit,
  ) {}

  /**
   * Opens (or creates) the node's database under `dataDir` and resumes from it. `common` is for
   * tests that instrument the crypto; nodes use the chain's.
   */
  static async open(dataDir: string, log: Logger, opts: AppOptions = {}): Promise<PipeApp> {
    const kv = await KvStore.open(dataDir)
    const hub = opts.hub ?? new ModelStore({ dir: path.join(dataDir, 'models'), log: log.child('models') })
    const inference = await (opts.inferenceModule ?? InferenceModule).open(kv, {
      hub,
      executor: opts.executor,
      modelExecutor: opts.modelExecutor,
      mempool: opts.inferenceMempool,
      zk: opts.zk,
      simulationThreads: opts.simulationThreads,
      log: log.child('inference'),
    })
    const auth = await AuthKeeper.open(kv)
    const bank = new BankKeeper()
    const { registry } = inference
    const cosmos = new CosmosTxModule({
      kv,
      auth,
      bank,
      handlers: [msgSendHandler(bank), registerModelHandler(registry, hub), registerInferenceNodeHandler(registry)],
      stores: [registry],
    })
    const pool = opts.recoveryWorkers === 0 ? undefined : new SenderRecoveryPool(opts.recoveryWorkers)
    const evm = await EvmKeeper.open(kv, opts.common ?? createChainCommon(), log.child('evm'), pool, inference.precompiles())
    inference.attach(evm)
    const evmMempool = new EvmMempool(evm)
    cosmos.attach(evm, evmMempool.senders)
    let app: PipeApp | undefined
    const queries = new QueryRouter(
      [
        ...authQueries(auth),
        ...bankQueries(bank),
        ...cosmos.queries(),
        ...inferenceQueries({
          keeper: inference.keeper,
          registry,
          proofs: { get: (hash) => inference.proofs.get(hash), decode: decodeZkProof },
        }),
      ],
      {
        latestHeight: () => app?.lastCommit.height ?? 0n,
        accountsAt: (height) => evm.stateAtHeight(height),
        blockTimeAt: async (height) => (await evm.blocks.blockByHeight(height))?.header.timestamp,
      },
    )
    const blockTxs = new BlockTxDecoder(evmMempool, cosmos.decoder)
    const blockExecutor = new BlockExecutor(evm, cosmos.runner, inference)
    app = new PipeApp(kv, evm, evmMempool, inference, auth, bank, cosmos, queries, blockTxs, blockExecutor, log, await readLastCommit(kv))
    app.byzantineProposer = opts.byzantineProposer
    if (opts.byzantineProposer)
      log.warn(`TEST ONLY: this node proposes blocks with inference results corrupted (${opts.byzantineProposer})`)
    return app
  }

  /** The module stores beside the EVM trie, in app-hash order after the EVM's root. */
  chainedKeepers(): readonly (readonly [name: string, keeper: ChainedKeeper])[] {
    return [
      ['auth', this.auth],
      ['inference', this.inference.keeper],
      ['inference/registry', this.inference.registry],
    ]
  }

  async close(): Promise<void> {
    await this.inference.close()
    await this.evm.close()
    await this.kv.close()
  }
}
