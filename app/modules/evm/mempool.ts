import type { AppError } from '../../errors.ts'
import { toAppError } from '../../errors.ts'
import { validateTxAgainstAccount, validateTxStateless } from './ante.ts'
import { ErrGasLimitExceedsBlock } from './errors.ts'
import type { EthTx } from './ethTx.ts'
import type { EvmKeeper } from './keeper.ts'
import { MempoolState } from './mempoolState.ts'

/**
 * The EVM side of CheckTx, PrepareProposal and ProcessProposal. All three share the stateless
 * checks (decode, chain id, signature, gas); CheckTx adds the account checks against committed
 * state plus what is already queued.
 */
export class EvmMempool {
  readonly state = new MempoolState()
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
    const pending = this.state.pendingFor(eth.sender.toString(), committedNonce)
    validateTxAgainstAccount(eth, account, pending, this.keeper.nextBaseFee())
    // Other modules' admission checks run before anything is reserved for the tx.
    if (gate) await gate(eth)
    this.state.admit(eth, committedNonce)
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
   * PrepareProposal: CometBFT offers mempool txs in arrival order. Keep the valid, ready ones,
   * each sender's in nonce order starting at its committed nonce and stopping at a gap or at a
   * tx that is not ready (a tx whose predecessor arrives later in the list is held until it
   * does), within the byte and gas limits.
   */
  async selectForProposal(txs: Uint8Array[], maxTxBytes: bigint, isReady: (eth: EthTx) => boolean = () => true): Promise<EthTx[]> {
    const gasLimit = this.keeper.blockGasLimit()
    const view = await this.keeper.checkState()
    const expected = new Map<string, bigint>()
    const held = new Map<string, Map<bigint, EthTx>>()
    const blocked = new Set<string>()
    const selected: EthTx[] = []
    let bytes = 0n
    let gas = 0n
    let full = false
    const include = (eth: EthTx): boolean => {
      if (gas + eth.tx.gasLimit > gasLimit) return false
      if (bytes + BigInt(eth.raw.length) > maxTxBytes) {
        full = true
        return false
      }
      gas += eth.tx.gasLimit
      bytes += BigInt(eth.raw.length)
      selected.push(eth)
      return true
    }
    for (const raw of txs) {
      if (full) break
      const eth = this.decodeForBlock(raw)
      if (!('tx' in eth)) continue
      const sender = eth.sender.toString()
      if (blocked.has(sender)) continue
      let next = expected.get(sender)
      if (next === undefined) next = (await view.getAccount(eth.sender))?.nonce ?? 0n
      if (eth.tx.nonce < next) continue
      if (eth.tx.nonce > next) {
        const waiting = held.get(sender) ?? new Map<bigint, EthTx>()
        waiting.set(eth.tx.nonce, eth)
        held.set(sender, waiting)
        expected.set(sender, next)
        continue
      }
      let current: EthTx | undefined = eth
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
   * ProcessProposal: every tx must decode and pass the stateless checks, and the gas limits
   * must fit the block. Returns the first problem, or undefined to accept.
   */
  verifyProposal(txs: Uint8Array[]): AppError | undefined {
    const gasLimit = this.keeper.blockGasLimit()
    let gas = 0n
    for (let i = 0; i < txs.length; i++) {
      const eth = this.decodeForBlock(txs[i])
      if (!('tx' in eth)) return eth
      gas += eth.tx.gasLimit
      if (gas > gasLimit) return ErrGasLimitExceedsBlock.with(`txs up to index ${i} ask ${gas} gas, the block allows ${gasLimit}`)
    }
    return undefined
  }

  /** Commit changed nonces and balances: forget the queues (RECHECK rebuilds them). */
  reset(): void {
    this.state.reset()
  }
}

