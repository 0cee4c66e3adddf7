import type { RunTxResult } from '@ethereumjs/vm'
import { AppError } from '../errors.ts'
import type { StoredTx } from '../modules/evm/blockStore.ts'
import { ErrGasLimitExceedsBlock } from '../modules/evm/errors.ts'
import type { EthTx } from '../modules/evm/ethTx.ts'
import type { BlockContext, ExecutedBlock } from '../modules/evm/evmBlock.ts'
import type { EvmKeeper } from '../modules/evm/keeper.ts'
import type { CosmosBlockRunner, CosmosTxResult } from '../modules/tx/blockRunner.ts'
import type { WriteSet } from '../store/kvStore.ts'
import type { BlockTx } from './blockTx.ts'

/**
 * Per CometBFT tx of a block: an Ethereum tx included in the Ethereum block (maybe reverted), a
 * Cosmos tx that ran (maybe with failed messages), or a tx left out with the reason.
 */
export type BlockTxOutcome =
  | { kind: 'ethereum'; tx: StoredTx; result: RunTxResult; gasWanted: bigint }
  | { kind: 'cosmos'; result: CosmosTxResult }
  | { kind: 'excluded'; error: AppError }

/** What the inference module does around each Ethereum tx of a block (it records the tx's inferences). */
export interface EthTxObserver {
  beforeTx(eth: EthTx): void
  /** `reverted`: the tx reverted, or the EVM refused it. */
  afterTx(eth: EthTx, reverted: boolean): void
}

export interface ExecutedTxs extends ExecutedBlock {
  /** One per input tx, in input order. */
  outcomes: BlockTxOutcome[]
}

/**
 * FinalizeBlock's tx loop, at the app level as the Cosmos SDK runs it: every tx of the block in
 * order, each by the module of its kind — Ethereum txs by the EVM, Cosmos txs by the tx module —
 * on one working state, so each sees the effects of those before it. The block gas limit bounds
 * both kinds together; a tx that does not fit, or that did not decode, is left out with its
 * reason, deterministically.
 */
export class BlockExecutor {
  constructor(
    private readonly evm: Pick<EvmKeeper, 'beginBlock' | 'endBlock'>,
    private readonly cosmos: Pick<CosmosBlockRunner, 'run'>,
    private readonly observer: EthTxObserver,
  ) {}

  async execute(ctx: BlockContext, items: readonly (BlockTx | AppError)[], ws: WriteSet): Promise<ExecutedTxs> {
    const block = await this.evm.beginBlock(ctx)
    const cosmosBlock = { height: ctx.height, timestamp: ctx.timestamp, baseFee: block.baseFee, coinbase: block.coinbase }
    const outcomes: (BlockTxOutcome | { kind: 'included'; result: RunTxResult; gasWanted: bigint })[] = []
    let cosmosGas = 0n
    try {
      for (const item of items) {
        if (item instanceof AppError) {
          outcomes.push({ kind: 'excluded', error: item })
          continue
        }
        const left = ctx.gasLimit - block.gasUsed - cosmosGas
        if (item.gasLimit > left) {
          outcomes.push({ kind: 'excluded', error: ErrGasLimitExceedsBlock.with(`block has ${left} gas left, tx asks ${item.gasLimit}`) })
          continue
        }
        if (item.kind === 'cosmos') {
          const ran = await this.cosmos.run(item, block.state, cosmosBlock)
          if ('error' in ran) {
            outcomes.push({ kind: 'excluded', error: ran.error })
            continue
          }
          cosmosGas += ran.result.gasWanted
          outcomes.push({ kind: 'cosmos', result: ran.result })
          continue
        }
        this.observer.beforeTx(item)
        const ran = await block.runTx(item)
        this.observer.afterTx(item, 'error' in ran || ran.result.execResult.exceptionError !== undefined)
        outcomes.push(
          'error' in ran ? { kind: 'excluded', error: ran.error } : { kind: 'included', result: ran.result, gasWanted: item.tx.gasLimit },
        )
      }
    } catch (err) {
      await block.abort()
      throw err
    }
    const executed = await this.evm.endBlock(block, cosmosGas, ws)
    // Included Ethereum txs are the Ethereum block's txs, in order.
    let next = 0
    const withTxs = outcomes.map((o): BlockTxOutcome => {
      if (o.kind !== 'included') return o
      const tx = executed.txs[next++]
      if (!tx) throw new Error(`endBlock returned ${executed.txs.length} txs, fewer than the block included`)
      return { kind: 'ethereum', tx, result: o.result, gasWanted: o.gasWanted }
    })
    return { ...executed, outcomes: withTxs }
  }
}
