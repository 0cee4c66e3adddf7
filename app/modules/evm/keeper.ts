import { createBlockHeader } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { Account, Address, bigIntToUnpaddedBytes, bytesToBigInt, hexToBytes, type PrefixedHexString, setLengthLeft } from '@ethereumjs/util'
import { createVM, type VM } from '@ethereumjs/vm'
import type { Logger } from '../../log.ts'
import type { KvStore, KvWrite, WriteSet } from '../../store/kvStore.ts'
import { BlockHashSource } from './blockHashes.ts'
import { BlockStore, type StoredBlock, type StoredTx } from './blockStore.ts'
import { createTxCommon } from './chainConfig.ts'
import { EthTxCache } from './ethTx.ts'
import { type BlockContext, EvmBlock, type ExecutedBlock } from './evmBlock.ts'
import { installFastInterpreter } from './fastInterpreter.ts'
import { baseFeeAfter } from './feeMarket.ts'
import type { EvmGenesis } from './genesis.ts'
import { PARAMS_KEY } from './keys.ts'
import { DEFAULT_BLOCK_GAS_LIMIT, INITIAL_BASE_FEE } from './params.ts'
import { type EvmPrecompiles, NO_PRECOMPILES } from './precompiles.ts'
import { accountsIn, type RecordingStateManager } from './recordingStateManager.ts'
import type { SenderRecoveryPool } from './senderRecoveryPool.ts'
import { StateStore } from './stateStore.ts'

/**
 * The consensus-side EVM: one state manager with caches that lives from block to block, and
 * records what each block writes.
 */
interface WorkingState {
  state: RecordingStateManager
  vm: VM
}

/** A block Commit made the head, with what it changed in the state. */
export interface CommittedEvmBlock {
  block: StoredBlock
  txs: StoredTx[]
  /** State keys the block wrote (recordingStateManager.ts); undefined when not known (genesis). */
  writes: ReadonlySet<string> | undefined
}

/**
 * The EVM module's keeper: the only code that reads or writes the module's storage (world state
 * trie, blocks, txs, receipts). Consensus runs blocks through it (`initGenesis`, `beginBlock` /
 * `endBlock`, `blockCommitted`); JSON-RPC and CheckTx read committed data through it.
 */
export class EvmKeeper {
  readonly blocks: BlockStore
  readonly state: StateStore
  /** The Common decoded txs share (ethereumjs would copy one per tx). */
  readonly txCommon: Common
  /** Decoded txs, so a tx seen by CheckTx is never decoded or ecrecovered again. */
  readonly txCache: EthTxCache
  private working: WorkingState | undefined
  private committedHead: StoredBlock | undefined
  /** Executed by FinalizeBlock, waiting for Commit. */
  private uncommitted: ExecutedBlock | StoredBlock | undefined
  /** State keys the uncommitted block wrote. */
  private uncommittedWrites: ReadonlySet<string> | undefined
  /** The committed state CheckTx reads, with caches; replaced after each Commit. */
  private checkView: MerkleStateManager | undefined
  private gasLimit: bigint = DEFAULT_BLOCK_GAS_LIMIT

  private constructor(
    readonly common: Common,
    private readonly log: Logger,
    kv: KvStore,
    /** Where incoming txs get their sender recovered (worker threads), if anywhere. */
    readonly senderRecovery: SenderRecoveryPool | undefined,
    /** Precompiles other modules add (the inference precompile). */
    readonly precompiles: EvmPrecompiles,
  ) {
    this.txCommon = createTxCommon(common)
    this.txCache = new EthTxCache(this.txCommon, 100_000, senderRecovery)
    this.blocks = new BlockStore(kv, common)
    this.state = new StateStore(kv, common)
  }

