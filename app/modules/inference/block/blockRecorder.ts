import { hexToBytes } from '@ethereumjs/util'
import type { RunTxResult } from '@ethereumjs/vm'
import type { AppError } from '../../../errors.ts'
import type { EthTx } from '../../evm/ethTx.ts'
import type { BlockTxHooks } from '../../evm/extensions.ts'
import { newContext, type InferenceContext, type KnownResult } from '../precompile/inferenceCalls.ts'
import type { InferenceRecord } from './inferenceRecord.ts'
import type { InferenceRequest } from '../types/request.ts'
import type { KeyedResult } from './resultsTx.ts'

/**
 * Block execution's side of the precompile: gives it the block's results, and after each tx
 * turns what it served into inference records. In the inline baseline (no pre-execution) it
 * computes results during execution instead, as a chain without PIPE would.
 */
export class BlockRecorder implements BlockTxHooks {
  private ctx: InferenceContext = newContext('block')
  private records: InferenceRecord[] = []
  /** Results computed during execution (inline baseline), to record in state. */
  private computed = new Map<string, KeyedResult>()
  private height = 0n

  constructor(private readonly inline?: (request: InferenceRequest) => Promise<KnownResult & Omit<KeyedResult, 'key' | 'keyHex'>>) {}

  /** The precompile's context during block execution. */
  context(): InferenceContext {
    return this.ctx
  }

  beginBlock(height: bigint, results: KeyedResult[]): void {
    this.height = height
    this.records = []
    this.computed = new Map()
    this.ctx = newContext('block', new Map(results.map((r) => [r.keyHex, r])))
    const inline = this.inline
    if (inline) {
      this.ctx.runNow = async (request) => {
        const r = await inline(request)
        this.computed.set(request.keyHex, { ...r, key: request.key, keyHex: request.keyHex })
        return r
      }
    }
  }

  beforeTx(eth: EthTx): void {
    this.ctx.txHash = eth.hash
    this.ctx.served = []
    this.ctx.errors = []
  }

  afterTx(eth: EthTx, outcome: { result: RunTxResult } | { error: AppError }): void {
    const reverted = 'error' in outcome || outcome.result.execResult.exceptionError !== undefined
    for (const s of this.ctx.served) {
      this.records.push({
        inferenceId: hexToBytes(s.inferenceId as `0x${string}`),
        txHash: eth.hash,
        height: this.height,
        index: s.index,
        modelCid: s.request.modelCid,
        mode: s.request.mode,
        inputHash: s.request.inputHash,
        output: s.output ?? new Uint8Array(0),
        status: s.output === undefined ? 'missing' : reverted ? 'reverted' : 'success',
      })
    }
    this.ctx.served = []
  }

  /** The block's records, and the results computed inline (empty with pre-execution). */
  endBlock(): { records: InferenceRecord[]; computed: KeyedResult[] } {
    return { records: this.records, computed: [...this.computed.values()] }
  }
}
