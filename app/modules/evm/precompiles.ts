import type { CustomPrecompile } from '@ethereumjs/evm'

/**
 * The precompiles other modules add to the EVM (ethereumjs' `customPrecompiles` option), one
 * table per kind of VM. The EVM module knows nothing more of them.
 */
export interface EvmPrecompiles {
  /** Of the VM that executes blocks (created once, reused block after block). */
  block(): CustomPrecompile[]
  /** Of a throw-away eth_call or eth_estimateGas VM. */
  call(): CustomPrecompile[]
}

export const NO_PRECOMPILES: EvmPrecompiles = { block: () => [], call: () => [] }
