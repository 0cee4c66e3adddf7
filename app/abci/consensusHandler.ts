import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import type { DeepPartial } from 'cosmjs-types/helpers'
import {
  type ExecTxResult,
  type RequestExtendVote,
  type RequestFinalizeBlock,
  type RequestInitChain,
  type RequestPrepareProposal,
  type RequestProcessProposal,
  type RequestVerifyVoteExtension,
  type ResponseCommit,
  type ResponseExtendVote,
  type ResponseFinalizeBlock,
  type ResponseInitChain,
  type ResponsePrepareProposal,
  type ResponseProcessProposal,
  ResponseProcessProposal_ProposalStatus,
  type ResponseVerifyVoteExtension,
  ResponseVerifyVoteExtension_VerifyStatus,
} from 'cosmjs-types/tendermint/abci/types'
import { computeAppHash } from '../appHash.ts'
import type { BlockTxOutcome } from '../block/blockExecutor.ts'
import { byzantineProposal } from '../block/byzantineProposal.ts'
import { buildProposal, checkProposal, type SplitBlock, splitBlock } from '../block/proposal.ts'
import { parseAppGenesis } from '../genesis.ts'
import { stageLastCommit } from '../lastCommit.ts'
import { COSMOS_CHAIN_ID, DEFAULT_BLOCK_GAS_LIMIT } from '../modules/evm/params.ts'
import { attestationPolicyOf } from '../modules/inference/genesis.ts'
import type { CosmosTx } from '../modules/tx/cosmosTx.ts'
import type { PipeApp } from '../pipeApp.ts'
import { execTxError } from './codes.ts'
import type { ConsensusConnection } from './connections.ts'

/**
 * The consensus connection (calls arrive one at a time): genesis, block proposals, block
 * execution and commit. FinalizeBlock stages every write in `app.blockWrites`; Commit writes
 * them in one LevelDB batch, so a crash leaves either the whole block or none of it.
 * ProcessProposal, FinalizeBlock and Commit read only the request and committed state: the
 * mempool is read by PrepareProposal, and by ProcessProposal only where it proves the verdict
 * a simulation on committed state would give (InferenceMempool.provenRequests).
 */
export class ConsensusHandler implements ConsensusConnection {
  constructor(private readonly app: PipeApp) {}

  /**
   * The app hash commits to the EVM state (balances, nonces, contracts), the auth module's
   * account numbers and keys, the inference records and the model and node registries.
   */
  private appHash(evmStateRoot: Uint8Array): Uint8Array {
    return computeAppHash([['evm', evmStateRoot], ...this.app.chainedKeepers().map(([name, k]) => [name, k.root()] as const)])
  }

  /** Forgets everything staged for a block that was not committed. */
  private async discardStaged(): Promise<void> {
    this.app.staged = undefined
    this.app.blockWrites.clear()
    await this.app.evm.discardUncommitted()
    for (const [, keeper] of this.app.chainedKeepers()) keeper.discardUncommitted()
  }

  async initChain(req: RequestInitChain): Promise<DeepPartial<ResponseInitChain>> {
    if (req.chainId !== COSMOS_CHAIN_ID) {
      throw new Error(`genesis chain_id is "${req.chainId}", PIPE runs "${COSMOS_CHAIN_ID}" (EVM chain id 1337)`)
    }
    const genesis = parseAppGenesis(req.appStateBytes)
    const maxGas = req.consensusParams?.block?.maxGas ?? -1n
    const gasLimit = maxGas > 0n ? maxGas : DEFAULT_BLOCK_GAS_LIMIT
    await this.discardStaged()
    const stateRoot = await this.app.evm.initGenesis(genesis.evm, req.time.seconds, gasLimit, this.app.blockWrites)
    await this.app.auth.initGenesis(
      genesis.evm.accounts.map((a) => new Address(hexToBytes(a.address))),
      this.app.blockWrites,
    )
    const tee = genesis.inference?.tee
    this.app.inference.registry.initGenesis(tee ? attestationPolicyOf(tee) : undefined, this.app.blockWrites)
    const appHash = this.appHash(stateRoot)
    this.app.log.info(`genesis: ${genesis.evm.accounts.length} accounts, block gas limit ${gasLimit}, app hash ${bytesToHex(appHash)}`)
    return { appHash }
  }

  async prepareProposal(req: RequestPrepareProposal): Promise<DeepPartial<ResponsePrepareProposal>> {
    return this.app.metrics.time(
      'prepareProposal',
      async () => {
        const txs = await buildProposal(this.app, req.txs, req.maxTxBytes)
        const { byzantineProposer } = this.app
        return { txs: byzantineProposer ? byzantineProposal(txs, byzantineProposer) : txs }
      },
      (r) => r.txs!.length,
    )
  }

