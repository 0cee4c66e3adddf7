import { type Block, createBlock } from '@ethereumjs/block'
import { runTx, type VM } from '@ethereumjs/vm'
import type { StoredBlock } from '../../evm/blockStore.ts'
import type { EthTx } from '../../evm/ethTx.ts'
import type { EvmKeeper } from '../../evm/keeper.ts'
import type { RecordingStateManager } from '../../evm/recordingStateManager.ts'
import { blockAnswers, type TxInferenceCalls, txInferenceCalls, VANILLA_ONLY } from '../precompile/inferenceCalls.ts'
import { inferencePrecompile } from '../precompile/precompile.ts'
import { ExecutionReads } from './executionReads.ts'

/** What one simulation saw. */
export interface Simulation {
  /** The committed height it ran on. */
  height: bigint
  /**
   * State keys the tx's EVM execution read (recordingStateManager.ts; not the VM's nonce and
   * fee bookkeeping around it, see ExecutionReads).
   */
  reads: ReadonlySet<string>
  /**
   * Whether the execution read a field of the block context that changes every block (NUMBER,
   * TIMESTAMP, BLOCKHASH, PREVRANDAO, GASLIMIT): its run on the next state may differ even if
   * no state it read changed.
   */
  readsBlockContext: boolean
}

interface HeadVm {
  height: bigint
  vm: VM
  state: RecordingStateManager
  block: Block
  reads: ExecutionReads
}

/**
 * Runs txs on the latest committed state without changing it, the inference precompile
 * answering as the caller's TxInferenceCalls say, to learn which inferences a tx asks for. One
 * VM per committed block, reused; runs are serialized (the precompile reads the current run's
 * calls). The inference mempool simulates with simulation answers, ProcessProposal with the
 * proposal's results.
 *
 * The block context is the next block with the parent's timestamp and no coinbase: fixed and
 * known to every validator, so the mempool's simulation and a validator's check of a proposal
 * see the same thing.
 */
export class TxSimulator {
  private current: HeadVm | undefined
  private calls: TxInferenceCalls = txInferenceCalls(new Uint8Array(32), blockAnswers(VANILLA_ONLY))
  private tail: Promise<unknown> = Promise.resolve()

  constructor(private readonly evm: EvmKeeper) {}

  /** Height of the committed block simulations run on top of. */
  headHeight(): bigint {
    return this.evm.head()?.header.number ?? 0n
  }

  /** Runs `eth` with `calls` as the precompile's view of it; the state is left untouched. */
  simulate(eth: EthTx, calls: TxInferenceCalls): Promise<Simulation> {
    const run = this.tail.then(() => this.run(eth, calls))
    this.tail = run.catch(() => {})
    return run
  }

  /** Forgets the VM: the next simulation opens the new committed state. */
  invalidate(): void {
    this.current = undefined
  }

  private async run(eth: EthTx, calls: TxInferenceCalls): Promise<Simulation> {
    const current = await this.vmAtHead()
    this.calls = calls
    current.reads.begin()
    await current.state.checkpoint()
    try {
      await runTx(current.vm, { tx: eth.tx, block: current.block, skipNonce: true, skipBalance: true, skipHardForkValidation: true })
    } catch {
      // A tx the EVM refuses makes no requests; CheckTx and block execution judge it.
    } finally {
      await current.state.revert()
    }
    const read = current.reads.end()
    return { height: current.height, reads: read.state, readsBlockContext: read.blockContext }
  }

  private async vmAtHead(): Promise<HeadVm> {
    const height = this.headHeight()
    if (this.current?.height === height) return this.current
    const { vm, state, head } = await this.evm.simulationVm([inferencePrecompile(() => this.calls)])
    const block = simulationBlock(head)
    this.current = { height, vm, state, block, reads: new ExecutionReads(vm, state, block) }
    return this.current
  }
}

function simulationBlock(head: StoredBlock): Block {
  const h = head.header
  return createBlock(
    { header: { parentHash: head.hash, number: h.number + 1n, timestamp: h.timestamp, gasLimit: h.gasLimit, baseFeePerGas: 0n } },
    { common: h.common, skipConsensusFormatValidation: true, freeze: false },
  )
}
