import { AppError, toAppError } from '../../errors.ts'
import { ErrInferenceFailed, ErrUnknownModel } from './errors.ts'
import type { InferenceRequest } from './inferenceRequest.ts'
import { encodeModelOutput } from './inferenceRequest.ts'
import type { ModelCatalog } from './inferenceContext.ts'
import { modelGas } from './precompile.ts'
import type { CachedResult } from './resultCache.ts'
import { fromOnnxOutputs, toOnnxInputs, type TensorData } from './tensors.ts'

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
      outputs = (await this.executor.run({ modelCid: request.modelCid, inputs }, { timeoutMs })).outputs
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
}
