import { createBlock, createBlockHeader, type Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { Address } from '@ethereumjs/util'
import { Bloom, encodeReceipt, runTx, type RunTxResult, type VM } from '@ethereumjs/vm'
import { AppError } from '../../errors.ts'
import type { StoredBlock, StoredTx } from './blockStore.ts'
import { ErrGasLimitExceedsBlock, ErrTxNotExecutable } from './errors.ts'
import type { EthTx } from './ethTx.ts'
import { baseFeeAfter } from './feeMarket.ts'
import { orderedTrieRoot } from './orderedTrie.ts'
import type { BlockCosmosTx, BlockTxHooks, CosmosTxResult, CosmosTxRunner } from './extensions.ts'

/** What the EVM takes from the CometBFT block it executes. */
export interface BlockContext {
  height: bigint
  /** Block time in seconds (CometBFT BFT time, identical on every validator). */
  timestamp: bigint
  /** 20-byte CometBFT address of the proposer; receives priority fees as coinbase. */
  proposer: Uint8Array
  /** CometBFT block hash; also the EVM's PREVRANDAO, so it is deterministic and unbiasable by the EVM. */
  cometHash: Uint8Array
  gasLimit: bigint
}

/**
 * Per CometBFT tx: included in the Ethereum block (maybe reverted), a Cosmos tx that ran, or
 * left out with a reason.
 */
export type TxOutcome =
  | { kind: 'included'; tx: StoredTx; result: RunTxResult; gasWanted: bigint }
  | { kind: 'cosmos'; result: CosmosTxResult }
  | { kind: 'excluded'; error: AppError }

/** A block's txs as FinalizeBlock hands them over: decoded, or why they cannot be. */
export type BlockItem = EthTx | BlockCosmosTx | AppError

export interface ExecutedBlock {
  block: StoredBlock
  txs: StoredTx[]
  /** One per input, in input order. */
  outcomes: TxOutcome[]
  stateRoot: Uint8Array
}

/**
 * Runs a block's txs on the working state. All txs run under one state checkpoint, so caches
 * absorb the writes and the trie is updated once at the end (per-tx flushing is what makes
 * ethereumjs' BlockBuilder quadratic). A tx the EVM refuses (bad nonce, no funds) is left out
 * of the Ethereum block with its reason; that is deterministic, so every validator agrees.
 */
export class BlockExecutor {
  constructor(
    private readonly vm: VM,
    private readonly state: MerkleStateManager,
    private readonly common: Common,
    private readonly hooks?: BlockTxHooks,
    private readonly cosmos?: CosmosTxRunner,
  ) {}

  async execute(ctx: BlockContext, parent: StoredBlock, items: BlockItem[]): Promise<ExecutedBlock> {
    const baseFee = baseFeeAfter(parent)
    const headerFields = {
      parentHash: parent.hash,
      number: ctx.height,
      timestamp: ctx.timestamp,
      coinbase: new Address(ctx.proposer),
      gasLimit: ctx.gasLimit,
      baseFeePerGas: baseFee,
      mixHash: ctx.cometHash,
    }
    const context: Block = createBlock({ header: headerFields }, { common: this.common, skipConsensusFormatValidation: true })

    const outcomes: TxOutcome[] = []
    const included: { eth: EthTx; result: RunTxResult }[] = []
    // The Ethereum header's gasUsed counts Ethereum txs (receipts' cumulative gas must add up);
    // the block's gas limit bounds both kinds together.
    let gasUsed = 0n
    let cosmosGas = 0n
    const cosmosBlock = { height: ctx.height, timestamp: ctx.timestamp, baseFee, coinbase: headerFields.coinbase }
    await this.state.checkpoint()
    try {
      for (const item of items) {
        if (item instanceof AppError) {
          outcomes.push({ kind: 'excluded', error: item })
          continue
        }
        if (gasUsed + cosmosGas + item.gasLimit > ctx.gasLimit) {
          outcomes.push({ kind: 'excluded', error: ErrGasLimitExceedsBlock.with(`block has ${ctx.gasLimit - gasUsed - cosmosGas} gas left, tx asks ${item.gasLimit}`) })
          continue
        }
        if (item.kind === 'cosmos') {
          if (!this.cosmos) throw new Error('a Cosmos tx in a block, and no Cosmos tx runner')
          const ran = await this.cosmos.run(item, this.state, cosmosBlock)
          if ('error' in ran) {
            outcomes.push({ kind: 'excluded', error: ran.error })
            continue
          }
          cosmosGas += ran.result.gasWanted
          outcomes.push({ kind: 'cosmos', result: ran.result })
          continue
        }
        let result: RunTxResult
        this.hooks?.beforeTx(item)
        try {
          result = await runTx(this.vm, { tx: item.tx, block: context, blockGasUsed: gasUsed, skipHardForkValidation: true })
        } catch (err) {
          const error = ErrTxNotExecutable.with(cleanMessage(err instanceof Error ? err.message : String(err)))
          this.hooks?.afterTx(item, { error })
          outcomes.push({ kind: 'excluded', error })
          continue
        }
        this.hooks?.afterTx(item, { result })
        gasUsed += result.totalGasSpent
        included.push({ eth: item, result })
        outcomes.push({ kind: 'included', tx: undefined as never, result, gasWanted: item.tx.gasLimit })
      }
      await this.state.commit()
    } catch (err) {
      await this.state.revert()
      throw err
    }
    const stateRoot = await this.state.getStateRoot()

    const bloom = new Bloom(undefined, this.common)
    const receipts: Uint8Array[] = []
    for (const { eth, result } of included) {
      bloom.or(result.bloom)
      receipts.push(encodeReceipt(result.receipt, eth.tx.type))
    }
    const header = createBlockHeader(
      {
        ...headerFields,
        stateRoot,
        // A typed tx's trie value is its EIP-2718 envelope, a legacy tx's its RLP: the raw bytes.
        transactionsTrie: orderedTrieRoot(included.map((i) => i.eth.raw)),
        receiptTrie: orderedTrieRoot(receipts),
        logsBloom: bloom.bitvector,
        gasUsed,
      },
      { common: this.common, skipConsensusFormatValidation: true },
    )
    const hash = header.hash()
    let size = header.serialize().length
    let logIndex = 0
    const txs: StoredTx[] = included.map(({ eth, result }, index) => {
      size += eth.raw.length
      const logs = (result.execResult.logs ?? []).map(([address, topics, data]) => ({ address, topics, data }))
      const stored: StoredTx = {
        hash: eth.hash,
        raw: eth.raw,
        from: eth.sender.bytes,
        height: ctx.height,
        index,
        blockHash: hash,
        receipt: {
          status: result.execResult.exceptionError === undefined ? 1 : 0,
          cumulativeGasUsed: result.receipt.cumulativeBlockGasUsed,
          gasUsed: result.totalGasSpent,
          effectiveGasPrice: eth.tx.getEffectivePriorityFee(baseFee) + baseFee,
          contractAddress: result.createdAddress?.bytes,
          logs,
          firstLogIndex: logIndex,
        },
      }
      logIndex += logs.length
      return stored
    })
    let next = 0
    for (const o of outcomes) if (o.kind === 'included') o.tx = txs[next++]
    return { block: { header, hash, txHashes: txs.map((t) => t.hash), cometHash: ctx.cometHash, size, cosmosGasUsed: cosmosGas }, txs, outcomes, stateRoot }
  }
}

/** ethereumjs error messages end with a long "(vm hf=… -> block … -> tx …)" context. */
function cleanMessage(message: string): string {
  return message.replace(/\s*\((vm|block|tx) hf=.*$/s, '').replace(/\s*\(tx type=.*$/s, '')
}