  /**
   * Opens the module on the node's database, resuming from the last committed block if any.
   * `recovery` moves sender recovery of incoming txs to worker threads.
   */
  static async open(
    kv: KvStore,
    common: Common,
    log: Logger,
    recovery?: SenderRecoveryPool,
    precompiles: EvmPrecompiles = NO_PRECOMPILES,
  ): Promise<EvmKeeper> {
    const fast = installFastInterpreter()
    if (!fast.installed) log.warn(`the EVM runs without its fast path: ${fast.reason}`)
    const keeper = new EvmKeeper(common, log, kv, recovery, precompiles)
    const head = await keeper.blocks.head()
    const params = await kv.get(PARAMS_KEY)
    if (params) keeper.gasLimit = bytesToBigInt(params)
    if (head) {
      const block = await keeper.blocks.blockByHeight(head.height)
      if (!block) throw new Error(`database is corrupt: head block ${head.height} is missing`)
      keeper.committedHead = block
      await keeper.resetWorkingState()
      keeper.log.info(`resuming at block ${head.height} (state root ${Buffer.from(block.header.stateRoot).toString('hex')})`)
    }
    return keeper
  }

  async close(): Promise<void> {
    await this.senderRecovery?.close()
  }

  /** The latest committed Ethereum block, or undefined before genesis was committed. */
  head(): StoredBlock | undefined {
    return this.committedHead
  }

  /** Block gas limit, from CometBFT's `consensus_params.block.max_gas` at genesis. */
  blockGasLimit(): bigint {
    return this.gasLimit
  }

  /** Base fee the next block will charge (CheckTx admits txs against it). */
  nextBaseFee(): bigint {
    const head = this.committedHead
    if (!head) return INITIAL_BASE_FEE
    return baseFeeAfter(head)
  }

  /**
   * Writes the genesis accounts into the state and stages Ethereum block 0.
   * @returns the genesis state root.
   */
  async initGenesis(genesis: EvmGenesis, timestamp: bigint, gasLimit: bigint, ws: WriteSet): Promise<Uint8Array> {
    this.state.nodes.discard()
    this.gasLimit = gasLimit
    ws.put(PARAMS_KEY, bigIntToUnpaddedBytes(gasLimit))
    const state = await this.state.recordingAt(undefined)
    await state.checkpoint()
    for (const a of genesis.accounts) {
      const address = new Address(hexToBytes(a.address as PrefixedHexString))
      await state.putAccount(address, new Account(BigInt(a.nonce ?? 0), BigInt(a.balance)))
      if (a.code) await state.putCode(address, hexToBytes(a.code))
      for (const [slot, value] of Object.entries(a.storage ?? {})) {
        await state.putStorage(address, setLengthLeft(hexToBytes(slot as PrefixedHexString), 32), hexToBytes(value as PrefixedHexString))
      }
    }
    await state.commit()
    const stateRoot = await state.getStateRoot()
    const header = createBlockHeader(
      { number: 0n, timestamp, gasLimit, baseFeePerGas: INITIAL_BASE_FEE, stateRoot },
      { common: this.common, skipConsensusFormatValidation: true },
    )
    const block: StoredBlock = {
      header,
      hash: header.hash(),
      txHashes: [],
      cometHash: new Uint8Array(32),
      size: header.serialize().length,
      cosmosGasUsed: 0n,
    }
    this.blocks.stage(ws, block, [])
    this.uncommitted = block
    this.working = await this.makeWorkingState(state)
    return stateRoot
  }

  /**
   * Starts executing block `ctx.height` on the working state: the caller runs its txs on the
   * returned block (Ethereum txs with `runTx`, Cosmos txs on its `state`), then `endBlock`.
   */
  async beginBlock(ctx: BlockContext): Promise<EvmBlock> {
    const parent = this.parentBlock()
    if (!this.working) throw new Error('beginBlock before genesis')
    if (ctx.height !== parent.header.number + 1n) {
      throw new Error(`block ${ctx.height} does not follow ${parent.header.number}`)
    }
    this.working.state.takeAccess()
    return EvmBlock.begin(this.working.vm, this.working.state, this.common, ctx, parent)
  }

  /**
   * Finishes the block `beginBlock` started and stages its Ethereum block, txs and receipts into
   * `ws`. Nothing is visible to readers until Commit writes `ws` and calls {@link blockCommitted}.
   */
  async endBlock(block: EvmBlock, cosmosGasUsed: bigint, ws: WriteSet): Promise<ExecutedBlock> {
    const executed = await block.finish(cosmosGasUsed)
    this.blocks.stage(ws, executed.block, executed.txs)
    this.uncommitted = executed
    this.uncommittedWrites = block.state.takeAccess().writes
    return executed
  }

