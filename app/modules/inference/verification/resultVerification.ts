import { LRUCache } from 'lru-cache'
import { type AppError, toAppError } from '../../../errors.ts'
import type { InferenceNode } from '../../../proto/pipe/inference/v1/types.ts'
import { ErrModeUnavailable, ErrTeeResult, ErrVanillaMismatch, ErrZkProof } from '../errors.ts'
import { encodeModelOutput } from '../precompile/abiEncoder.ts'
import type { ModelCatalog } from '../precompile/inferenceCalls.ts'
import type { InferenceRequest } from '../types/request.ts'
import type { InferenceResult, ResultLookup } from '../types/result.ts'
import { modeName, VerificationMode } from '../types/verificationMode.ts'
import { type AttestationPolicy, decodeNitroAttestation } from './nitroAttestation.ts'
import { decodeTeeSignature, type TeeSignature, teeSignatureValid } from './teeSignature.ts'
import { circuitInputs, outputFromInstances } from './zkCircuit.ts'
import type { ZkCircuits } from './zkCircuits.ts'
import { decodeZkProof } from './zkProof.ts'
import type { ZkVerifier } from './zkVerifier.ts'

/** What a TEE check reads: committed registrations and the latest committed block's time. */
export interface TeeNodes {
  committedNode(key: Uint8Array): Promise<InferenceNode | undefined>
  committedTeePolicy(): Promise<AttestationPolicy | undefined>
  /** Time of the latest committed block, seconds. */
  committedTime(): bigint
}

/**
 * The verification layer: how ProcessProposal checks one carried result against the request it
 * answers, by the request's mode.
 * - VANILLA: no artefact, and the output is byte-identical to this node's own computation of the
 *   request when it has one (checkVanilla);
 * - ZKML: the model is registered for ZKML; the proof decodes; its public inputs are the
 *   request's inputs quantised as the circuit takes them; the result's output is exactly the
 *   proof's public outputs, rescaled; and the proof verifies against the registered verifying
 *   key (on the verifier's threads, once per proof);
 * - TEE: the artefact is the signature of a registered TEE node (its attestation verified at
 *   registration, and not older than the policy allows at the latest committed block) over the
 *   request, the model, the input hash and the exact output (teeSignature.ts).
 * Reads the proposal, committed registrations and content-addressed hub files only.
 */
export class ResultVerification {
  /** Decoded attestation times by node key, with the document they came from. */
  private readonly attestations = new LRUCache<string, { document: Uint8Array; timestampMs: number }>({ max: 10_000 })

  constructor(
    private readonly circuits: ZkCircuits,
    private readonly verifier: ZkVerifier,
    private readonly models: ModelCatalog,
    private readonly nodes: TeeNodes,
    /**
     * Results this node computed itself (ResultCache): a VANILLA result is compared with this
     * node's own computation of the same request when it has one.
     */
    private readonly computed: ResultLookup = { get: () => undefined },
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
        return this.checkVanilla(result)
      case VerificationMode.VERIFICATION_MODE_ZKML:
        return this.checkZk(result, request).catch((err) => toAppError(err))
      case VerificationMode.VERIFICATION_MODE_TEE:
        return this.checkTee(result, request).catch((err) => toAppError(err))
      default:
        return ErrModeUnavailable.with(`result ${result.keyHex}: ${modeName(result.mode)} results are not accepted`)
    }
  }

  /**
   * A VANILLA result carries no artefact, and when this validator has computed the same request
   * itself (its mempool pre-executed a tx asking for it, or an eth_call did), its output must be
   * byte-identical to this validator's (not its gas: that comes from the hub's cost measurement,
   * which may differ between hubs): onnxruntime is pinned and its sessions run with
   * deterministic options, so an honest proposer's output is the same bits. A validator that has
   * not computed the request cannot check it and accepts the proposer's output (docs/verification.md).
   * This is the one verdict of ProcessProposal that depends on the node, not only on the proposal
   * and committed state: it is a vote against a proposer whose output this node knows is wrong.
   */
  private checkVanilla(result: InferenceResult): AppError | undefined {
    if (result.artefact.length !== 0) return ErrZkProof.with(`VANILLA result ${result.keyHex} carries an artefact`)
    const mine = this.computed.get(result.keyHex)
    if (!mine || mine.mode !== VerificationMode.VERIFICATION_MODE_VANILLA) return undefined
    if (Buffer.compare(mine.output, result.output) === 0) return undefined
    return ErrVanillaMismatch.with(
      `result ${result.keyHex} (model ${result.modelCid}): the proposer's output bytes differ from this validator's own computation of the request`,
    )
  }

  /**
   * A TEE result: signed by a registered TEE node whose attestation is not older than the
   * policy allows at the latest committed block's time, over this request and this output.
   */
  private async checkTee(result: InferenceResult, request: InferenceRequest): Promise<AppError | undefined> {
    const bad = (why: string) => ErrTeeResult.with(`TEE result ${result.keyHex} (model ${result.modelCid}): ${why}`)
    let sig: TeeSignature
    try {
      sig = decodeTeeSignature(result.artefact)
    } catch (err) {
      return bad(toAppError(err).message.replace(`${ErrTeeResult.description}: `, ''))
    }
    const key = Buffer.from(sig.nodeKey).toString('hex')
    const node = await this.nodes.committedNode(sig.nodeKey)
    if (!node) return bad(`signed by ${key}, which is not a registered inference node`)
    if (!node.modes.includes(VerificationMode.VERIFICATION_MODE_TEE)) return bad(`signed by ${key}, which is not registered for TEE`)
    const policy = await this.nodes.committedTeePolicy()
    if (!policy) return bad('this chain accepts no TEE nodes (no root certificate in genesis)')
    const attested = this.attestedAt(node)
    const latest = Number(this.nodes.committedTime()) * 1000
    if (latest - attested > policy.maxAgeMs) {
      return bad(
        `signed by ${key}, whose attestation of ${new Date(attested).toISOString()} is older than ${policy.maxAgeMs / 1000} s at the latest block: the node must re-attest`,
      )
    }
    const signed = { key: request.key, modelCid: request.modelCid, inputHash: request.inputHash, output: result.output }
    if (!teeSignatureValid(signed, sig))
      return bad(`the signature by ${key} does not verify: forged, or the output was changed after signing`)
    return undefined
  }

  /** When a node's attestation document was made (decoded once per document, not per result). */
  private attestedAt(node: InferenceNode): number {
    const key = Buffer.from(node.nodeKey).toString('hex')
    const known = this.attestations.get(key)
    if (known && Buffer.compare(known.document, node.teeAttestation) === 0) return known.timestampMs
    const timestampMs = decodeNitroAttestation(node.teeAttestation).attestation.timestampMs
    this.attestations.set(key, { document: node.teeAttestation, timestampMs })
    return timestampMs
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
