import { LRUCache } from 'lru-cache'
import type { InferenceRequest } from '../types/request.ts'
import type { InferenceResult, ResultLookup } from '../types/result.ts'
import type { InferenceRunner } from './inferenceRunner.ts'

/** Results kept: at most this many… */
const MAX_RESULTS = 100_000
/** …and at most this many bytes of outputs and artefacts. */
const MAX_RESULT_BYTES = 256 * 1024 * 1024

/**
 * The inference results this node knows, by request key: the one place where inferences are
 * deduplicated and cached. A request being computed is computed once however many txs and
 * eth_calls ask for it; a computed result is kept (least recently used out first, bounded) so
 * a re-simulated tx, the tx sent after its eth_estimateGas and the next proposal find it. The
 * results a pending tx needs are held by the inference mempool, not here.
 */
export class ResultCache implements ResultLookup {
  private readonly recent = new LRUCache<string, InferenceResult>({
    max: MAX_RESULTS,
    maxSize: MAX_RESULT_BYTES,
    sizeCalculation: (r) => r.output.length + r.artefact.length + 200,
  })
  private readonly inflight = new Map<string, Promise<InferenceResult>>()

  constructor(private readonly runner: InferenceRunner) {}

  get(keyHex: string): InferenceResult | undefined {
    return this.recent.get(keyHex)
  }

  /** The result of `request`: known, being computed (shared), or computed now. */
  compute(request: InferenceRequest, timeoutMs: number): Promise<InferenceResult> {
    const known = this.recent.get(request.keyHex)
    if (known) return Promise.resolve(known)
    const running = this.inflight.get(request.keyHex)
    if (running) return running
    const p = this.runner.run(request, timeoutMs).then(
      (result) => {
        this.inflight.delete(request.keyHex)
        this.recent.set(request.keyHex, result)
        return result
      },
      (err: unknown) => {
        this.inflight.delete(request.keyHex)
        throw err
      },
    )
    this.inflight.set(request.keyHex, p)
    return p
  }
}
