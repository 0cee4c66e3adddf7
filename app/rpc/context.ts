import type { CallSimulator } from '../modules/evm/callSimulator.ts'
import type { EvmKeeper } from '../modules/evm/keeper.ts'
import type { PipeApp } from '../pipeApp.ts'
import type { CometClient } from './cometClient.ts'
import type { FilterRegistry } from './filters.ts'
import type { SenderLanes } from './senderLanes.ts'

/** What JSON-RPC methods may use. */
export interface RpcContext {
  app: PipeApp
  evm: EvmKeeper
  simulator: CallSimulator
  comet: CometClient
  filters: FilterRegistry
  /** Serializes broadcasts per tx sender (see eth_sendRawTransaction). */
  lanes: SenderLanes
}

/** A method's wire procedure: raw positional params in, JSON-ready result out. */
export type RpcMethod = (params: unknown[], ctx: RpcContext) => Promise<unknown>
