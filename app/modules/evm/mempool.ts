import type { Address } from '@ethereumjs/util'
import { AppError, toAppError } from '../../errors.ts'
import { validateTxAgainstAccount, validateTxStateless } from './ante.ts'
import { ErrGasLimitExceedsBlock } from './errors.ts'
import type { EthTx } from './ethTx.ts'
import type { EvmKeeper } from './keeper.ts'
import { SenderQueues } from './senderQueues.ts'

/** What proposal selection needs of a block tx, whatever its kind (Ethereum or Cosmos). */
export interface SequencedTx {
  raw: Uint8Array
  sender: Address
  /** The sender's nonce the tx uses (a Cosmos tx's sequence). */
  nonce: bigint
  gasLimit: bigint
}

/**
 * The EVM side of CheckTx, PrepareProposal and ProcessProposal. All three share the stateless
 * checks (decode, chain id, signature, gas); CheckTx adds the account checks against committed
 * state plus what is already queued.
 */
export class EvmMempool {
  /** Per sender, what this node's mempool holds beyond committed state (Cosmos txs share it). */
  readonly senders = new SenderQueues()
  /**
   * Txs that passed the stateless checks, with the block gas limit they passed against: CometBFT
   * hands a tx over on every RECHECK and proposal, and the checks only depend on the tx.
   */
  private readonly statelessOk = new WeakMap<EthTx, bigint>()

  constructor(private readonly keeper: EvmKeeper) {}

  /**
   * CheckTx (NEW and RECHECK): accepts the tx into this node's mempool or throws an AppError
   * saying why not. Nothing is written to the chain's state.
   */
  async check(raw: Uint8Array, gate?: (eth: EthTx) => Promise<void>): Promise<EthTx> {
    const eth = await this.keeper.txCache.decodeAsync(raw)
    this.checkStateless(eth)
    const view = await this.keeper.checkState()
    const account = await view.getAccount(eth.sender)
    const committedNonce = account?.nonce ?? 0n
    const pending = this.senders.pendingFor(eth.sender.toString(), committedNonce)
    validateTxAgainstAccount(eth, account, pending, this.keeper.nextBaseFee())
    // Other modules' admission checks run before anything is reserved for the tx.
    if (gate) await gate(eth)
    this.senders.admit(eth, committedNonce)
    return eth
  }

  /**
   * Starts decoding (and recovering the sender of) a tx CheckTx will soon look at, so recovery
   * runs on worker threads while earlier CheckTx calls are admitted in order.
   */
  prefetch(raw: Uint8Array): void {
    this.keeper.txCache.decodeAsync(raw).catch(() => {})
  }

  /** Decodes and statelessly validates a block tx, or says why it is invalid. */
  decodeForBlock(raw: Uint8Array): EthTx | AppError {
    try {
      const eth = this.keeper.txCache.decode(raw)
      this.checkStateless(eth)
      return eth
    } catch (err) {
      return toAppError(err)
    }
  }

  private checkStateless(eth: EthTx): void {
    const gasLimit = this.keeper.blockGasLimit()
    if (this.statelessOk.get(eth) === gasLimit) return
    validateTxStateless(eth, gasLimit)
    this.statelessOk.set(eth, gasLimit)
  }

  /**
   * PrepareProposal: CometBFT offers mempool txs in arrival order (decoded by the caller, of
   * either kind: a Cosmos tx's sequence is its sender's nonce). Keep the ready ones, each
   * sender's in nonce order starting at its committed nonce and stopping at a gap or at a tx
   * that is not ready (a tx whose predecessor arrives later in the list is held until it does),
   * within the byte and gas limits.
   */
  async selectForProposal<T extends SequencedTx>(txs: T[], maxTxBytes: bigint, isReady: (tx: T) => boolean = () => true): Promise<T[]> {
    const gasLimit = this.keeper.blockGasLimit()
    const view = await this.keeper.checkState()
    const expected = new Map<string, bigint>()
    const held = new Map<string, Map<bigint, T>>()
    const blocked = new Set<string>()
    const selected: T[] = []
    let bytes = 0n
    let gas = 0n
    let full = false
    const include = (tx: T): boolean => {
      if (gas + tx.gasLimit > gasLimit) return false
      if (bytes + BigInt(tx.raw.length) > maxTxBytes) {
        full = true
        return false
      }
      gas += tx.gasLimit
      bytes += BigInt(tx.raw.length)
      selected.push(tx)
      return true
    }
    for (const tx of txs) {
      if (full) break
      const sender = tx.sender.toString()
      if (blocked.has(sender)) continue
      let next = expected.get(sender)
      if (next === undefined) next = (await view.getAccount(tx.sender))?.nonce ?? 0n
      if (tx.nonce < next) continue
      if (tx.nonce > next) {
        const waiting = held.get(sender) ?? new Map<bigint, T>()
        waiting.set(tx.nonce, tx)
        held.set(sender, waiting)
        expected.set(sender, next)
        continue
      }
      let current: T | undefined = tx
      while (current && !full) {
        // A tx still waiting for inference holds back its sender's later nonces too.
        if (!isReady(current) || !include(current)) {
          blocked.add(sender)
          break
        }
        next++
        current = held.get(sender)?.get(next)
        held.get(sender)?.delete(next)
      }
      expected.set(sender, next)
    }
    return selected
  }

  /**
   * ProcessProposal: every tx must have decoded and passed the stateless checks (an AppError
   * here says why one did not), and the gas limits must fit the block. Returns the first
   * problem, or undefined to accept.
   */
  verifyProposal(txs: (SequencedTx | AppError)[]): AppError | undefined {
    const gasLimit = this.keeper.blockGasLimit()
    let gas = 0n
    for (let i = 0; i < txs.length; i++) {
      const tx = txs[i]!
      if (tx instanceof AppError) return tx
      gas += tx.gasLimit
      if (gas > gasLimit) return ErrGasLimitExceedsBlock.with(`txs up to index ${i} ask ${gas} gas, the block allows ${gasLimit}`)
    }
    return undefined
  }

  /** Commit changed nonces and balances: forget the queues (RECHECK rebuilds them). */
  reset(): void {
    this.senders.reset()
  }
}
