import { AppError, toAppError } from '../../../errors.ts'
import { ErrInferenceFailed, ErrUnknownModel } from '../errors.ts'
import { ErrQueueFull } from '../../../executor/errors.ts'
import type { InferenceRequest } from '../types/request.ts'
import { encodeModelOutput } from '../types/request.ts'
import type { ModelCatalog } from '../precompile/inferenceCalls.ts'
import { modelGas } from '../precompile/precompile.ts'
import type { CachedResult } from './resultCache.ts'
import { fromOnnxOutputs, toOnnxInputs, type TensorData } from '../precompile/tensors.ts'

/** The executor as the runner uses it (InferenceExecutor in ./executor). */
export interface Executor {
  run(req: { modelCid: string; inputs: Record<string, TensorData> }, opts?: { timeoutMs?: number }): Promise<{ outputs: Record<string, TensorData> }>
}

/**
 * Computes inference requests on the executor: TensorLib input → onnxruntime tensors → run →
 * the ABI-encoded ModelOutput the precompile returns. Identical requests in flight share one
 * computation.
 */
export class InferenceRunner {
  private readonly inflight = new Map<string, Promise<CachedResult>>()
  /** Requests the executor refused for a full queue, waiting for a run to finish. */
  private readonly parked: (() => void)[] = []

  constructor(
    private readonly models: ModelCatalog,
    private readonly executor: Executor,
  ) {}

  run(request: InferenceRequest, timeoutMs: number): Promise<CachedResult> {
    const running = this.inflight.get(request.keyHex)
    if (running) return running
    const p = this.compute(request, timeoutMs).finally(() => this.inflight.delete(request.keyHex))
    this.inflight.set(request.keyHex, p)
    return p
  }

  private async compute(request: InferenceRequest, timeoutMs: number): Promise<CachedResult> {
    const meta = await this.models.metadata(request.modelCid)
    if (!meta) throw ErrUnknownModel.with(request.modelCid)
    const inputs = toOnnxInputs(request.input, meta.inputs)
    let outputs: Record<string, TensorData>
    try {
      outputs = await this.runWhenRoom({ modelCid: request.modelCid, inputs }, performance.now() + timeoutMs)
    } catch (err) {
      const e = toAppError(err)
      throw err instanceof AppError ? ErrInferenceFailed.with(`model ${request.modelCid}: ${e.message}`, err) : e
    }
    const output = encodeModelOutput(fromOnnxOutputs(outputs, meta.outputs))
    return {
      output,
      modelGas: modelGas(meta.costMicros),
      mode: request.mode,
      modelCid: request.modelCid,
      inputHash: request.inputHash,
      artefact: new Uint8Array(0),
    }
  }

  /**
   * Runs on the executor; when its queue is full (back-pressure), waits for one of this runner's
   * runs to finish (or a second) and tries again, until `deadline`. A tx the mempool accepted is
   * not dropped because many others arrived at once.
   */
  private async runWhenRoom(req: { modelCid: string; inputs: Record<string, TensorData> }, deadline: number): Promise<Record<string, TensorData>> {
    for (;;) {
      const timeoutMs = Math.max(1, Math.ceil(deadline - performance.now()))
      try {
        const { outputs } = await this.executor.run(req, { timeoutMs })
        this.parked.shift()?.() // a place in the queue came free
        return outputs
      } catch (err) {
        const full = err instanceof AppError && err.codespace === ErrQueueFull.codespace && err.code === ErrQueueFull.code
        if (!full) this.parked.shift()?.()
        if (!full || performance.now() >= deadline) throw err
      }
      await new Promise<void>((resolve) => {
        this.parked.push(resolve)
        setTimeout(resolve, Math.min(PARKED_RETRY_MS, Math.max(0, deadline - performance.now())))
      })
    }
  }
}

/** Longest a refused request waits before asking the executor again. */
const PARKED_RETRY_MS = 1000
