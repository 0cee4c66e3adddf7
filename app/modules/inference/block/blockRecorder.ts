import { sha256 } from '../../../crypto.ts'
import type { EthTx } from '../../evm/ethTx.ts'
import { blockAnswers, type InferenceAnswers, type TxInferenceCalls, txInferenceCalls, VANILLA_ONLY } from '../precompile/inferenceCalls.ts'
import type { InferenceRecord, InferenceRecordStatus } from './inferenceRecord.ts'

/**
 * Block execution's side of the precompile: gives it the block's answers, tx by tx, and turns
 * what each tx asked into inference records.
 */
export class BlockRecorder {
  private answers: InferenceAnswers = blockAnswers(VANILLA_ONLY)
  private tx: TxInferenceCalls = txInferenceCalls(new Uint8Array(32), this.answers)
  private records: InferenceRecord[] = []
  private height = 0n
  private verifyingKeys: ReadonlyMap<string, Uint8Array> = new Map()

  /** The precompile's view of the tx being executed. */
  current(): TxInferenceCalls {
    return this.tx
  }

  /** `verifyingKeys`: the registered verifying-key hash of each ZKML model the block's results use. */
  beginBlock(height: bigint, answers: InferenceAnswers, verifyingKeys: ReadonlyMap<string, Uint8Array> = new Map()): void {
    this.height = height
    this.answers = answers
    this.verifyingKeys = verifyingKeys
    this.records = []
  }

  beforeTx(eth: EthTx): void {
    this.tx = txInferenceCalls(eth.hash, this.answers)
  }

  /** `reverted`: the tx ran and reverted (or the EVM refused it). */
  afterTx(eth: EthTx, reverted: boolean): void {
    for (const c of this.tx.calls) {
      const status: InferenceRecordStatus =
        c.outcome === 'answered' ? (reverted ? 'reverted' : 'success') : c.outcome === 'outOfGas' ? 'outOfGas' : 'missing'
      const artefact = this.answers.results.get(c.request.keyHex)?.artefact
      const verifyingKeyHash = this.verifyingKeys.get(c.request.modelCid)
      this.records.push({
        inferenceId: c.inferenceId,
        txHash: eth.hash,
        height: this.height,
        index: c.index,
        modelCid: c.request.modelCid,
        mode: c.request.mode,
        inputHash: c.request.inputHash,
        output: c.output ?? new Uint8Array(0),
        status,
        ...(artefact && artefact.length > 0 && verifyingKeyHash ? { verification: { proofHash: sha256(artefact), verifyingKeyHash } } : {}),
      })
    }
    this.tx = txInferenceCalls(eth.hash, this.answers)
  }

  /** The block's records, in execution order. */
  endBlock(): InferenceRecord[] {
    const records = this.records
    this.records = []
    return records
  }
}
