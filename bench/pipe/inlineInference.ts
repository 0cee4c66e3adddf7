import type { AppError } from '../../app/errors.ts'
import type { EthTx } from '../../app/modules/evm/ethTx.ts'
import { ErrResultsTx } from '../../app/modules/inference/errors.ts'
import { InferenceModule } from '../../app/modules/inference/module.ts'
import { CALL_INFERENCE_TIMEOUT_MS } from '../../app/modules/inference/params.ts'
import type { InferenceAnswers } from '../../app/modules/inference/precompile/inferenceCalls.ts'
import type { InferenceResult } from '../../app/modules/inference/types/result.ts'

/** How long one inline inference may take inside FinalizeBlock. */
const INLINE_TIMEOUT_MS = CALL_INFERENCE_TIMEOUT_MS * 6

/**
 * The inline baseline: inference computed during FinalizeBlock by every validator, as a chain
 * without pre-execution does — the mempool admits every tx at once, proposals carry no results
 * tx, and the block precompile runs the model when a tx calls it. It exists to measure what PIPE
 * saves (bench/pipe/run.ts), and it lives here, not in the node, because it cannot be
 * deterministic: it reads the node's own model hub and runs models under a wall-clock timeout
 * inside FinalizeBlock, so one slow or model-less validator would revert a tx only on its side.
 */
export class InlineInferenceModule extends InferenceModule {
  override async admit(): Promise<void> {}

  override isReady(): boolean {
    return true
  }

  override resultsTx(): Uint8Array | undefined {
    return undefined
  }

  override async checkProposal(_txs: readonly EthTx[], block: { hasResultsTx: boolean }): Promise<AppError | undefined> {
    return block.hasResultsTx ? ErrResultsTx.with('this chain computes inference inline and takes no results tx') : undefined
  }

  protected override blockAnswers(): InferenceAnswers {
    const computed = new Map<string, InferenceResult>()
    return {
      kind: 'call',
      modes: this.modes,
      results: computed,
      models: this.hub,
      compute: async (request) => {
        const result = await this.runner.run(request, INLINE_TIMEOUT_MS)
        computed.set(request.keyHex, result)
        this.blockResults.push(result)
        return result
      },
    }
  }

  override blockCommitted(): void {}
}
