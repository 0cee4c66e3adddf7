import type { Piscina } from 'piscina'
import { AppError, toAppError } from '../../../errors.ts'
import type { OnnxValueInfo } from '../../../modelHub/onnxModel.ts'
import { startTaskPool } from '../../../workers/taskPool.ts'
import { ErrProvingFailed } from '../errors.ts'
import type { ModelOutput } from '../precompile/abi.ts'
import type { InferenceRequest } from '../types/request.ts'
import { circuitInputs, outputFromInstances } from './zkCircuit.ts'
import type { ZkCircuits } from './zkCircuits.ts'
import { encodeZkProof, fromEngineProofJson } from './zkProof.ts'
import type { ZkVerifier } from './zkVerifier.ts'
import type { ZkTask, ZkTaskResult } from './zkWorker.ts'

export interface ZkProverOptions {
  /** Proving threads; default 1 (a proof keeps a core busy for seconds; the rest serve blocks). */
  threads?: number
}

/**
 * Proves ZKML requests on worker threads (zkWorker.ts): the request's inputs, quantised as the
 * circuit takes them, go through EZKL's witness generator and prover; the output is read back
 * from the proof's public outputs, so what a contract gets is what the proof proves, and the
 * proof is verified before it is used (a proof that would not verify fails the tx). Never on
 * the main thread, never on the block path: the inference mempool asks, and a tx is ready only
 * once its proofs exist. Deduplication is the ResultCache's (one proof per request key).
 */
export class ZkProver {
  private readonly pool: Piscina
  /** Proofs made so far (tests check that identical requests share one). */
  proved = 0

  constructor(
    private readonly circuits: ZkCircuits,
    /** Checks every proof made before it is used: a proof that does not verify is never proposed. */
    private readonly verifier: Pick<ZkVerifier, 'verify'>,
    opts: ZkProverOptions = {},
  ) {
    this.pool = startTaskPool(new URL('./zkWorker.ts', import.meta.url), { threads: opts.threads ?? 1 })
  }

  /** Proofs waiting for a thread. */
  get queued(): number {
    return this.pool.queueSize
  }

  /**
   * The output and the proof artefact for `request`, or ErrProvingFailed saying why not
   * (no usable circuit, input the circuit was not built for, the prover failed, time ran out).
   */
  async prove(
    request: InferenceRequest,
    model: { inputs: OnnxValueInfo[]; outputs: OnnxValueInfo[] },
    timeoutMs: number,
  ): Promise<{ output: ModelOutput; artefact: Uint8Array }> {
    try {
      const circuit = await this.circuits.forProving(request.modelCid)
      const { inputData, instances } = circuitInputs(request.input, model.inputs, circuit.layout)
      const task: ZkTask = {
        kind: 'prove',
        compiledCircuit: circuit.compiledCircuit,
        provingKey: circuit.provingKey,
        srs: circuit.srs,
        inputData,
      }
      let done: ZkTaskResult
      try {
        done = await this.pool.run(task, { signal: AbortSignal.timeout(timeoutMs) })
      } catch (err) {
        const e = err as Error
        const why = e.name === 'AbortError' || e.name === 'TimeoutError' ? `no proof within ${timeoutMs} ms` : e.message
        throw ErrProvingFailed.with(`model ${request.modelCid}: ${why}`)
      }
      if (done.kind !== 'proved') throw new Error(`zk worker answered ${done.kind} to prove`)
      this.proved++
      const proof = fromEngineProofJson(done.proofJson)
      const mismatch = instances.findIndex((felt, i) => Buffer.compare(felt, proof.instances[i] ?? new Uint8Array()) !== 0)
      if (mismatch !== -1) {
        throw ErrProvingFailed.with(`model ${request.modelCid}: the prover quantised input element ${mismatch} differently from the chain`)
      }
      const artefact = encodeZkProof(proof)
      // EZKL proves whatever the witness holds; a value outside the lookup ranges calibration
      // chose gives a proof that does not verify. Every validator would reject the block carrying
      // it, so the tx fails here instead (and the verdict is kept: ProcessProposal reuses it).
      const invalid = await this.verifier.verify(circuit, artefact, proof)
      if (invalid !== undefined) {
        throw ErrProvingFailed.with(
          `model ${request.modelCid}: the proof does not verify (${invalid}); the input is likely outside the range the circuit was calibrated on (register the model with --calibration data that covers it)`,
        )
      }
      return { output: outputFromInstances(proof.instances, model.outputs, circuit.layout), artefact }
    } catch (err) {
      if (err instanceof AppError && ErrProvingFailed.is(err)) throw err
      throw ErrProvingFailed.with(`model ${request.modelCid}: ${toAppError(err).message}`, err)
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy()
  }
}
