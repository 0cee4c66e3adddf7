import assert from 'node:assert/strict'
import { test } from 'node:test'
import secp256k1 from 'secp256k1'
import { initCrypto } from '../../../../app/crypto.ts'
import { modelCid } from '../../../../app/modelHub/cid.ts'
import { ErrTeeResult } from '../../../../app/modules/inference/errors.ts'
import { encodeModelOutput } from '../../../../app/modules/inference/precompile/abiEncoder.ts'
import { inferenceRequest } from '../../../../app/modules/inference/types/request.ts'
import { resultOf } from '../../../../app/modules/inference/types/result.ts'
import { VerificationMode } from '../../../../app/modules/inference/types/verificationMode.ts'
import type { AttestationPolicy } from '../../../../app/modules/inference/verification/nitroAttestation.ts'
import { ResultVerification, type TeeNodes } from '../../../../app/modules/inference/verification/resultVerification.ts'
import { createDevRootCa, SimulatedEnclave } from '../../../../app/modules/inference/verification/simulatedEnclave.ts'
import { encodeTeeSignature, signTeeResult } from '../../../../app/modules/inference/verification/teeSignature.ts'
import type { InferenceNode } from '../../../../app/proto/pipe/inference/v1/types.ts'
import { row } from '../../../support/inference.ts'

/**
 * ProcessProposal's check of a TEE result (ResultVerification): the signature of a registered
 * TEE node, attested recently enough at the latest committed block, over this request and this
 * exact output. Every way it can be wrong is refused with ErrTeeResult and a reason.
 */
await initCrypto()
const { VERIFICATION_MODE_TEE: TEE, VERIFICATION_MODE_VANILLA: VANILLA } = VerificationMode
const T = Date.parse('2026-06-01T12:00:00Z')
const validity = { notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2027-01-01T00:00:00Z') }
const root = await createDevRootCa(validity)
const enclave = await SimulatedEnclave.start(root, { image: 'debug', validity })
const policy: AttestationPolicy = { rootCertificate: root.der, allowedPcrs: [], allowDebug: true, maxAgeMs: 3_600_000 }

const priv = new Uint8Array(32).fill(5)
const nodeKey = secp256k1.publicKeyCreate(priv, true)
const vanillaOnly = new Uint8Array(32).fill(6)
const stranger = new Uint8Array(32).fill(7)
const node = (key: Uint8Array, modes: VerificationMode[]): InferenceNode => ({
  nodeKey: key,
  operator: 'pipe1operator',
  modes,
  teeAttestation: new Uint8Array(0),
  registeredHeight: 1n,
  nodeAddress: 'pipe1node',
})
const registered = new Map<string, InferenceNode>([
  [
    Buffer.from(nodeKey).toString('hex'),
    { ...node(nodeKey, [TEE]), teeAttestation: await enclave.attest({ publicKey: nodeKey, timestampMs: T }) },
  ],
  [
    Buffer.from(secp256k1.publicKeyCreate(vanillaOnly, true)).toString('hex'),
    node(secp256k1.publicKeyCreate(vanillaOnly, true), [VANILLA]),
  ],
])
let now = BigInt(T / 1000 + 60)
let chainPolicy: AttestationPolicy | undefined = policy
const nodes: TeeNodes = {
  committedNode: async (key) => registered.get(Buffer.from(key).toString('hex')),
  committedTeePolicy: async () => chainPolicy,
  committedTime: () => now,
}
const verification = new ResultVerification({} as never, {} as never, { metadata: async () => undefined }, nodes)

const cid = await modelCid(new TextEncoder().encode('a TEE model'))
const output = (v: bigint) =>
  encodeModelOutput({
    numbers: [{ name: 'y', values: [{ value: v, decimals: 0n }], shape: [1, 1] }],
    strings: [],
    jsons: [],
    is_simulation_result: false,
  })
const request = (x: bigint) => inferenceRequest(TEE, cid, { numbers: [row('x', [x])], strings: [] })
const signed = (x: bigint, y: bigint, key = priv) => {
  const r = resultOf(request(x), output(y), 1000n)
  return { ...r, artefact: signTeeResult(r, key) }
}

async function refused(result: ReturnType<typeof signed>, req: ReturnType<typeof request>, why: RegExp) {
  const e = await verification.check(result, req)
  assert.ok(ErrTeeResult.is(e), `expected ErrTeeResult, got ${e?.message}`)
  assert.match(e.message, why)
}

test('a registered, recently attested TEE node’s signature over the request and output is accepted', async () => {
  assert.equal(await verification.check(signed(1n, 2n), request(1n)), undefined)
})

test('forged, moved, altered, unregistered, stale or malformed TEE results are refused, each saying why', async () => {
  // The output changed after signing; a signature moved to another request.
  const honest = signed(1n, 2n)
  await refused({ ...honest, output: output(3n) }, request(1n), /does not verify: forged, or the output was changed after signing/)
  await refused({ ...signed(4n, 5n), artefact: honest.artefact }, request(4n), /does not verify/)
  // A signature that is not the node's own (a stranger's bytes under the node's key).
  const strangers = signed(1n, 2n, stranger)
  const { signature } = secp256k1.ecdsaSign(new Uint8Array(32).fill(1), stranger)
  await refused({ ...honest, artefact: encodeTeeSignature({ nodeKey, signature }) }, request(1n), /does not verify/)
  // Keys that may not sign TEE results.
  await refused(strangers, request(1n), /which is not a registered inference node/)
  await refused(signed(1n, 2n, vanillaOnly), request(1n), /which is not registered for TEE/)
  // The node's attestation is older than the policy allows at the latest block.
  now = BigInt(T / 1000 + 7200)
  await refused(honest, request(1n), /older than 3600 s at the latest block: the node must re-attest/)
  now = BigInt(T / 1000 + 60)
  // A chain with no TEE policy.
  chainPolicy = undefined
  await refused(honest, request(1n), /accepts no TEE nodes/)
  chainPolicy = policy
  // Malformed artefacts.
  for (const [artefact, why] of [
    [new Uint8Array(0), /carries no TEE signature/],
    [new Uint8Array([0xff, 0x01]), /truncated or not RLP/],
    [encodeTeeSignature({ nodeKey: nodeKey.subarray(1), signature }), /node key is not 33 bytes/],
    [encodeTeeSignature({ nodeKey, signature: signature.subarray(1) }), /signature is not 64 bytes/],
  ] as [Uint8Array, RegExp][]) {
    await refused({ ...honest, artefact }, request(1n), why)
  }
  // And the honest one still passes.
  assert.equal(await verification.check(honest, request(1n)), undefined)
})
