// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API loaded first.
import 'reflect-metadata'
import { createHash, type webcrypto } from 'node:crypto'
import { BasicConstraintsExtension, KeyUsageFlags, KeyUsagesExtension, X509Certificate, X509CertificateGenerator } from '@peculiar/x509'
import { attestationCbor, coseSigStructure } from './nitroAttestation.ts'

/**
 * A simulated Nitro enclave for localnets and tests: it holds a certificate chain rooted in a dev
 * root CA (made when the localnet is created) and signs real AWS Nitro–format attestation
 * documents (COSE_Sign1, ES384, the CBOR payload AWS specifies) that the production verifier,
 * nitroAttestation.ts, checks like AWS's. Nothing here is trusted by a chain whose params pin
 * AWS's root. Keys live in this process's memory: this is a simulation of an enclave, not one.
 */

const EC = { name: 'ECDSA', namedCurve: 'P-384' } as const
const SIGNING = { name: 'ECDSA', hash: 'SHA-384' } as const
const cbor = attestationCbor

/** A certificate authority: its certificate (DER) and key pair. */
export interface CertificateAuthority {
  der: Uint8Array
  subject: string
  keys: webcrypto.CryptoKeyPair
}

export interface Validity {
  notBefore: Date
  notAfter: Date
}

/** The enclave image localnet inference nodes run (its PCRs are the ones a localnet genesis allows). */
export const DEV_ENCLAVE_IMAGE = 'pipe-inference-node'

/** A CA's certificate and private key as files keep them (DER, PKCS#8). */
export async function exportCertificateAuthority(ca: CertificateAuthority): Promise<{ der: Uint8Array; pkcs8: Uint8Array }> {
  return { der: ca.der, pkcs8: new Uint8Array(await crypto.subtle.exportKey('pkcs8', ca.keys.privateKey)) }
}

/** The CA `exportCertificateAuthority` wrote. */
export async function importCertificateAuthority(der: Uint8Array, pkcs8: Uint8Array): Promise<CertificateAuthority> {
  const cert = new X509Certificate(der)
  const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, EC, true, ['sign'])
  const publicKey = await cert.publicKey.export(EC, ['verify'])
  return { der, subject: cert.subject, keys: { privateKey, publicKey } }
}

/** A self-signed P-384 root, the localnet's stand-in for AWS's Nitro root. */
export async function createDevRootCa(
  validity: Validity,
  subject = 'CN=PIPE localnet dev root, O=PIPE dev',
): Promise<CertificateAuthority> {
  const keys = await crypto.subtle.generateKey(EC, true, ['sign', 'verify'])
  const cert = await X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: subject,
    ...validity,
    keys,
    signingAlgorithm: SIGNING,
    extensions: [new BasicConstraintsExtension(true, undefined, true), new KeyUsagesExtension(KeyUsageFlags.keyCertSign, true)],
  })
  return { der: new Uint8Array(cert.rawData), subject, keys }
}

/** A certificate for `subject` signed by `issuer`: a CA (the intermediate) or the enclave's own. */
async function issue(
  issuer: CertificateAuthority,
  subject: string,
  validity: Validity,
  ca: boolean,
  serial: string,
): Promise<CertificateAuthority> {
  const keys = await crypto.subtle.generateKey(EC, true, ['sign', 'verify'])
  const cert = await X509CertificateGenerator.create({
    serialNumber: serial,
    subject,
    issuer: issuer.subject,
    ...validity,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: SIGNING,
    extensions: ca
      ? [new BasicConstraintsExtension(true, 0, true), new KeyUsagesExtension(KeyUsageFlags.keyCertSign, true)]
      : [new BasicConstraintsExtension(false, undefined, true), new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true)],
  })
  return { der: new Uint8Array(cert.rawData), subject, keys }
}

/** PCRs 0-2 of an enclave image named `image` (SHA-384 of the name and index), or all zero in debug mode. */
export function imagePcrs(image: string | 'debug'): Map<number, Uint8Array> {
  const pcrs = new Map<number, Uint8Array>()
  for (const i of [0, 1, 2]) {
    pcrs.set(i, image === 'debug' ? new Uint8Array(48) : new Uint8Array(createHash('sha384').update(`${image}/pcr${i}`).digest()))
  }
  return pcrs
}

export class SimulatedEnclave {
  private constructor(
    readonly moduleId: string,
    private readonly pcrs: ReadonlyMap<number, Uint8Array>,
    private readonly chain: CertificateAuthority[],
    private readonly enclave: CertificateAuthority,
  ) {}

  /** An enclave running `image`, with an intermediate CA and its own certificate issued under `root`. */
  static async start(
    root: CertificateAuthority,
    opts: { image: string | 'debug'; validity: Validity; moduleId?: string },
  ): Promise<SimulatedEnclave> {
    const intermediate = await issue(root, 'CN=PIPE dev enclave CA, O=PIPE dev', opts.validity, true, '02')
    const moduleId = opts.moduleId ?? `i-pipe-dev-enclave-${opts.image}`
    const own = await issue(intermediate, `CN=${moduleId}, O=PIPE dev`, opts.validity, false, '03')
    return new SimulatedEnclave(moduleId, imagePcrs(opts.image), [root, intermediate], own)
  }

  /** An attestation document binding `publicKey`, made at `timestampMs` (the enclave's clock). */
  async attest(opts: { publicKey: Uint8Array; timestampMs: number; userData?: Uint8Array; nonce?: Uint8Array }): Promise<Uint8Array> {
    const payload = cbor.encode(
      new Map<string, unknown>([
        ['module_id', this.moduleId],
        ['digest', 'SHA384'],
        ['timestamp', opts.timestampMs],
        ['pcrs', this.pcrs],
        ['certificate', this.enclave.der],
        ['cabundle', this.chain.map((c) => c.der)],
        ['public_key', opts.publicKey],
        ['user_data', opts.userData ?? null],
        ['nonce', opts.nonce ?? null],
      ]),
    )
    return this.sign(payload)
  }

  /** Signs `payload` as a COSE_Sign1 with the enclave's key (tests sign altered payloads with it). */
  async sign(payload: Uint8Array): Promise<Uint8Array> {
    const protectedHeader = cbor.encode(new Map([[1, -35]]))
    const signature = new Uint8Array(
      await crypto.subtle.sign(SIGNING, this.enclave.keys.privateKey, coseSigStructure(protectedHeader, payload)),
    )
    return cbor.encode([protectedHeader, new Map(), payload, signature])
  }
}
