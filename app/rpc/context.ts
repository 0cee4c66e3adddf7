import type { CallSimulator } from '../modules/evm/callSimulator.ts'
import type { EvmKeeper } from '../modules/evm/keeper.ts'
import type { PipeApp } from '../pipeApp.ts'
import type { CometClient } from './cometClient.ts'
import type { FilterRegistry } from './filters.ts'
import type { TxIntake } from './txIntake.ts'

/** What JSON-RPC methods may use. */
export interface RpcContext {
  app: PipeApp
  evm: EvmKeeper
  simulator: CallSimulator
  comet: CometClient
  filters: FilterRegistry
  /** Hands eth_sendRawTransaction's txs to CometBFT in arrival order. */
  intake: TxIntake
}

/** A method's wire procedure: raw positional params in, JSON-ready result out. */
export type RpcMethod = (params: unknown[], ctx: RpcContext) => Promise<unknown>
