import * as ezkl from '@ezkljs/engine'

/**
 * The ZK task thread (a Piscina worker): proves and verifies with @ezkljs/engine (EZKL 21,
 * WASM), so neither ever runs on the main thread. Stateless: every task carries its files.
 */
export type ZkTask =
  | { kind: 'prove'; compiledCircuit: Uint8Array; provingKey: Uint8Array; srs: Uint8Array; inputData: number[][] }
  | { kind: 'verify'; proofJson: Uint8Array; verifyingKey: Uint8Array; settings: Uint8Array; srs: Uint8Array }

export type ZkTaskResult = { kind: 'proved'; proofJson: Uint8Array } | { kind: 'verified'; ok: boolean; reason?: string }

const clamped = (b: Uint8Array): Uint8ClampedArray => new Uint8ClampedArray(b.buffer, b.byteOffset, b.byteLength)
const message = (err: unknown): string => String((err as Error)?.message ?? err).replace(/^Error: /u, '')

export default function zkTask(task: ZkTask): ZkTaskResult {
  if (task.kind === 'prove') {
    const input = new TextEncoder().encode(JSON.stringify({ input_data: task.inputData }))
    const witness = ezkl.genWitness(clamped(task.compiledCircuit), clamped(input))
    const proof = ezkl.prove(clamped(witness), clamped(task.provingKey), clamped(task.compiledCircuit), clamped(task.srs))
    return { kind: 'proved', proofJson: proof }
  }
  try {
    const ok = ezkl.verify(clamped(task.proofJson), clamped(task.verifyingKey), clamped(task.settings), clamped(task.srs))
    return ok ? { kind: 'verified', ok } : { kind: 'verified', ok, reason: 'the verifier rejected it' }
  } catch (err) {
    return { kind: 'verified', ok: false, reason: message(err) }
  }
}
