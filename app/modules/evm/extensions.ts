import type { CustomPrecompile } from '@ethereumjs/evm'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import type { Address } from '@ethereumjs/util'
import type { TxEvent } from '../../events.ts'
import type { RunTxResult } from '@ethereumjs/vm'
import type { AppError } from '../../errors.ts'
import type { EthTx } from './ethTx.ts'

/** Called around every tx a block executes (the inference module records what the tx used). */
export interface BlockTxHooks {
  beforeTx(eth: EthTx): void
  /** `result` when the tx ran (success or revert), `error` when the EVM refused it. */
  afterTx(eth: EthTx, outcome: { result: RunTxResult } | { error: AppError }): void
}

/**
 * What other modules add to the EVM: precompiles (one table per VM kind, the ethereumjs
 * `customPrecompiles` option) and block hooks. The EVM module knows nothing more of them.
 */
export interface EvmExtensions {
  /** Precompiles of the VM that executes blocks (created once, reused block after block). */
  blockPrecompiles(): CustomPrecompile[]
  blockHooks?: BlockTxHooks
  /** Precompiles of a throw-away eth_call (`call`) or eth_estimateGas (`estimate`) VM. */
  callPrecompiles(kind: 'call' | 'estimate'): CustomPrecompile[]
  /** Runs the Cosmos txs of a block, in order between the Ethereum txs, on the same accounts. */
  cosmosTxs?: CosmosTxRunner
}

/** What the EVM knows of a Cosmos SDK tx in a block: it takes gas from the block. */
export interface BlockCosmosTx {
  kind: 'cosmos'
  gasLimit: bigint
}

/** The block a Cosmos tx runs in. */
export interface CosmosTxBlock {
  height: bigint
  /** Block time, seconds. */
  timestamp: bigint
  /** The block's EIP-1559 base fee: Cosmos fees pay it too. */
  baseFee: bigint
  /** The proposer's account: it receives the part of a fee above the base fee, as with Ethereum tips. */
  coinbase: Address
}

/** A Cosmos tx that ran (its messages may have failed: then only its fee and sequence stuck). */
export interface CosmosTxResult {
  code: number
  codespace: string
  log: string
  /** TxMsgData: the messages' responses. */
  data: Uint8Array
  gasWanted: bigint
  gasUsed: bigint
  events: TxEvent[]
}

export interface CosmosTxRunner<T extends BlockCosmosTx = BlockCosmosTx> {
  /**
   * Runs `tx` on the block's working state: its result, or why it is left out (a faulty
   * proposer's bad signature or sequence), in which case it changed nothing.
   */
  run(tx: T, state: MerkleStateManager, block: CosmosTxBlock): Promise<{ result: CosmosTxResult } | { error: AppError }>
}

export const NO_EXTENSIONS: EvmExtensions = { blockPrecompiles: () => [], callPrecompiles: () => [] }
