import { AppError, toAppError } from '../../../errors.ts'
import type { ModelExecutor } from '../../../executor/index.ts'
import { ErrInferenceFailed, ErrUnknownModel } from '../errors.ts'
import { modelGas } from '../params.ts'
import { encodeModelOutput } from '../precompile/abiEncoder.ts'
import type { ModelCatalog } from '../precompile/inferenceCalls.ts'
import { fromOnnxOutputs, toOnnxInputs } from '../precompile/tensors.ts'
import type { InferenceRequest } from '../types/request.ts'
import { type InferenceResult, resultOf } from '../types/result.ts'

/**
 * Computes one inference request on the executor: TensorLib input → onnxruntime tensors → run →
 * the ABI-encoded ModelOutput the precompile returns, with the model's gas. It keeps nothing:
 * deduplication and caching are the ResultCache's.
 */
export class InferenceRunner {
  constructor(
    private readonly models: ModelCatalog,
    private readonly executor: Pick<ModelExecutor, 'run'>,
  ) {}

  async run(request: InferenceRequest, timeoutMs: number): Promise<InferenceResult> {
    const meta = await this.models.metadata(request.modelCid)
    if (!meta) throw ErrUnknownModel.with(request.modelCid)
    const inputs = toOnnxInputs(request.input, meta.inputs)
    let outputs: Awaited<ReturnType<ModelExecutor['run']>>['outputs']
    try {
      ;({ outputs } = await this.executor.run({ modelCid: request.modelCid, inputs }, { timeoutMs }))
    } catch (err) {
      const e = toAppError(err)
      throw err instanceof AppError ? ErrInferenceFailed.with(`model ${request.modelCid}: ${e.message}`, err) : e
    }
    return resultOf(request, encodeModelOutput(fromOnnxOutputs(outputs, meta.outputs)), modelGas(meta.costMicros))
  }
}
