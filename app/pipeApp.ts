import { EventEmitter } from 'node:events'
import type { Common } from '@ethereumjs/common'
import type { Logger } from './log.ts'
import { Metrics } from './metrics.ts'
import { KvStore, WriteSet } from './store/kvStore.ts'
import { readLastCommit, type LastCommit } from './appMeta.ts'
import { createChainCommon } from './modules/evm/chainConfig.ts'
import { EvmKeeper } from './modules/evm/keeper.ts'
import { EvmMempool } from './modules/evm/mempool.ts'
import { SenderRecoveryPool } from './modules/evm/senderRecoveryPool.ts'
import type { StoredBlock, StoredTx } from './modules/evm/blockStore.ts'
import type { EthTx } from './modules/evm/ethTx.ts'
import { InferenceModule, type InferenceStrategy } from './modules/inference/module.ts'
import { ModelStore } from './modelHub/modelStore.ts'
import type { ExecutorOptions } from './executor/index.ts'
import type { InferenceMempoolLimits } from './modules/inference/mempool/inferenceMempool.ts'
import path from 'node:path'
import { AppError, toAppError } from './errors.ts'
import { QueryRouter } from './abci/queryRouter.ts'
import { AuthKeeper } from './modules/auth/keeper.ts'
import { authQueries } from './modules/auth/queryServer.ts'
import { BankKeeper } from './modules/bank/keeper.ts'
import { msgSendHandler } from './modules/bank/msgServer.ts'
import { bankQueries } from './modules/bank/queryServer.ts'
import { registerInferenceNodeHandler, registerModelHandler } from './modules/inference/registry/msgServer.ts'
import { inferenceQueries } from './modules/inference/registry/queryServer.ts'
import { looksLikeTxRaw, type CosmosTx } from './modules/tx/cosmosTx.ts'
import { CosmosTxModule } from './modules/tx/module.ts'

export interface AppOptions {
  /** Tests instrument the crypto; nodes use the chain's. */
  common?: Common
  /** Sender-recovery worker threads (0: recover on the main thread). */
  recoveryWorkers?: number
  /** The model hub's store (default `<data>/models`). */
  models?: ModelStore
  inference?: InferenceStrategy
  executor?: ExecutorOptions
  inferenceMempool?: Partial<InferenceMempoolLimits>
}

/** Emitted after Commit has written a block: JSON-RPC filters and subscriptions listen. */
export interface CommittedBlockEvent {
  block: StoredBlock
  txs: StoredTx[]
}

/** A block tx, decoded: Ethereum or Cosmos (the inference results tx is handled apart). */
export type BlockTx = EthTx | CosmosTx

interface AppEvents {
  committed: [CommittedBlockEvent]
}

/**
 * The application's modules and the state shared by the ABCI handlers: the database, the
 * write set FinalizeBlock stages into and Commit flushes, and the last committed height.
 * `module.ts`-style wiring only; behaviour lives in the modules and in app/abci/*Handler.ts.
 */
export class PipeApp {
  /** Writes of the block being finalized; Commit writes them in one batch. */
  readonly pending = new WriteSet()
  readonly events = new EventEmitter<AppEvents>()
  readonly metrics = new Metrics()
  /** Height and app hash of the block FinalizeBlock executed, until Commit makes them last. */
  staged: LastCommit | undefined

  private constructor(
    readonly kv: KvStore,
    readonly evm: EvmKeeper,
    readonly mempool: EvmMempool,
    readonly inference: InferenceModule,
    readonly auth: AuthKeeper,
    readonly bank: BankKeeper,
    readonly cosmos: CosmosTxModule,
    readonly queries: QueryRouter,
    readonly log: Logger,
    public lastCommit: LastCommit,
  ) {}

  /**
   * Opens (or creates) the node's database under `dataDir` and resumes from it. `common` is for
   * tests that instrument the crypto; nodes use the chain's.
   */
  static async open(dataDir: string, log: Logger, opts: AppOptions = {}): Promise<PipeApp> {
    const kv = await KvStore.open(dataDir)
    const store = opts.models ?? new ModelStore({ dir: path.join(dataDir, 'models'), log: log.child('models') })
    const inference = await InferenceModule.open(kv, { store, strategy: opts.inference, executor: opts.executor, mempool: opts.inferenceMempool, log: log.child('inference') })
    const auth = await AuthKeeper.open(kv)
    const bank = new BankKeeper()
    const { registry } = inference
    const cosmos = new CosmosTxModule({
      kv,
      auth,
      bank,
      handlers: [msgSendHandler(bank), registerModelHandler(registry, store), registerInferenceNodeHandler(registry)],
      stores: [registry],
    })
    const pool = opts.recoveryWorkers === 0 ? undefined : new SenderRecoveryPool(opts.recoveryWorkers)
    const evm = await EvmKeeper.open(kv, opts.common ?? createChainCommon(), log.child('evm'), pool, { ...inference.evmExtensions(), cosmosTxs: cosmos.runner })
    inference.attach(evm)
    const mempool = new EvmMempool(evm)
    cosmos.attach(evm, mempool.state)
    let app: PipeApp | undefined
    const queries = new QueryRouter([...authQueries(auth), ...bankQueries(bank), ...cosmos.queries(), ...inferenceQueries(registry)], {
      latestHeight: () => app?.lastCommit.height ?? 0n,
      accountsAt: (height) => evm.stateAtHeight(height),
    })
    app = new PipeApp(kv, evm, mempool, inference, auth, bank, cosmos, queries, log, await readLastCommit(kv))
    return app
  }

  /** Decodes and statelessly checks a block tx of either kind, or says why it is invalid. */
  decodeBlockTx(raw: Uint8Array): BlockTx | AppError {
    if (!looksLikeTxRaw(raw)) return this.mempool.decodeForBlock(raw)
    try {
      return this.cosmos.decoder.decode(raw)
    } catch (err) {
      return toAppError(err)
    }
  }

  /** CheckTx's inference admission (nothing to do when blocks compute inference inline). */
  async admitInference(eth: EthTx): Promise<void> {
    if (this.inference.strategy === 'pipe') await this.inference.mempool.admit(eth)
  }

  async close(): Promise<void> {
    await this.inference.close()
    await this.evm.close()
    await this.kv.close()
  }
}
