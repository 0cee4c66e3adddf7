// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API loaded first.
import 'reflect-metadata'
import { X509Certificate } from '@peculiar/x509'
import { Encoder, Tag } from 'cbor-x'
import {
  ErrAttestationDebug,
  ErrAttestationExpired,
  ErrAttestationKeyMismatch,
  ErrAttestationPcrs,
  ErrAttestationRoot,
  ErrAttestationSignature,
  ErrInvalidAttestation,
} from '../errors.ts'

/**
 * AWS Nitro Enclaves attestation documents: decoding and the production verifier.
 *
 * A document is a COSE_Sign1 (RFC 9052; CBOR `[protected, unprotected, payload, signature]`,
 * optionally tagged 18) signed with ES384 by the enclave's certificate; its payload is a CBOR map
 * (module_id, digest "SHA384", timestamp in ms, pcrs, certificate, cabundle root first,
 * public_key, user_data, nonce), as AWS documents it
 * (https://github.com/aws/aws-nitro-enclaves-nsm-api/blob/main/docs/attestation_process.md).
 *
 * Verification is a function of the document, the policy (genesis params) and the block time it
 * is judged at — never the wall clock — so every validator reaches the same verdict.
 */

/** What the chain accepts (genesis params of the inference module). */
export interface AttestationPolicy {
  /** DER of the root certificate every chain must start from (AWS's Nitro root; a localnet's dev root). */
  rootCertificate: Uint8Array
  /**
   * Accepted enclave images: each entry maps a PCR index to its hex value, and a document is
   * accepted when every PCR of some entry matches. Empty: any PCRs.
   */
  allowedPcrs: readonly Readonly<Record<number, string>>[]
  /** Debug-mode documents (PCR 0, 1 and 2 all zero) are refused unless this is set (dev chains). */
  allowDebug: boolean
  /** A document whose timestamp is older than this at the block time is refused (ms). */
  maxAgeMs: number
}

/** A decoded attestation document's payload. */
export interface NitroAttestation {
  moduleId: string
  digest: string
  /** When the enclave made it, ms since the Unix epoch (the enclave's clock). */
  timestampMs: number
  pcrs: ReadonlyMap<number, Uint8Array>
  /** DER of the enclave's certificate, which signs the document. */
  certificate: Uint8Array
  /** DER certificates from the root to the one that issued `certificate`. */
  cabundle: Uint8Array[]
  publicKey?: Uint8Array
  userData?: Uint8Array
  nonce?: Uint8Array
}

/** The COSE_Sign1 parts a signature is checked over. */
export interface CoseSign1 {
  protectedHeader: Uint8Array
  payload: Uint8Array
  signature: Uint8Array
}

/** COSE algorithm ES384 (ECDSA P-384, SHA-384). */
const ES384 = -35
const COSE_SIGN1_TAG = 18
/** PCRs that are all zero in a debug-mode enclave. */
const DEBUG_PCRS = [0, 1, 2]

/** CBOR as COSE and the Nitro payload use it: maps as Maps (integer keys), byte strings untagged. */
export const attestationCbor = new Encoder({ useRecords: false, mapsAsObjects: false, tagUint8Array: false, variableMapSize: true })

const malformed = (why: string) => ErrInvalidAttestation.with(`not an AWS Nitro attestation document: ${why}`)

function bytes(v: unknown, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw malformed(`${what} is not a byte string`)
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
}

function optionalBytes(v: unknown, what: string): Uint8Array | undefined {
  return v === undefined || v === null ? undefined : bytes(v, what)
}

/** Splits a COSE_Sign1 and decodes its payload; throws ErrInvalidAttestation saying what is wrong. */
export function decodeNitroAttestation(document: Uint8Array): { cose: CoseSign1; attestation: NitroAttestation } {
  let outer: unknown
  try {
    outer = attestationCbor.decode(document)
  } catch (err) {
    throw malformed(`its CBOR does not decode (${(err as Error).message})`)
  }
  if (outer instanceof Tag) {
    if (outer.tag !== COSE_SIGN1_TAG) throw malformed(`CBOR tag ${outer.tag} is not COSE_Sign1's (18)`)
    outer = outer.value
  }
  if (!Array.isArray(outer) || outer.length !== 4) throw malformed('not a COSE_Sign1 array of 4')
  const cose: CoseSign1 = {
    protectedHeader: bytes(outer[0], 'the protected header'),
    payload: bytes(outer[2], 'the payload'),
    signature: bytes(outer[3], 'the signature'),
  }
  let header: unknown
  let body: unknown
  try {
    header = attestationCbor.decode(cose.protectedHeader)
    body = attestationCbor.decode(cose.payload)
  } catch (err) {
    throw malformed(`a header or the payload does not decode (${(err as Error).message})`)
  }
  if (!(header instanceof Map) || header.get(1) !== ES384) throw malformed('the protected header does not name ES384 (alg -35)')
  if (!(body instanceof Map)) throw malformed('the payload is not a CBOR map')
  const moduleId = body.get('module_id')
  const digest = body.get('digest')
  const timestamp = body.get('timestamp')
  const pcrs = body.get('pcrs')
  const cabundle = body.get('cabundle')
  if (typeof moduleId !== 'string' || moduleId === '') throw malformed('module_id is missing')
  if (digest !== 'SHA384') throw malformed(`digest is ${JSON.stringify(digest)}, not "SHA384"`)
  const positive = (typeof timestamp === 'number' && Number.isSafeInteger(timestamp)) || typeof timestamp === 'bigint'
  if (!positive || timestamp <= 0) throw malformed('timestamp is not a positive integer')
  if (!(pcrs instanceof Map) || pcrs.size === 0 || pcrs.size > 32) throw malformed('pcrs is not a map of 1 to 32 PCRs')
  const pcrMap = new Map<number, Uint8Array>()
  for (const [index, value] of pcrs) {
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 31)
      throw malformed(`PCR index ${String(index)} is not 0-31`)
    const v = bytes(value, `PCR ${index}`)
    if (![32, 48, 64].includes(v.length)) throw malformed(`PCR ${index} is ${v.length} bytes, not 32, 48 or 64`)
    pcrMap.set(index, v)
  }
  if (!Array.isArray(cabundle) || cabundle.length === 0) throw malformed('cabundle is empty')
  return {
    cose,
    attestation: {
      moduleId,
      digest,
      timestampMs: Number(timestamp),
      pcrs: pcrMap,
      certificate: bytes(body.get('certificate'), 'certificate'),
      cabundle: cabundle.map((c, i) => bytes(c, `cabundle[${i}]`)),
      publicKey: optionalBytes(body.get('public_key'), 'public_key'),
      userData: optionalBytes(body.get('user_data'), 'user_data'),
      nonce: optionalBytes(body.get('nonce'), 'nonce'),
    },
  }
}

