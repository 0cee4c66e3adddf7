import { createBlock, type Block } from '@ethereumjs/block'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { runTx, type VM } from '@ethereumjs/vm'
import type { EthTx } from '../evm/ethTx.ts'
import type { EvmKeeper } from '../evm/keeper.ts'
import type { StoredBlock } from '../evm/blockStore.ts'
import { newContext, type InferenceContext, type ModelCatalog } from './inferenceContext.ts'
import { inferencePrecompile } from './precompile.ts'

/**
 * Runs txs on the latest committed state without changing it, with the inference precompile
 * reading a context the caller provides, to learn which inferences a tx asks for. One VM per
 * committed block, reused; calls are serialized (the context is shared by the VM).
 *
 * The block context is the next block with the parent's timestamp and no coinbase: fixed and
 * known to every validator, so the mempool's simulation and a validator's check of a proposal
 * see the same thing.
 */
export class TxSimulator {
  private current: { height: bigint; vm: VM; state: MerkleStateManager; block: Block } | undefined
  private ctx: InferenceContext = newContext('simulate')
  private tail: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly evm: EvmKeeper,
    private readonly models: ModelCatalog,
  ) {}

  /** Height of the committed block simulations run on top of. */
  headHeight(): bigint {
    return this.evm.head()?.header.number ?? 0n
  }

  /** Runs `eth` with `ctx` as the precompile's context; the state is left untouched. */
  simulate(eth: EthTx, ctx: InferenceContext): Promise<void> {
    const run = this.tail.then(() => this.run(eth, ctx))
    this.tail = run.catch(() => {})
    return run
  }

  /** Forgets the VM: the next simulation opens the new committed state. */
  invalidate(): void {
    this.current = undefined
  }

  private async run(eth: EthTx, ctx: InferenceContext): Promise<void> {
    const current = await this.vmAtHead()
    ctx.txHash = eth.hash
    this.ctx = ctx
    await current.state.checkpoint()
    try {
      await runTx(current.vm, { tx: eth.tx, block: current.block, skipNonce: true, skipBalance: true, skipHardForkValidation: true })
    } catch {
      // A tx the EVM refuses makes no requests; CheckTx and block execution judge it.
    } finally {
      await current.state.revert()
    }
  }

  private async vmAtHead(): Promise<{ vm: VM; state: MerkleStateManager; block: Block }> {
    const height = this.headHeight()
    if (this.current?.height === height) return this.current
    const { vm, state, head } = await this.evm.simulationVm([inferencePrecompile(() => this.ctx, this.models)])
    this.current = { height, vm, state, block: simulationBlock(head) }
    return this.current
  }
}

function simulationBlock(head: StoredBlock): Block {
  const h = head.header
  return createBlock(
    { header: { parentHash: head.hash, number: h.number + 1n, timestamp: h.timestamp, gasLimit: h.gasLimit, baseFeePerGas: 0n } },
    { common: h.common, skipConsensusFormatValidation: true },
  )
}
