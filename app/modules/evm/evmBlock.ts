import { type Block, createBlock, createBlockHeader } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { Address } from '@ethereumjs/util'
import { Bloom, encodeReceipt, type RunTxResult, runTx, type VM } from '@ethereumjs/vm'
import type { AppError } from '../../errors.ts'
import type { StoredBlock, StoredTx } from './blockStore.ts'
import { ErrTxNotExecutable } from './errors.ts'
import type { EthTx } from './ethTx.ts'
import { baseFeeAfter } from './feeMarket.ts'
import { orderedTrieRoot } from './orderedTrie.ts'
import type { RecordingStateManager } from './recordingStateManager.ts'

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

/** An Ethereum tx the block ran (it may have reverted), or why the EVM refused to run it. */
export type EthTxRun = { result: RunTxResult } | { error: AppError }

/** The Ethereum block a block's execution produced. */
export interface ExecutedBlock {
  block: StoredBlock
  /** The Ethereum txs it includes, in order, with their receipts. */
  txs: StoredTx[]
  stateRoot: Uint8Array
}

/**
 * One block's Ethereum side, on the working state: runs its Ethereum txs in the order given,
 * then builds the Ethereum block over them (header, transactions and receipts roots, bloom).
 * Everything runs under one state checkpoint, so caches absorb the writes and the trie is
 * updated once at the end (per-tx flushing is what makes ethereumjs' BlockBuilder quadratic).
 * The Cosmos txs of the block run between the Ethereum ones on the same `state`.
 */
export class EvmBlock {
  /** Gas the Ethereum txs used so far (the header's gasUsed). */
  gasUsed = 0n
  readonly baseFee: bigint
  readonly coinbase: Address
  private readonly header: Block
  private readonly included: { eth: EthTx; result: RunTxResult }[] = []

  private constructor(
    private readonly vm: VM,
    /** The working state; Cosmos txs run on it too. */
    readonly state: RecordingStateManager,
    private readonly common: Common,
    readonly ctx: BlockContext,
    private readonly parent: StoredBlock,
  ) {
    this.baseFee = baseFeeAfter(parent)
    this.coinbase = new Address(ctx.proposer)
    this.header = createBlock({ header: this.headerFields() }, { common, skipConsensusFormatValidation: true })
  }

  static async begin(vm: VM, state: RecordingStateManager, common: Common, ctx: BlockContext, parent: StoredBlock): Promise<EvmBlock> {
    await state.checkpoint()
    return new EvmBlock(vm, state, common, ctx, parent)
  }

  /**
   * Runs `eth` on the working state. A tx the EVM refuses (a faulty proposer's bad nonce, no
   * funds) is left out of the Ethereum block with its reason; that is deterministic, so every
   * validator agrees.
   */
  async runTx(eth: EthTx): Promise<EthTxRun> {
    let result: RunTxResult
    try {
      result = await runTx(this.vm, { tx: eth.tx, block: this.header, blockGasUsed: this.gasUsed, skipHardForkValidation: true })
    } catch (err) {
      return { error: ErrTxNotExecutable.with(cleanMessage(err instanceof Error ? err.message : String(err))) }
    }
    this.gasUsed += result.totalGasSpent
    this.included.push({ eth, result })
    return { result }
  }

  /** Drops everything the block did (execution failed for a reason that is not the txs'). */
  async abort(): Promise<void> {
    await this.state.revert()
  }

  /**
   * Keeps the block's writes and builds its Ethereum block. `cosmosGasUsed` is what its Cosmos
   * txs took: stored beside the header, it counts toward the next base fee.
   */
  async finish(cosmosGasUsed: bigint): Promise<ExecutedBlock> {
    await this.state.commit()
    const stateRoot = await this.state.getStateRoot()
    const bloom = new Bloom(undefined, this.common)
    const receipts: Uint8Array[] = []
    for (const { eth, result } of this.included) {
      bloom.or(result.bloom)
      receipts.push(encodeReceipt(result.receipt, eth.tx.type))
    }
    const header = createBlockHeader(
      {
        ...this.headerFields(),
        stateRoot,
        // A typed tx's trie value is its EIP-2718 envelope, a legacy tx's its RLP: the raw bytes.
        transactionsTrie: orderedTrieRoot(this.included.map((i) => i.eth.raw)),
        receiptTrie: orderedTrieRoot(receipts),
        logsBloom: bloom.bitvector,
        gasUsed: this.gasUsed,
      },
      { common: this.common, skipConsensusFormatValidation: true },
    )
    const hash = header.hash()
    let size = header.serialize().length
    let logIndex = 0
    const txs: StoredTx[] = this.included.map(({ eth, result }, index) => {
      size += eth.raw.length
      const logs = (result.execResult.logs ?? []).map(([address, topics, data]) => ({ address, topics, data }))
      const stored: StoredTx = {
        hash: eth.hash,
        raw: eth.raw,
        from: eth.sender.bytes,
        height: this.ctx.height,
        index,
        blockHash: hash,
        receipt: {
          status: result.execResult.exceptionError === undefined ? 1 : 0,
          cumulativeGasUsed: result.receipt.cumulativeBlockGasUsed,
          gasUsed: result.totalGasSpent,
          effectiveGasPrice: eth.tx.getEffectivePriorityFee(this.baseFee) + this.baseFee,
          contractAddress: result.createdAddress?.bytes,
          logs,
          firstLogIndex: logIndex,
        },
      }
      logIndex += logs.length
      return stored
    })
    const block: StoredBlock = { header, hash, txHashes: txs.map((t) => t.hash), cometHash: this.ctx.cometHash, size, cosmosGasUsed }
    return { block, txs, stateRoot }
  }

  private headerFields() {
    return {
      parentHash: this.parent.hash,
      number: this.ctx.height,
      timestamp: this.ctx.timestamp,
      coinbase: this.coinbase,
      gasLimit: this.ctx.gasLimit,
      baseFeePerGas: this.baseFee,
      mixHash: this.ctx.cometHash,
    }
  }
}

/** ethereumjs error messages end with a long "(vm hf=… -> block … -> tx …)" context. */
function cleanMessage(message: string): string {
  return message.replace(/\s*\((vm|block|tx) hf=.*$/s, '').replace(/\s*\(tx type=.*$/s, '')
}