  /** Trie nodes written since the last Commit, for the Commit batch. */
  drainStateWrites(): KvWrite[] {
    return this.state.nodes.drain()
  }

  /**
   * Commit wrote the batch: the executed block becomes the head readers and CheckTx see.
   * @returns the block just committed with its txs and writes, or undefined if there was none.
   */
  blockCommitted(): CommittedEvmBlock | undefined {
    this.state.nodes.flushed()
    const done = this.uncommitted
    if (!done) return undefined
    const block = 'block' in done ? done.block : done
    const txs = 'txs' in done ? done.txs : []
    const writes = 'txs' in done ? this.uncommittedWrites : undefined
    this.uncommittedWrites = undefined
    this.blocks.remember(block)
    for (const t of txs) this.txCache.forget(t.hash)
    this.committedHead = block
    this.uncommitted = undefined
    this.checkView = undefined
    return { block, txs, writes }
  }

  /**
   * Forgets a block that was executed but never committed (CometBFT restarted between
   * FinalizeBlock and Commit and will replay it): the working state goes back to the head.
   */
  async discardUncommitted(): Promise<void> {
    if (!this.uncommitted) return
    this.log.warn(`discarding uncommitted block ${'block' in this.uncommitted ? this.uncommitted.block.header.number : 0n}`)
    this.uncommitted = undefined
    this.uncommittedWrites = undefined
    this.state.nodes.discard()
    await this.resetWorkingState()
  }

  /**
   * Committed state for CheckTx and PrepareProposal, with caches that live until the next
   * Commit. Before block 1 is committed that is the genesis state InitChain staged.
   */
  async checkState(): Promise<MerkleStateManager> {
    if (!this.checkView) {
      const stagedGenesis = this.uncommitted && !('block' in this.uncommitted) ? this.uncommitted : undefined
      const head = this.committedHead ?? stagedGenesis
      if (!head) throw new Error('chain not initialized: InitChain has not run')
      this.checkView = await this.state.at(head.header.stateRoot, { caches: true })
    }
    return this.checkView
  }

  /**
   * The accounts the block just executed wrote that exist after it, in address order (the auth
   * module numbers the new ones). Read from the working state's record of its writes.
   */
  async accountsWrittenByBlock(): Promise<Address[]> {
    const writes = this.uncommittedWrites
    if (!writes || !this.working) return []
    const out: Address[] = []
    for (const hex of accountsIn(writes)) {
      const address = new Address(hexToBytes(hex))
      if (await this.working.state.getAccount(address)) out.push(address)
    }
    return out
  }

  /**
   * Committed state at `height` for queries (the latest is CheckTx's cached view), or
   * undefined when no block of that height was committed.
   */
  async stateAtHeight(height: bigint): Promise<MerkleStateManager | undefined> {
    if (height === (this.committedHead?.header.number ?? 0n)) return this.checkState()
    const block = await this.blocks.blockByHeight(height)
    return block ? this.stateAt(block) : undefined
  }

  /** Read-only state at a committed block (for queries). */
  async stateAt(block: StoredBlock): Promise<MerkleStateManager> {
    return this.state.at(block.header.stateRoot)
  }

  private parentBlock(): StoredBlock {
    const u = this.uncommitted
    if (u) return 'block' in u ? u.block : u
    if (!this.committedHead) throw new Error('no genesis: InitChain has not run')
    return this.committedHead
  }

  private async resetWorkingState(): Promise<void> {
    const head = this.committedHead
    this.working = head ? await this.makeWorkingState(await this.state.recordingAt(head.header.stateRoot)) : undefined
  }

  private async makeWorkingState(state: RecordingStateManager): Promise<WorkingState> {
    // The EVM subscribes to its Common's events: give each VM its own copy.
    const vm = await createVM({
      common: this.common.copy(),
      stateManager: state,
      blockchain: new BlockHashSource(this.blocks),
      evmOpts: { customPrecompiles: this.precompiles.block() },
    })
    return { state, vm }
  }

  /**
   * The block mempool simulations run on top of: the latest committed one (before block 1, the
   * genesis InitChain staged). Simulation workers open its state root (inference/mempool).
   */
  simulationHead(): StoredBlock {
    return this.committedHead ?? this.parentBlock()
  }
}
