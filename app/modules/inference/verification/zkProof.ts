import { RLP } from '@ethereumjs/rlp'
import { ErrZkProof } from '../errors.ts'
import { feltFromHex, feltHex } from './fieldElement.ts'

/**
 * A ZKML result's artefact: the EZKL (halo2, KZG, EVM transcript) proof bytes and its public
 * instances — the quantised inputs, then the outputs, each a 32-byte little-endian field
 * element. Carried in results txs and kept by every node, as RLP([version, proof, [instance…]]):
 * about 4 KB for the example model, where EZKL's proof.json is 20 KB.
 */
export interface ZkProof {
  proof: Uint8Array
  instances: Uint8Array[]
}

const VERSION = Uint8Array.of(1)
/** Largest proof accepted (halo2 proofs of circuits under the logrows limit are far smaller). */
export const MAX_PROOF_BYTES = 1 << 20

export function encodeZkProof(p: ZkProof): Uint8Array {
  return RLP.encode([VERSION, p.proof, p.instances])
}

/** Decodes a ZKML artefact; throws ErrZkProof saying what is malformed (truncated, wrong shape). */
export function decodeZkProof(bytes: Uint8Array): ZkProof {
  if (bytes.length === 0) throw ErrZkProof.with('the result carries no proof')
  if (bytes.length > MAX_PROOF_BYTES) throw ErrZkProof.with(`the proof has ${bytes.length} bytes, over the limit of ${MAX_PROOF_BYTES}`)
  let items: unknown
  try {
    items = RLP.decode(bytes)
  } catch (err) {
    throw ErrZkProof.with(`the proof is truncated or not RLP (${(err as Error).message})`)
  }
  if (!Array.isArray(items) || items.length !== 3) throw ErrZkProof.with('the proof is not [version, proof, instances]')
  const [version, proof, instances] = items as unknown[]
  if (!(version instanceof Uint8Array) || version.length !== 1 || version[0] !== 1) throw ErrZkProof.with('unknown proof version')
  if (!(proof instanceof Uint8Array) || proof.length === 0) throw ErrZkProof.with('the proof bytes are missing')
  if (!Array.isArray(instances) || instances.some((i) => !(i instanceof Uint8Array) || i.length !== 32)) {
    throw ErrZkProof.with('the public instances are not 32-byte field elements')
  }
  return { proof, instances: instances as Uint8Array[] }
}

/** The proof as @ezkljs/engine's verify() takes it (EZKL's proof.json fields it reads). */
export function engineProofJson(p: ZkProof): Uint8Array {
  const json = { instances: [p.instances.map(feltHex)], proof: Array.from(p.proof), transcript_type: 'EVM' }
  return new TextEncoder().encode(JSON.stringify(json))
}

/** The ZkProof in the proof.json @ezkljs/engine's prove() returns. */
export function fromEngineProofJson(json: Uint8Array): ZkProof {
  const parsed = JSON.parse(new TextDecoder().decode(json)) as { proof: number[]; instances: string[][] }
  if (parsed.instances.length !== 1) throw ErrZkProof.with(`the prover returned ${parsed.instances.length} instance columns, expected 1`)
  return { proof: Uint8Array.from(parsed.proof), instances: parsed.instances[0]!.map(feltFromHex) }
}
