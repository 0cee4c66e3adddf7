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
    readonly log: Logger,
    public lastCommit: LastCommit,
  ) {}

  /**
   * Opens (or creates) the node's database under `dataDir` and resumes from it. `common` is for
   * tests that instrument the crypto; nodes use the chain's.
   */
  static async open(dataDir: string, log: Logger, opts: { common?: Common; recoveryWorkers?: number } = {}): Promise<PipeApp> {
    const kv = await KvStore.open(dataDir)
    const pool = opts.recoveryWorkers === 0 ? undefined : new SenderRecoveryPool(opts.recoveryWorkers)
    const evm = await EvmKeeper.open(kv, opts.common ?? createChainCommon(), log.child('evm'), pool)
    const last = await readLastCommit(kv)
    return new PipeApp(kv, evm, new EvmMempool(evm), log, last)
  }

  async close(): Promise<void> {
    await this.evm.close()
    await this.kv.close()
  }
}
