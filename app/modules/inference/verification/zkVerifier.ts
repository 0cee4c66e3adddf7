import os from 'node:os'
import { LRUCache } from 'lru-cache'
import type { Piscina } from 'piscina'
import { sha256 } from '../../../crypto.ts'
import { startTaskPool } from '../../../workers/taskPool.ts'
import type { VerifyingCircuit } from './zkCircuits.ts'
import { engineProofJson, type ZkProof } from './zkProof.ts'
import type { ZkTask, ZkTaskResult } from './zkWorker.ts'

export interface ZkVerifierOptions {
  /** Verifying threads; default one per core (ProcessProposal verifies a block's proofs at once). */
  threads?: number
}

/**
 * Checks EZKL proofs against a circuit's verifying key, on worker threads (zkWorker.ts), many
 * at once. A verdict is kept by (proof, verifying key), so a proof is verified at most once per
 * node: a re-proposed block, or the proof this node made itself, is not verified again.
 */
export class ZkVerifier {
  private readonly pool: Piscina
  private readonly verdicts = new LRUCache<string, Promise<string | undefined>>({ max: 50_000 })
  /** Proofs verified on a thread so far (tests and benchmarks read it). */
  verified = 0

  constructor(opts: ZkVerifierOptions = {}) {
    this.pool = startTaskPool(new URL('./zkWorker.ts', import.meta.url), { threads: opts.threads ?? os.availableParallelism() })
  }

  /** Why `proof` (its artefact bytes) does not verify against `circuit`, or undefined when it does. */
  verify(circuit: VerifyingCircuit, artefact: Uint8Array, proof: ZkProof): Promise<string | undefined> {
    const key = verdictKey(circuit, artefact)
    const known = this.verdicts.get(key)
    if (known) return known
    const task: ZkTask = {
      kind: 'verify',
      proofJson: engineProofJson(proof),
      verifyingKey: circuit.verifyingKey,
      settings: circuit.settings,
      srs: circuit.srs,
    }
    const verdict = this.pool.run(task).then((r: ZkTaskResult) => {
      this.verified++
      if (r.kind !== 'verified') throw new Error(`zk worker answered ${r.kind} to verify`)
      return r.ok ? undefined : (r.reason ?? 'the verifier rejected it')
    })
    this.verdicts.set(key, verdict)
    // A thread that failed (not a verdict) is not remembered: the next ask tries again.
    verdict.catch(() => this.verdicts.delete(key))
    return verdict
  }

  async close(): Promise<void> {
    await this.pool.destroy()
  }
}

function verdictKey(circuit: VerifyingCircuit, artefact: Uint8Array): string {
  return `${Buffer.from(circuit.verifyingKeyHash).toString('hex')}:${Buffer.from(sha256(artefact)).toString('hex')}`
}
