import { AppError, toAppError } from '../../../errors.ts'
import type { ModelExecutor } from '../../../executor/index.ts'
import { ErrInferenceFailed, ErrModeUnavailable, ErrUnknownModel } from '../errors.ts'
import { inferenceModelGas } from '../params.ts'
import { encodeModelOutput } from '../precompile/abiEncoder.ts'
import type { ModelCatalog } from '../precompile/inferenceCalls.ts'
import { fromOnnxOutputs, toOnnxInputs } from '../precompile/tensors.ts'
import type { InferenceRequest } from '../types/request.ts'
import { type InferenceResult, resultOf } from '../types/result.ts'
import { VerificationMode } from '../types/verificationMode.ts'
import type { ZkProver } from '../verification/zkProver.ts'

/**
 * Computes one inference request on the executor: TensorLib input → onnxruntime tensors → run →
 * the ABI-encoded ModelOutput the precompile returns, with the model's gas. A ZKML request is
 * proved instead (ZkProver), its output read from the proof. It keeps nothing:
 * deduplication and caching are the ResultCache's.
 */
export class InferenceRunner {
  constructor(
    private readonly models: ModelCatalog,
    private readonly executor: Pick<ModelExecutor, 'run'>,
    /** Proves ZKML requests (their output is the proof's); without one, ZKML requests fail. */
    private readonly prover?: Pick<ZkProver, 'prove'>,
  ) {}

  async run(request: InferenceRequest, timeoutMs: number): Promise<InferenceResult> {
    const meta = await this.models.metadata(request.modelCid)
    if (!meta) throw ErrUnknownModel.with(request.modelCid)
    const gas = inferenceModelGas(meta.costMicros, request.mode)
    if (request.mode === VerificationMode.VERIFICATION_MODE_ZKML) {
      if (!this.prover) throw ErrModeUnavailable.with('this node has no ZKML prover')
      const { output, artefact } = await this.prover.prove(request, meta, timeoutMs)
      return resultOf(request, encodeModelOutput(output), gas, artefact)
    }
    const inputs = toOnnxInputs(request.input, meta.inputs)
    let outputs: Awaited<ReturnType<ModelExecutor['run']>>['outputs']
    try {
      ;({ outputs } = await this.executor.run({ modelCid: request.modelCid, inputs }, { timeoutMs }))
    } catch (err) {
      const e = toAppError(err)
      throw err instanceof AppError ? ErrInferenceFailed.with(`model ${request.modelCid}: ${e.message}`, err) : e
    }
    return resultOf(request, encodeModelOutput(fromOnnxOutputs(outputs, meta.outputs)), gas)
  }
}