  async processProposal(req: RequestProcessProposal): Promise<DeepPartial<ResponseProcessProposal>> {
    return this.app.metrics.time(
      'processProposal',
      async () => {
        const problem = await checkProposal(this.app, req.txs)
        if (problem) {
          this.app.log.warn(`rejecting proposal for height ${req.height}: ${problem.message}`)
          return { status: ResponseProcessProposal_ProposalStatus.REJECT }
        }
        return { status: ResponseProcessProposal_ProposalStatus.ACCEPT }
      },
      () => req.txs.length,
    )
  }

  async extendVote(_req: RequestExtendVote): Promise<DeepPartial<ResponseExtendVote>> {
    return { voteExtension: new Uint8Array(0) }
  }

  async verifyVoteExtension(_req: RequestVerifyVoteExtension): Promise<DeepPartial<ResponseVerifyVoteExtension>> {
    return { status: ResponseVerifyVoteExtension_VerifyStatus.ACCEPT }
  }

  async finalizeBlock(req: RequestFinalizeBlock): Promise<DeepPartial<ResponseFinalizeBlock>> {
    return this.app.metrics.time(
      'finalizeBlock',
      async () => {
        // A block executed earlier but never committed (CometBFT restarted in between) is
        // replayed now: start again from the committed state.
        const { app } = this
        if (app.staged) await this.discardStaged()
        // Results first (the results tx at index 0), then the txs that use them.
        const split = splitBlock(app.inference, req.txs)
        await app.inference.beginBlock(req.height, split.results)
        const items = split.userTxs.map((raw) => app.blockTxs.decode(raw))
        const ctx = {
          height: req.height,
          timestamp: req.time.seconds,
          proposer: req.proposerAddress,
          cometHash: req.hash,
          gasLimit: app.evm.blockGasLimit(),
        }
        const executed = await app.blockExecutor.execute(ctx, items, app.blockWrites)
        app.inference.endBlock()
        // Accounts that appeared in this block get their numbers, in address order.
        await app.auth.assignNumbers(await app.evm.accountsWrittenByBlock(), req.height)
        for (const [, keeper] of app.chainedKeepers()) keeper.endBlock(app.blockWrites)
        executed.outcomes.forEach((o, i) => {
          if (o.kind === 'cosmos') app.cosmos.index.stage(app.blockWrites, items[i] as CosmosTx, o.result, req.height, req.time.seconds)
        })
        const appHash = this.appHash(executed.stateRoot)
        app.staged = { height: req.height, appHash }
        stageLastCommit(app.blockWrites, app.staged)
        const txResults = executed.outcomes.map(txResult)
        if (split.hasResultsTx) txResults.unshift(resultsTxResult(split))
        return { txResults, appHash }
      },
      () => req.txs.length,
    )
  }

  async commit(): Promise<DeepPartial<ResponseCommit>> {
    return this.app.metrics.time('commit', async () => {
      const { app } = this
      const writes = [...app.blockWrites.entries(), ...app.evm.drainStateWrites()]
      await app.kv.write(writes)
      app.blockWrites.clear()
      const committed = app.evm.blockCommitted()
      for (const [, keeper] of app.chainedKeepers()) keeper.blockCommitted()
      if (app.staged) app.lastCommit = app.staged
      app.staged = undefined
      app.evmMempool.reset()
      app.inference.blockCommitted(committed?.txs.map((t) => t.hash) ?? [], committed?.writes)
      if (committed) {
        const { block, txs } = committed
        const line = `committed block ${block.header.number}: ${txs.length} txs, ${block.header.gasUsed} gas, app hash ${bytesToHex(app.lastCommit.appHash)}`
        if (txs.length > 0) app.log.info(line)
        else app.log.debug(line)
        app.events.emit('committed', committed)
      }
      return { retainHeight: 0n }
    })
  }
}

/** The results tx's entry in FinalizeBlock's tx results. */
function resultsTxResult(split: SplitBlock): DeepPartial<ExecTxResult> {
  if (split.resultsError) return execTxError(split.resultsError)
  return {
    code: 0,
    events: [{ type: 'inference_results', attributes: [{ key: 'count', value: String(split.results.length), index: false }] }],
  }
}

/**
 * FinalizeBlock's per-tx result: Ethereum txs carry their hash and gas, Cosmos txs their code,
 * gas and events as the SDK reports them; txs left out say why.
 */
function txResult(o: BlockTxOutcome): DeepPartial<ExecTxResult> {
  if (o.kind === 'excluded') return execTxError(o.error)
  if (o.kind === 'cosmos') return o.result
  const { tx, result } = o
  const attributes = [
    { key: 'ethereumTxHash', value: bytesToHex(tx.hash), index: true },
    { key: 'txIndex', value: String(tx.index), index: true },
    { key: 'txGasUsed', value: String(tx.receipt.gasUsed), index: false },
  ]
  if (result.execResult.exceptionError) {
    attributes.push({ key: 'ethereumTxFailed', value: result.execResult.exceptionError.error, index: false })
  }
  return {
    code: 0,
    data: tx.hash,
    gasWanted: o.gasWanted,
    gasUsed: tx.receipt.gasUsed,
    events: [{ type: 'ethereum_tx', attributes }],
  }
}
