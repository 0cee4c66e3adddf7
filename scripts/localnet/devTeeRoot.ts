import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TeeGenesis } from '../../app/modules/inference/genesis.ts'
import {
  createDevRootCa,
  DEV_ENCLAVE_IMAGE,
  exportCertificateAuthority,
  imagePcrs,
} from '../../app/modules/inference/verification/simulatedEnclave.ts'

/** Where a localnet keeps its dev TEE root CA (the certificate, and the key its simulated enclaves issue under). */
export const devTeeRootDir = (home: string) => join(home, 'tee')

/**
 * Makes a localnet's dev TEE root CA (valid from a day ago for ten years), writes it under
 * `tee/` in the localnet home (`dev-root.der`, and `dev-root.key`, PKCS#8, readable by the owner
 * only), and returns the genesis policy that pins it: the dev enclave image's PCR0 allowed,
 * debug-mode documents refused, attestations valid for a day.
 */
export async function createDevTeeRoot(home: string): Promise<TeeGenesis> {
  const now = Date.now()
  const root = await createDevRootCa({ notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 10 * 365 * 86_400_000) })
  const { der, pkcs8 } = await exportCertificateAuthority(root)
  const dir = devTeeRootDir(home)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'dev-root.der'), der)
  writeFileSync(join(dir, 'dev-root.key'), pkcs8)
  chmodSync(join(dir, 'dev-root.key'), 0o600)
  return {
    root_certificate: Buffer.from(der).toString('base64'),
    allowed_pcrs: [{ '0': Buffer.from(imagePcrs(DEV_ENCLAVE_IMAGE).get(0)!).toString('hex') }],
    allow_debug: false,
    max_attestation_age_seconds: 86_400,
  }
}
