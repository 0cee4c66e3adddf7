import type { QueryMethod } from '../../queryContext.ts'
import type { KvStore } from '../../store/kvStore.ts'
import type { AuthKeeper } from '../auth/keeper.ts'
import type { BankKeeper } from '../bank/keeper.ts'
import type { EvmKeeper } from '../evm/keeper.ts'
import type { SenderQueues } from '../evm/senderQueues.ts'
import { CosmosBlockRunner, type TxScopedStore } from './blockRunner.ts'
import { CosmosMempool } from './mempool.ts'
import type { MsgHandler } from './msgHandler.ts'
import { txQueries } from './queryServer.ts'
import { CosmosTxDecoder } from './txDecoder.ts'
import { TxIndex } from './txIndex.ts'

export interface CosmosTxModuleOptions {
  kv: KvStore
  auth: AuthKeeper
  bank: BankKeeper
  /** Every message type the chain handles (the modules' msgServer.ts). */
  handlers: MsgHandler[]
  /** Module state the messages write, reverted with a failed tx. */
  stores: TxScopedStore[]
}

/** The tx module's wiring: Cosmos tx decoding, CheckTx, block execution, GetTx/Simulate (module.ts: wiring only). */
export class CosmosTxModule {
  readonly decoder: CosmosTxDecoder
  readonly runner: CosmosBlockRunner
  readonly index: TxIndex
  private attached: CosmosMempool | undefined

  constructor(private readonly opts: CosmosTxModuleOptions) {
    this.decoder = new CosmosTxDecoder(opts.handlers)
    this.runner = new CosmosBlockRunner(opts.auth, opts.bank, opts.stores)
    this.index = new TxIndex(opts.kv)
  }

  /** Connects CheckTx to the EVM whose accounts and mempool queue it shares. */
  attach(evm: EvmKeeper, queue: SenderQueues): void {
    this.attached = new CosmosMempool(this.decoder, this.opts.auth, evm, queue)
  }

  get mempool(): CosmosMempool {
    if (!this.attached) throw new Error('tx module not attached to the EVM')
    return this.attached
  }

  queries(): QueryMethod[] {
    return txQueries(this.decoder, this.opts.auth, this.index)
  }
}