/** The bytes a COSE_Sign1 signature covers: `["Signature1", protected, external_aad = h'', payload]`. */
export function coseSigStructure(protectedHeader: Uint8Array, payload: Uint8Array): Uint8Array {
  return attestationCbor.encode(['Signature1', protectedHeader, new Uint8Array(0), payload])
}

function parseCertificate(der: Uint8Array, what: string): X509Certificate {
  try {
    return new X509Certificate(der)
  } catch (err) {
    throw malformed(`${what} is not an X.509 certificate (${(err as Error).message})`)
  }
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

/**
 * Verifies `document` as the chain does at block time `blockTime`, and that it binds `nodeKey`
 * (its public_key): the chain from the pinned root through the cabundle to the enclave's
 * certificate, every certificate valid at the block time, the COSE signature, the document's age,
 * debug mode, and the PCRs. Each failure has its own error code.
 * @returns the decoded document.
 */
export async function verifyNitroAttestation(
  document: Uint8Array,
  policy: AttestationPolicy,
  blockTime: Date,
  nodeKey: Uint8Array,
): Promise<NitroAttestation> {
  const { cose, attestation } = decodeNitroAttestation(document)
  const chain = [...attestation.cabundle, attestation.certificate].map((der, i, all) =>
    parseCertificate(der, i === all.length - 1 ? 'certificate' : `cabundle[${i}]`),
  )
  if (Buffer.compare(attestation.cabundle[0]!, policy.rootCertificate) !== 0) {
    throw ErrAttestationRoot.with(`its root certificate (${chain[0]!.subject}) is not the one pinned in the chain's params`)
  }
  for (let i = 1; i < chain.length; i++) {
    const ok = await chain[i]!.verify({ publicKey: chain[i - 1]!, signatureOnly: true }).catch(() => false)
    if (!ok) throw ErrAttestationRoot.with(`${chain[i]!.subject} is not signed by ${chain[i - 1]!.subject}`)
  }
  for (const cert of chain) {
    if (blockTime < cert.notBefore || blockTime > cert.notAfter) {
      throw ErrAttestationExpired.with(
        `${cert.subject} is valid ${cert.notBefore.toISOString()} – ${cert.notAfter.toISOString()}, the block time is ${blockTime.toISOString()}`,
      )
    }
  }
  const leaf = chain.at(-1)!
  let signed = false
  try {
    const key = await leaf.publicKey.export({ name: 'ECDSA', namedCurve: 'P-384' }, ['verify'])
    signed = await crypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-384' },
      key,
      cose.signature,
      coseSigStructure(cose.protectedHeader, cose.payload),
    )
  } catch {
    signed = false
  }
  if (!signed) throw ErrAttestationSignature.with(`the COSE_Sign1 signature does not verify with ${leaf.subject}'s ES384 key`)
  const age = blockTime.getTime() - attestation.timestampMs
  if (age > policy.maxAgeMs) {
    throw ErrAttestationExpired.with(
      `made ${new Date(attestation.timestampMs).toISOString()}, ${Math.round(age / 1000)} s before the block time; at most ${policy.maxAgeMs / 1000} s`,
    )
  }
  if (age < 0)
    throw ErrAttestationExpired.with(
      `made ${new Date(attestation.timestampMs).toISOString()}, after the block time ${blockTime.toISOString()}`,
    )
  const debug = DEBUG_PCRS.every((i) => attestation.pcrs.get(i)?.every((b) => b === 0) ?? false)
  if (debug && !policy.allowDebug)
    throw ErrAttestationDebug.with('PCRs 0, 1 and 2 are all zero: a debug-mode enclave, accepted on dev chains only')
  if (policy.allowedPcrs.length > 0) {
    const matches = policy.allowedPcrs.some((allowed) =>
      Object.entries(allowed).every(([i, v]) => {
        const pcr = attestation.pcrs.get(Number(i))
        return pcr !== undefined && hex(pcr) === v.toLowerCase().replace(/^0x/, '')
      }),
    )
    if (!matches) throw ErrAttestationPcrs.with(`PCR0 ${hex(attestation.pcrs.get(0) ?? new Uint8Array())} matches no allowed enclave image`)
  }
  if (!attestation.publicKey || Buffer.compare(attestation.publicKey, nodeKey) !== 0) {
    throw ErrAttestationKeyMismatch.with(
      `public_key ${attestation.publicKey ? hex(attestation.publicKey) : '(none)'} is not the node key ${hex(nodeKey)}`,
    )
  }
  return attestation
}
