import { type AppError, toAppError } from '../../../errors.ts'
import { ErrModeUnavailable, ErrZkProof } from '../errors.ts'
import { encodeModelOutput } from '../precompile/abiEncoder.ts'
import type { ModelCatalog } from '../precompile/inferenceCalls.ts'
import type { InferenceRequest } from '../types/request.ts'
import type { InferenceResult } from '../types/result.ts'
import { modeName, VerificationMode } from '../types/verificationMode.ts'
import { circuitInputs, outputFromInstances } from './zkCircuit.ts'
import type { ZkCircuits } from './zkCircuits.ts'
import { decodeZkProof } from './zkProof.ts'
import type { ZkVerifier } from './zkVerifier.ts'

/**
 * The verification layer: how ProcessProposal checks one carried result against the request it
 * answers, by the request's mode.
 * - VANILLA: nothing to check (the result is the proposer's word);
 * - ZKML: the model is registered for ZKML; the proof decodes; its public inputs are the
 *   request's inputs quantised as the circuit takes them; the result's output is exactly the
 *   proof's public outputs, rescaled; and the proof verifies against the registered verifying
 *   key (on the verifier's threads, once per proof);
 * - TEE: not accepted yet.
 * Reads the proposal, committed registrations and content-addressed hub files only.
 */
export class ResultVerification {
  constructor(
    private readonly circuits: ZkCircuits,
    private readonly verifier: ZkVerifier,
    private readonly models: ModelCatalog,
  ) {}

  /**
   * Starts the part of {@link check} that does not depend on the request — a ZKML proof's
   * verification against the registered verifying key, by far the costliest — so that it runs
   * while ProcessProposal is still simulating txs to learn their requests; `check` then finds
   * the verdict in flight (the verifier keeps verdicts by proof and key). Changes no verdict:
   * a result whose check fails before that step only had a proof verified for nothing.
   */
  start(result: InferenceResult): void {
    if (result.mode !== VerificationMode.VERIFICATION_MODE_ZKML) return
    const started = async () => {
      const circuit = await this.circuits.forVerifying(result.modelCid)
      await this.verifier.verify(circuit, result.artefact, decodeZkProof(result.artefact))
    }
    // Failures are check()'s to report, with the request in view.
    started().catch(() => {})
  }

  /** Why `result` is not an acceptable answer to `request`, or undefined. */
  async check(result: InferenceResult, request: InferenceRequest): Promise<AppError | undefined> {
    switch (result.mode) {
      case VerificationMode.VERIFICATION_MODE_VANILLA:
        return result.artefact.length === 0 ? undefined : ErrZkProof.with(`VANILLA result ${result.keyHex} carries an artefact`)
      case VerificationMode.VERIFICATION_MODE_ZKML:
        return this.checkZk(result, request).catch((err) => toAppError(err))
      default:
        return ErrModeUnavailable.with(`result ${result.keyHex}: ${modeName(result.mode)} results are not accepted yet`)
    }
  }

  private async checkZk(result: InferenceResult, request: InferenceRequest): Promise<AppError | undefined> {
    const bad = (why: string) => ErrZkProof.with(`ZKML result ${result.keyHex} (model ${result.modelCid}): ${why}`)
    const because = (err: unknown) => {
      const e = toAppError(err)
      const prefix = `${ErrZkProof.description}: `
      return e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message
    }
    let circuit: Awaited<ReturnType<ZkCircuits['forVerifying']>>
    try {
      circuit = await this.circuits.forVerifying(result.modelCid)
    } catch (err) {
      return bad(because(err))
    }
    let proof: ReturnType<typeof decodeZkProof>
    try {
      proof = decodeZkProof(result.artefact)
    } catch (err) {
      return bad(because(err))
    }
    const meta = await this.models.metadata(result.modelCid)
    if (!meta) return bad('the model is in no hub this node can reach')
    const expected = circuitInputs(request.input, meta.inputs, circuit.layout).instances
    const differs = expected.findIndex((felt, i) => Buffer.compare(felt, proof.instances[i] ?? new Uint8Array()) !== 0)
    if (differs !== -1) return bad(`the proof is for different inputs (public input ${differs} is not the request's)`)
    let output: Uint8Array
    try {
      output = encodeModelOutput(outputFromInstances(proof.instances, meta.outputs, circuit.layout))
    } catch (err) {
      return bad(because(err))
    }
    if (Buffer.compare(output, result.output) !== 0) return bad("the output is not the proof's public output")
    const reason = await this.verifier.verify(circuit, result.artefact, proof)
    return reason === undefined ? undefined : bad(`the proof does not verify against the registered verifying key: ${reason}`)
  }
}
