import type { CustomPrecompile } from '@ethereumjs/evm'
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
}

export const NO_EXTENSIONS: EvmExtensions = { blockPrecompiles: () => [], callPrecompiles: () => [] }
