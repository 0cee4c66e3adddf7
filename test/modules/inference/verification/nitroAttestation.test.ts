import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AppError } from '../../../../app/errors.ts'
import {
  ErrAttestationDebug,
  ErrAttestationExpired,
  ErrAttestationKeyMismatch,
  ErrAttestationPcrs,
  ErrAttestationRoot,
  ErrAttestationSignature,
  ErrInvalidAttestation,
} from '../../../../app/modules/inference/errors.ts'
import {
  type AttestationPolicy,
  attestationCbor,
  decodeNitroAttestation,
  verifyNitroAttestation,
} from '../../../../app/modules/inference/verification/nitroAttestation.ts'
import { createDevRootCa, imagePcrs, SimulatedEnclave } from '../../../../app/modules/inference/verification/simulatedEnclave.ts'

/**
 * The production verifier of AWS Nitro attestation documents against documents a simulated
 * enclave signs under a dev root: every way a document can be refused has its own error code,
 * and the verdict depends on the block time given, never the clock.
 */
const validity = { notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2027-01-01T00:00:00Z') }
const madeAt = Date.parse('2026-06-01T12:00:00Z')
const blockTime = new Date(madeAt + 60_000)
const nodeKey = Uint8Array.from({ length: 33 }, (_, i) => (i === 0 ? 2 : i))
const otherKey = Uint8Array.from({ length: 33 }, (_, i) => (i === 0 ? 3 : 33 - i))
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

const root = await createDevRootCa(validity)
const enclave = await SimulatedEnclave.start(root, { image: 'pipe-inference-node-v1', validity })
const pcr0 = hex(imagePcrs('pipe-inference-node-v1').get(0)!)
const policy: AttestationPolicy = { rootCertificate: root.der, allowedPcrs: [{ 0: pcr0 }], allowDebug: false, maxAgeMs: 3_600_000 }
const good = await enclave.attest({ publicKey: nodeKey, timestampMs: madeAt, nonce: new Uint8Array([1, 2, 3]) })

async function refused(doc: Uint8Array, p: AttestationPolicy, at: Date, key: Uint8Array, err: { is(e: unknown): boolean }, why: RegExp) {
  const e = (await verifyNitroAttestation(doc, p, at, key).then(
    () => assert.fail('accepted'),
    (x) => x,
  )) as AppError
  assert.ok(err.is(e), `expected ${why}, got ${e.codespace}/${e.code}: ${e.message}`)
  assert.match(e.message, why)
}

test('a document the enclave signed for the node key, under the pinned root, is accepted at block time, with what it says', async () => {
  const a = await verifyNitroAttestation(good, policy, blockTime, nodeKey)
  assert.equal(a.moduleId, enclave.moduleId)
  assert.equal(a.digest, 'SHA384')
  assert.equal(a.timestampMs, madeAt)
  assert.equal(hex(a.pcrs.get(0)!), pcr0)
  assert.deepEqual(a.publicKey, nodeKey)
  assert.deepEqual(a.nonce, new Uint8Array([1, 2, 3]))
  assert.equal(a.cabundle.length, 2, 'root and intermediate')
  // The same verdict whatever the clock says: only the block time counts.
  assert.ok(await verifyNitroAttestation(good, { ...policy, maxAgeMs: 3_600_000 }, new Date(madeAt + 3_599_000), nodeKey))
})

test('each refusal has its own code: signature, root, validity at block time, age, debug mode, PCRs, key', async () => {
  // A payload changed after signing (another public key): the signature no longer covers it.
  const { cose } = decodeNitroAttestation(good)
  const payload = attestationCbor.decode(cose.payload) as Map<string, unknown>
  payload.set('public_key', otherKey)
  const parts = attestationCbor.decode(good) as unknown[]
  parts[2] = attestationCbor.encode(payload)
  await refused(attestationCbor.encode(parts), policy, blockTime, otherKey, ErrAttestationSignature, /signature does not verify/)

  // Signed under another root (an attacker's own CA), or pinned to another root.
  const otherRoot = await createDevRootCa(validity, 'CN=not the pinned root')
  const rogue = await SimulatedEnclave.start(otherRoot, { image: 'pipe-inference-node-v1', validity })
  const rogueDoc = await rogue.attest({ publicKey: nodeKey, timestampMs: madeAt })
  await refused(rogueDoc, policy, blockTime, nodeKey, ErrAttestationRoot, /not the one pinned/)
  // The pinned root's DER at the head of a bundle whose next certificate it did not sign.
  const spliced = attestationCbor.decode(decodeNitroAttestation(rogueDoc).cose.payload) as Map<string, unknown>
  spliced.set('cabundle', [root.der, ...(spliced.get('cabundle') as Uint8Array[]).slice(1)])
  await refused(await rogue.sign(attestationCbor.encode(spliced)), policy, blockTime, nodeKey, ErrAttestationRoot, /is not signed by/)

  // Certificates not valid at the block time (after notAfter), and a document older than maxAgeMs.
  await refused(
    good,
    { ...policy, maxAgeMs: 10 ** 12 },
    new Date('2027-02-01T00:00:00Z'),
    nodeKey,
    ErrAttestationExpired,
    /is valid .* the block time is 2027-02-01/,
  )
  await refused(
    good,
    { ...policy, maxAgeMs: 30_000 },
    blockTime,
    nodeKey,
    ErrAttestationExpired,
    /60 s before the block time; at most 30 s/,
  )
  await refused(good, policy, new Date(madeAt - 1000), nodeKey, ErrAttestationExpired, /after the block time/)

  // Debug mode (all-zero PCRs): refused unless the chain allows it; then the PCR allowlist decides.
  const debug = await SimulatedEnclave.start(root, { image: 'debug', validity })
  const debugDoc = await debug.attest({ publicKey: nodeKey, timestampMs: madeAt })
  await refused(debugDoc, policy, blockTime, nodeKey, ErrAttestationDebug, /debug-mode enclave/)
  assert.ok(await verifyNitroAttestation(debugDoc, { ...policy, allowDebug: true, allowedPcrs: [] }, blockTime, nodeKey))

  // Another enclave image: its PCRs are not in the allowlist.
  const other = await SimulatedEnclave.start(root, { image: 'someone-elses-image', validity })
  await refused(
    await other.attest({ publicKey: nodeKey, timestampMs: madeAt }),
    policy,
    blockTime,
    nodeKey,
    ErrAttestationPcrs,
    /matches no allowed enclave image/,
  )

  // A genuine document for another key.
  await refused(good, policy, blockTime, otherKey, ErrAttestationKeyMismatch, /is not the node key/)
})

test('malformed documents are refused as invalid, saying what is wrong', async () => {
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array([0xff, 0x00, 0x13]), /does not decode/],
    [good.subarray(0, good.length - 40), /does not decode/],
    [attestationCbor.encode([1, 2, 3]), /COSE_Sign1 array of 4/],
    [new Uint8Array(0), /does not decode/],
    [
      attestationCbor.encode([
        attestationCbor.encode(new Map([[1, -7]])),
        new Map(),
        attestationCbor.encode(new Map()),
        new Uint8Array(96),
      ]),
      /does not name ES384/,
    ],
    [
      attestationCbor.encode([attestationCbor.encode(new Map([[1, -35]])), new Map(), attestationCbor.encode(7), new Uint8Array(96)]),
      /not a CBOR map/,
    ],
  ]
  const { cose } = decodeNitroAttestation(good)
  const payload = attestationCbor.decode(cose.payload) as Map<string, unknown>
  for (const [field, value, why] of [
    ['digest', 'SHA256', /digest is "SHA256"/],
    ['pcrs', new Map([[40, new Uint8Array(48)]]), /PCR index 40/],
    ['pcrs', new Map([[0, new Uint8Array(5)]]), /PCR 0 is 5 bytes/],
    ['cabundle', [], /cabundle is empty/],
    ['certificate', new Uint8Array([1, 2, 3]), /certificate is not an X.509 certificate/],
  ] as [string, unknown, RegExp][]) {
    const altered = new Map(payload)
    altered.set(field, value)
    cases.push([await enclave.sign(attestationCbor.encode(altered)), why])
  }
  for (const [doc, why] of cases) await refused(doc, policy, blockTime, nodeKey, ErrInvalidAttestation, why)
})
