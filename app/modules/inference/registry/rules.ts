import secp256k1 from 'secp256k1'
import type { Artefact } from '../../../proto/pipe/inference/v1/types.ts'
import {
  ErrInvalidArtefact,
  ErrInvalidAttestation,
  ErrInvalidModelCid,
  ErrInvalidModes,
  ErrInvalidNodeKey,
  ErrInvalidVerifyingKey,
} from '../errors.ts'
import { chainModelCid } from '../types/modelCid.ts'
import { modeName, VERIFICATION_MODES, VerificationMode } from '../types/verificationMode.ts'

/**
 * The stateless rules of registrations, shared by CheckTx, Simulate and block execution.
 * Each returns the canonical value stored (modes ascending, artefacts by name) or throws the
 * registry's error naming the field.
 */

const ARTEFACT_NAME = /^[a-z0-9_]{1,64}$/
/** Most artefacts one model may list. */
const MAX_ARTEFACTS = 16
/** Largest attestation document accepted (AWS Nitro documents are ~4.5 KB). */
export const MAX_ATTESTATION_BYTES = 16 * 1024

/** At least one mode, each known, none twice; returned ascending. */
export function canonicalModes(modes: VerificationMode[]): VerificationMode[] {
  if (modes.length === 0) throw ErrInvalidModes.with('list at least one of VANILLA (0), ZKML (1), TEE (2)')
  for (const m of modes)
    if (!VERIFICATION_MODES.includes(m)) throw ErrInvalidModes.with(`unknown mode ${m}; the modes are VANILLA (0), ZKML (1), TEE (2)`)
  const sorted = [...modes].sort((a, b) => a - b)
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i] === sorted[i - 1]) throw ErrInvalidModes.with(`${modeName(sorted[i]!)} is listed twice`)
  return sorted
}

/** The model CID in its canonical form (the form the hub and the precompile use). */
export function canonicalModelCid(text: string): string {
  const cid = chainModelCid(text)
  if (cid !== text) throw ErrInvalidModelCid.with(`model_cid "${text}" is not in canonical form; use ${cid}`)
  return cid
}

/** ZKML needs the 32-byte sha256 of its verifying key; the other modes take none. */
export function checkVerifyingKeyHash(modes: VerificationMode[], hash: Uint8Array): void {
  const zk = modes.includes(VerificationMode.VERIFICATION_MODE_ZKML)
  if (zk && hash.length !== 32) {
    throw ErrInvalidVerifyingKey.with(`ZKML needs the 32-byte sha256 of the EZKL verifying key, got ${hash.length} bytes`)
  }
  if (!zk && hash.length !== 0) throw ErrInvalidVerifyingKey.with('a verifying key hash is only taken with ZKML')
}

/** Names unique (lower-case, digits, `_`), CIDs valid; returned sorted by name. */
export function canonicalArtefacts(artefacts: Artefact[]): Artefact[] {
  if (artefacts.length > MAX_ARTEFACTS) throw ErrInvalidArtefact.with(`${artefacts.length} artefacts, at most ${MAX_ARTEFACTS}`)
  const sorted = [...artefacts].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  sorted.forEach((a, i) => {
    if (!ARTEFACT_NAME.test(a.name)) throw ErrInvalidArtefact.with(`name "${a.name}" must be 1-64 of a-z, 0-9 and _`)
    if (i > 0 && sorted[i - 1]!.name === a.name) throw ErrInvalidArtefact.with(`name "${a.name}" is listed twice`)
    try {
      if (chainModelCid(a.cid) !== a.cid) throw new Error('not canonical')
    } catch {
      throw ErrInvalidArtefact.with(
        `"${a.name}" has CID "${a.cid}"; artefact CIDs are canonical CIDv1 (raw, sha2-256, base32), like model CIDs`,
      )
    }
  })
  return sorted
}

/**
 * The artefacts every ZKML registration lists (by name; `npx pipe model register --zk` makes
 * and uploads them): what a validator needs to verify a proof (settings for the circuit's
 * layout and scales, the verifying key, the SRS) and a prover needs to make one (the compiled
 * circuit; its proving key, `proving_key`, is listed too but may be made again from these).
 */
export const ZKML_ARTEFACTS = ['compiled_circuit', 'settings', 'srs', 'verifying_key'] as const

/** ZKML needs ZKML_ARTEFACTS among the artefacts; the other modes need none of them. */
export function checkZkArtefacts(modes: VerificationMode[], artefacts: Artefact[]): void {
  if (!modes.includes(VerificationMode.VERIFICATION_MODE_ZKML)) return
  const names = new Set(artefacts.map((a) => a.name))
  const missing = ZKML_ARTEFACTS.filter((n) => !names.has(n))
  if (missing.length > 0) {
    throw ErrInvalidArtefact.with(
      `ZKML needs the artefacts ${ZKML_ARTEFACTS.join(', ')} (npx pipe model register <cid> --zk makes them); missing: ${missing.join(', ')}`,
    )
  }
}

/** A node key is a 33-byte compressed secp256k1 point. */
export function checkNodeKey(key: Uint8Array): void {
  if (key.length !== 33) throw ErrInvalidNodeKey.with(`node_key must be a 33-byte compressed secp256k1 public key, got ${key.length} bytes`)
  if (!secp256k1.publicKeyVerify(key)) throw ErrInvalidNodeKey.with('node_key is 33 bytes but not a point on secp256k1')
}

/** TEE needs the enclave's attestation document; the other modes take none. */
export function checkAttestation(modes: VerificationMode[], attestation: Uint8Array): void {
  const tee = modes.includes(VerificationMode.VERIFICATION_MODE_TEE)
  if (tee && attestation.length === 0) throw ErrInvalidAttestation.with('TEE needs the enclave attestation document that binds node_key')
  if (!tee && attestation.length !== 0) throw ErrInvalidAttestation.with('an attestation document is only taken with TEE')
  if (attestation.length > MAX_ATTESTATION_BYTES)
    throw ErrInvalidAttestation.with(`${attestation.length} bytes, at most ${MAX_ATTESTATION_BYTES}`)
}
