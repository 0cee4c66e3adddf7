import { AppError } from '../../errors.ts'
import type { AttestationPolicy } from './verification/nitroAttestation.ts'

/**
 * The inference module's part of genesis (`app_state.inference`): the TEE attestation policy
 * inference nodes register under. Without `tee`, the chain accepts no TEE inference nodes.
 *
 * @example
 *   { "tee": { "root_certificate": "MIIC…", "allowed_pcrs": [{ "0": "ab…" }], "allow_debug": false,
 *              "max_attestation_age_seconds": 86400 } }
 */
export interface InferenceGenesis {
  tee?: TeeGenesis
}

export interface TeeGenesis {
  /** The root certificate chains must start from: PEM, or base64 DER (AWS's Nitro root; a localnet's dev root). */
  root_certificate: string
  /** Accepted enclave images, each PCR index → hex value; empty or absent: any PCRs. */
  allowed_pcrs?: Record<string, string>[]
  /** Accept debug-mode documents (all-zero PCRs): dev chains only. Default false. */
  allow_debug?: boolean
  /** How old an attestation may be at the block time. Default DEFAULT_MAX_ATTESTATION_AGE_SECONDS. */
  max_attestation_age_seconds?: number
}

/** One day: an inference node re-attests at least daily. */
export const DEFAULT_MAX_ATTESTATION_AGE_SECONDS = 86_400

const invalid = (why: string) => new AppError('genesis', 1, `invalid app_state.inference: ${why}`)

/** Parses `app_state.inference` (absent: no TEE policy). */
export function parseInferenceGenesis(raw: unknown): InferenceGenesis {
  if (raw === undefined || raw === null) return {}
  if (typeof raw !== 'object') throw invalid('not an object')
  const tee = (raw as { tee?: unknown }).tee
  if (tee === undefined || tee === null) return {}
  if (typeof tee !== 'object') throw invalid('tee is not an object')
  const t = tee as Record<string, unknown>
  if (typeof t.root_certificate !== 'string' || t.root_certificate.trim() === '')
    throw invalid('tee.root_certificate must be a PEM or base64 certificate')
  const pcrs = t.allowed_pcrs ?? []
  if (!Array.isArray(pcrs)) throw invalid('tee.allowed_pcrs must be a list')
  for (const entry of pcrs) {
    if (typeof entry !== 'object' || entry === null) throw invalid('each tee.allowed_pcrs entry maps PCR indexes to hex values')
    for (const [i, v] of Object.entries(entry)) {
      if (!/^\d+$/.test(i) || Number(i) > 31) throw invalid(`PCR index "${i}" is not 0-31`)
      if (typeof v !== 'string' || !/^(0x)?([0-9a-fA-F]{2})+$/.test(v)) throw invalid(`PCR ${i} value is not hex`)
    }
  }
  if (t.allow_debug !== undefined && typeof t.allow_debug !== 'boolean') throw invalid('tee.allow_debug must be true or false')
  const age = t.max_attestation_age_seconds ?? DEFAULT_MAX_ATTESTATION_AGE_SECONDS
  if (typeof age !== 'number' || !Number.isSafeInteger(age) || age <= 0)
    throw invalid('tee.max_attestation_age_seconds must be a positive integer')
  return {
    tee: {
      root_certificate: t.root_certificate,
      allowed_pcrs: pcrs as Record<string, string>[],
      allow_debug: t.allow_debug ?? false,
      max_attestation_age_seconds: age,
    },
  }
}

/** The policy the verifier applies, from its genesis form. */
export function attestationPolicyOf(tee: TeeGenesis): AttestationPolicy {
  const text = tee.root_certificate.trim()
  const base64 = text.startsWith('-----BEGIN') ? text.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '') : text
  const der = new Uint8Array(Buffer.from(base64, 'base64'))
  if (der.length === 0) throw invalid('tee.root_certificate decodes to nothing')
  return {
    rootCertificate: der,
    allowedPcrs: (tee.allowed_pcrs ?? []).map((e) =>
      Object.fromEntries(Object.entries(e).map(([i, v]) => [Number(i), v.toLowerCase().replace(/^0x/, '')])),
    ),
    allowDebug: tee.allow_debug ?? false,
    maxAgeMs: (tee.max_attestation_age_seconds ?? DEFAULT_MAX_ATTESTATION_AGE_SECONDS) * 1000,
  }
}
