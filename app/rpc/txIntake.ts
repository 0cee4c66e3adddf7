import type { CheckTxOutcome, CheckTxOutcomes } from '../abci/checkTxOutcomes.ts'
import type { CometClient } from './cometClient.ts'

/**
 * How eth_sendRawTransaction hands txs to CometBFT. Txs go out in the order they arrived (a
 * sender's nonces reach CheckTx in the order the client sent them, even inside one HTTP batch),
 * without waiting for one tx's CheckTx before sending the next: CometBFT only enqueues each
 * (`broadcast_tx_async`), and the verdict comes from this process's own CheckTx
 * ({@link CheckTxOutcomes}). So one sender can keep as many txs in flight as it sends, and the
 * mempool's nonce rules see them in order.
 */
export class TxIntake {
  /** Settles when the last submitted tx was handed to the CometBFT client. */
  private tail: Promise<void> = Promise.resolve()

  constructor(
    private readonly comet: CometClient,
    private readonly outcomes: CheckTxOutcomes,
  ) {}

  /**
   * Submits `raw` once `decoded` settles (decoding runs in parallel; a tx that does not decode is
   * never sent and rejects with the decoding error) and after every tx submitted before it.
   * Resolves with CheckTx's answer; rejects with CometBFT's own refusal.
   */
  async submit(raw: Uint8Array, decoded: Promise<unknown>): Promise<CheckTxOutcome> {
    const previous = this.tail
    let handedOver!: () => void
    this.tail = new Promise((resolve) => (handedOver = resolve))
    let waiting: ReturnType<CheckTxOutcomes['expect']>
    let broadcast: Promise<unknown>
    try {
      await previous
      await decoded
      waiting = this.outcomes.expect(raw)
      broadcast = this.comet.broadcastTxAsync(raw)
    } finally {
      handedOver()
    }
    try {
      await broadcast
    } catch (err) {
      waiting.cancel()
      throw err
    }
    return waiting.outcome
  }
}
