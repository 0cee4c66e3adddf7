import { ErrInternal } from '../../../errors.ts'
import {
  QueryInferenceRequest,
  QueryInferenceResponse,
  QueryInferencesByTxRequest,
  QueryInferencesByTxResponse,
  QueryProofRequest,
  QueryProofResponse,
} from '../../../proto/pipe/inference/v1/query.ts'
import { type InferenceRecord as InferenceRecordProto, InferenceStatus } from '../../../proto/pipe/inference/v1/types.ts'
import { type QueryContext, type QueryMethod, queryMethod } from '../../../queryContext.ts'
import { invalidArgument, notFound } from '../../../queryError.ts'
import { modeName } from '../types/verificationMode.ts'
import type { InferenceRecord, InferenceRecordStatus } from './inferenceRecord.ts'
import type { InferenceKeeper } from './keeper.ts'

/** Where the Proof query finds a ZKML proof: the content-addressed store every node keeps. */
export interface ProofSource {
  /** The stored proof artefact whose sha256 is `proofHash`, undefined when this node holds none. */
  get(proofHash: Uint8Array): Promise<Uint8Array | undefined>
  /** The artefact's proof bytes and public instances (32-byte field elements). */
  decode(artefact: Uint8Array): { proof: Uint8Array; instances: Uint8Array[] }
}

const STATUS: Record<InferenceRecordStatus, InferenceStatus> = {
  success: InferenceStatus.INFERENCE_STATUS_SUCCESS,
  reverted: InferenceStatus.INFERENCE_STATUS_REVERTED,
  missing: InferenceStatus.INFERENCE_STATUS_MISSING,
  outOfGas: InferenceStatus.INFERENCE_STATUS_OUT_OF_GAS,
}

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`

/**
 * The inference records' queries (`/pipe.inference.v1.Query/…`): an inference by id, a tx's
 * inferences, and an inference's proof. A record committed after the queried height is not
 * there yet.
 */
export function recordQueries(keeper: InferenceKeeper, proofs: ProofSource): QueryMethod[] {
  const recordAt = async (id: Uint8Array, ctx: QueryContext): Promise<InferenceRecord> => {
    if (id.length !== 32) throw invalidArgument(`inference id must be 32 bytes, got ${id.length}`)
    const record = await keeper.record(id)
    if (!record || record.height > ctx.height) throw notFound(`inference ${hex(id)} not found`)
    return record
  }
  return [
    queryMethod('/pipe.inference.v1.Query/Inference', QueryInferenceRequest, QueryInferenceResponse, async (req, ctx) => ({
      inference: recordProto(await recordAt(req.inferenceId, ctx)),
    })),
    queryMethod('/pipe.inference.v1.Query/InferencesByTx', QueryInferencesByTxRequest, QueryInferencesByTxResponse, async (req, ctx) => {
      if (req.txHash.length !== 32) throw invalidArgument(`tx hash must be 32 bytes, got ${req.txHash.length}`)
      const records = await keeper.recordsOfTx(req.txHash)
      return { inferences: records.filter((r) => r.height <= ctx.height).map(recordProto) }
    }),
    queryMethod('/pipe.inference.v1.Query/Proof', QueryProofRequest, QueryProofResponse, async (req, ctx) => {
      const record = await recordAt(req.inferenceId, ctx)
      const { verification } = record
      if (!verification) throw notFound(`inference ${hex(req.inferenceId)} is ${modeName(record.mode)}: its mode has no proof`)
      const artefact = await proofs.get(verification.proofHash)
      if (!artefact) throw notFound(`proof ${hex(verification.proofHash)} of inference ${hex(req.inferenceId)} is not stored on this node`)
      let decoded: { proof: Uint8Array; instances: Uint8Array[] }
      try {
        decoded = proofs.decode(artefact)
      } catch (err) {
        // The store is content-addressed and was checked when written: this is corruption, not a bad request.
        throw ErrInternal.with(`stored proof ${hex(verification.proofHash)} does not decode: ${(err as Error).message}`)
      }
      const { proof, instances } = decoded
      return { proof, instances, verifyingKeyHash: verification.verifyingKeyHash, mode: record.mode, proofHash: verification.proofHash }
    }),
  ]
}

/** A record as the Query service sends it. */
export function recordProto(r: InferenceRecord): InferenceRecordProto {
  const { verification } = r
  return {
    inferenceId: r.inferenceId,
    txHash: r.txHash,
    height: r.height,
    index: r.index,
    modelCid: r.modelCid,
    mode: r.mode,
    inputHash: r.inputHash,
    output: r.output,
    status: STATUS[r.status],
    proofHash: verification?.proofHash ?? new Uint8Array(0),
    verifyingKeyHash: verification?.verifyingKeyHash ?? new Uint8Array(0),
  }
}
