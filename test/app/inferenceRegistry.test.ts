import assert from 'node:assert/strict'
import fs from 'node:fs'
import { test } from 'node:test'
import { Address, bytesToHex, hexToBytes, type PrefixedHexString } from '@ethereumjs/util'
import { CheckTxType } from 'cosmjs-types/tendermint/abci/types'
import secp256k1 from 'secp256k1'
import { defaultAppGenesis } from '../../app/genesis.ts'
import { modelCid } from '../../app/modelHub/cid.ts'
import { toBech32Address } from '../../app/modules/auth/address.ts'
import { createDevRootCa, imagePcrs, SimulatedEnclave } from '../../app/modules/inference/verification/simulatedEnclave.ts'
import {
  QueryInferenceNodeRequest,
  QueryInferenceNodeResponse,
  QueryModelRequest,
  QueryModelResponse,
  QueryModelsRequest,
  QueryModelsResponse,
} from '../../app/proto/pipe/inference/v1/query.ts'
import { VerificationMode } from '../../app/proto/pipe/inference/v1/types.ts'
import { abciQuery, devEthWallet, signTx } from '../support/cosmos.ts'
import { devKeys, GENESIS_TIME, openInProcessApp } from '../support/inProcessApp.ts'

const bech = (i: number) => toBech32Address(new Address(hexToBytes(devKeys[i]!.address as PrefixedHexString)))
const { VERIFICATION_MODE_VANILLA: VANILLA, VERIFICATION_MODE_ZKML: ZKML, VERIFICATION_MODE_TEE: TEE } = VerificationMode
const NODE_KEY = secp256k1.publicKeyCreate(new Uint8Array(32).fill(7), true)
const VK_HASH = new Uint8Array(32).fill(9)
/** The artefacts a ZKML registration must list, each named for its name's bytes. */
const zkArtefacts = async (names = ['compiled_circuit', 'proving_key', 'settings', 'srs', 'verifying_key']) =>
  Promise.all(names.map(async (name) => ({ name, cid: await modelCid(new TextEncoder().encode(name)) })))

function registerModel(
  owner: string,
  cid: string,
  o: { modes?: VerificationMode[]; vk?: Uint8Array; artefacts?: { name: string; cid: string }[] } = {},
) {
  return {
    typeUrl: '/pipe.inference.v1.MsgRegisterModel',
    value: {
      owner,
      modelCid: cid,
      modes: o.modes ?? [VANILLA],
      zkVerifyingKeyHash: o.vk ?? new Uint8Array(0),
      artefacts: o.artefacts ?? [],
    },
  }
}

// A dev root pinned in genesis, and an enclave under it: the chain's blocks are GENESIS_TIME + height seconds.
const validity = {
  notBefore: new Date(Number(GENESIS_TIME.seconds - 86_400n) * 1000),
  notAfter: new Date(Number(GENESIS_TIME.seconds + 86_400n) * 1000),
}
const devRoot = await createDevRootCa(validity)
const IMAGE = 'pipe-inference-node-test'
const enclave = await SimulatedEnclave.start(devRoot, { image: IMAGE, validity })
const teeGenesis = {
  ...defaultAppGenesis(),
  inference: {
    tee: {
      root_certificate: Buffer.from(devRoot.der).toString('base64'),
      allowed_pcrs: [{ '0': Buffer.from(imagePcrs(IMAGE).get(0)!).toString('hex') }],
      max_attestation_age_seconds: 3600,
    },
  },
}
/** An attestation of `key` made `ago` seconds before genesis time + 1 (the first block). */
const attest = (key: Uint8Array, ago = 0, by = enclave) =>
  by.attest({ publicKey: key, timestampMs: Number(GENESIS_TIME.seconds + 1n - BigInt(ago)) * 1000 })

function registerNode(
  operator: string,
  key: Uint8Array,
  modes: VerificationMode[] = [VANILLA],
  attestation: Uint8Array = new Uint8Array(0),
) {
  return { typeUrl: '/pipe.inference.v1.MsgRegisterInferenceNode', value: { operator, nodeKey: key, modes, teeAttestation: attestation } }
}

test('MsgRegisterModel and MsgRegisterInferenceNode: registered with canonical fields, queryable, in the app hash; every rule refused with its error', async () => {
  const a = await openInProcessApp({ appGenesis: teeGenesis })
  const b = await openInProcessApp({ appGenesis: teeGenesis })
  try {
    const model = fs.readFileSync('models/risk-scorer.onnx')
    const { metadata } = await a.app.inference.hub.put(model)
    await b.app.inference.hub.put(model)
    const cid = metadata.cid
    const artefact = await modelCid(new TextEncoder().encode('settings.json'))
    const artefacts = await zkArtefacts()
    const w0 = await devEthWallet(0)
    const tx = await signTx(
      w0,
      [
        registerModel(bech(0), cid, { modes: [ZKML, VANILLA], vk: VK_HASH, artefacts: [...artefacts].reverse() }),
        registerNode(bech(0), NODE_KEY, [TEE, VANILLA], await attest(NODE_KEY)),
      ],
      { accountNumber: 0n, sequence: 0 },
    )
    await a.block([])
    await b.block([])
    const ra = await a.block([tx])
    const rb = await b.block([tx])
    assert.deepEqual(ra.codes, [0], ra.logs.join('; '))
    assert.equal(bytesToHex(ra.appHash), bytesToHex(rb.appHash))

    const q = await abciQuery(a.abci, '/pipe.inference.v1.Query/Model', QueryModelRequest.encode({ cid }).finish(), QueryModelResponse)
    assert.ok(q.ok, q.ok ? '' : q.log)
    assert.equal(q.height, 2n)
    assert.deepEqual(q.value.model, {
      cid,
      owner: bech(0),
      modes: [VANILLA, ZKML],
      zkVerifyingKeyHash: VK_HASH,
      artefacts, // sorted by name
      registeredHeight: 2n,
    })
    const list = await abciQuery(
      a.abci,
      '/pipe.inference.v1.Query/Models',
      QueryModelsRequest.encode(QueryModelsRequest.fromPartial({})).finish(),
      QueryModelsResponse,
    )
    assert.ok(list.ok)
    assert.deepEqual(
      list.value.models.map((m) => m.cid),
      [cid],
    )
    const node = await abciQuery(
      a.abci,
      '/pipe.inference.v1.Query/InferenceNode',
      QueryInferenceNodeRequest.encode({ nodeKey: NODE_KEY }).finish(),
      QueryInferenceNodeResponse,
    )
    assert.ok(node.ok, node.ok ? '' : node.log)
    assert.deepEqual(node.value.node!.modes, [VANILLA, TEE])
    assert.equal(node.value.node!.operator, bech(0))
    assert.match(node.value.node!.nodeAddress, /^pipe1/)
    // at height 1 it was not registered yet
    const early = await abciQuery(
      a.abci,
      '/pipe.inference.v1.Query/Model',
      QueryModelRequest.encode({ cid }).finish(),
      QueryModelResponse,
      1n,
    )
    assert.ok(!early.ok)
    assert.match(early.log, /^rpc error: code = NotFound desc = model bafkrei\w+ is not registered/)
    assert.equal(early.height, 1n)

    const unknownCid = await modelCid(new TextEncoder().encode('not a model anyone uploaded'))
    const KEY_8 = secp256k1.publicKeyCreate(new Uint8Array(32).fill(8), true)
    const rogue = await SimulatedEnclave.start(await createDevRootCa(validity, 'CN=someone else'), { image: IMAGE, validity })
    const otherImage = await SimulatedEnclave.start(devRoot, { image: 'another-image', validity })
    const debugEnclave = await SimulatedEnclave.start(devRoot, { image: 'debug', validity })
    const cases: [string, ReturnType<typeof registerModel> | ReturnType<typeof registerNode>, number, RegExp][] = [
      ['CID not in the hub', registerModel(bech(0), unknownCid), 70, /model is not in the model hub: bafkrei\w+: upload it first/],
      ['duplicate model', registerModel(bech(0), cid), 71, /model is already registered/],
      [
        'no modes',
        registerModel(bech(0), cid, { modes: [] }),
        72,
        /invalid verification modes: list at least one of VANILLA \(0\), ZKML \(1\), TEE \(2\)/,
      ],
      ['unknown mode', registerModel(bech(0), cid, { modes: [7 as VerificationMode] }), 72, /unknown mode 7/],
      ['mode twice', registerModel(bech(0), cid, { modes: [VANILLA, VANILLA] }), 72, /VANILLA is listed twice/],
      [
        'ZKML without a key hash',
        registerModel(bech(0), cid, { modes: [ZKML] }),
        73,
        /ZKML needs the 32-byte sha256 of the EZKL verifying key, got 0 bytes/,
      ],
      ['key hash without ZKML', registerModel(bech(0), cid, { vk: VK_HASH }), 73, /only taken with ZKML/],
      ['malformed CID', registerModel(bech(0), 'Qm-not-a-cid'), 13, /invalid model CID: "Qm-not-a-cid" is not a CID/],
      [
        'bad artefact',
        registerModel(bech(0), cid, { artefacts: [{ name: 'Vk!', cid: artefact }] }),
        74,
        /name "Vk!" must be 1-64 of a-z, 0-9 and _/,
      ],
      [
        'ZKML without its EZKL artefacts',
        registerModel(bech(0), cid, { modes: [ZKML], vk: VK_HASH, artefacts: await zkArtefacts(['settings', 'proving_key']) }),
        74,
        /ZKML needs the artefacts compiled_circuit, settings, srs, verifying_key .*; missing: compiled_circuit, srs, verifying_key$/,
      ],
      [
        'short node key',
        registerNode(bech(0), NODE_KEY.subarray(0, 32)),
        76,
        /node_key must be a 33-byte compressed secp256k1 public key, got 32 bytes/,
      ],
      ['node key off the curve', registerNode(bech(0), Uint8Array.of(2, ...new Uint8Array(32).fill(0xff))), 76, /not a point on secp256k1/],
      ['TEE without attestation', registerNode(bech(0), KEY_8, [TEE]), 77, /TEE needs the enclave attestation document/],
      ['duplicate node', registerNode(bech(0), NODE_KEY), 75, /inference node is already registered/],
      [
        'attestation that is not a Nitro document',
        registerNode(bech(0), KEY_8, [TEE], new Uint8Array([1, 2, 3])),
        77,
        /not an AWS Nitro attestation document/,
      ],
      [
        'attestation for another key',
        registerNode(bech(0), KEY_8, [TEE], await attest(NODE_KEY)),
        95,
        /public_key [0-9a-f]+ is not the node key/,
      ],
      ['attestation under another root', registerNode(bech(0), KEY_8, [TEE], await attest(KEY_8, 0, rogue)), 91, /not the one pinned/],
      ['attestation older than the policy allows', registerNode(bech(0), KEY_8, [TEE], await attest(KEY_8, 7200)), 92, /at most 3600 s/],
      [
        'attestation of another enclave image',
        registerNode(bech(0), KEY_8, [TEE], await attest(KEY_8, 0, otherImage)),
        93,
        /matches no allowed enclave image/,
      ],
      ['debug-mode attestation', registerNode(bech(0), KEY_8, [TEE], await attest(KEY_8, 0, debugEnclave)), 94, /debug-mode enclave/],
    ]
    for (const [name, msg, code, log] of cases) {
      const res = await a.abci.checkTx({ tx: await signTx(w0, [msg], { accountNumber: 0n, sequence: 1 }), type: CheckTxType.NEW })
      assert.equal(`${res.codespace}/${res.code}`, `inference/${code}`, `${name}: ${res.log}`)
      assert.match(res.log!, log, name)
    }
  } finally {
    await a.close()
    await b.close()
  }
})

test('two registrations of one model in a block: the second is included and fails, paying its fee, and the first owner keeps it', async () => {
  const a = await openInProcessApp()
  try {
    const { metadata } = await a.app.inference.hub.put(fs.readFileSync('models/risk-scorer.onnx'))
    const [w0, w1] = [await devEthWallet(0), await devEthWallet(1)]
    const first = await signTx(w0, [registerModel(bech(0), metadata.cid)], { accountNumber: 0n, sequence: 0 })
    const second = await signTx(w1, [registerModel(bech(1), metadata.cid)], { accountNumber: 1n, sequence: 0 })
    const state = async () => (await a.app.evm.stateAtHeight(a.app.lastCommit.height))!
    const balance1 = (await (await state()).getAccount(new Address(hexToBytes(devKeys[1]!.address as PrefixedHexString))))!.balance
    const r = await a.block([first, second])
    assert.equal(r.codes[0], 0, r.logs[0])
    assert.equal(r.codes[1], 71)
    assert.match(r.logs[1]!, /^failed to execute message; message index: 0: model is already registered: bafkrei/)
    const after = (await (await state()).getAccount(new Address(hexToBytes(devKeys[1]!.address as PrefixedHexString))))!
    assert.equal(after.nonce, 1n, 'the failed tx used its sequence')
    assert.equal(after.balance, balance1 - 200_000n * 2_000_000_000n, 'and paid its fee')
    const q = await abciQuery(
      a.abci,
      '/pipe.inference.v1.Query/Model',
      QueryModelRequest.encode({ cid: metadata.cid }).finish(),
      QueryModelResponse,
    )
    assert.ok(q.ok)
    assert.equal(q.value.model!.owner, bech(0))
  } finally {
    await a.close()
  }
})

test('registrations and account numbers survive a restart, with the same app hash', async () => {
  const a = await openInProcessApp()
  let dir = a.dir
  let hash: string
  try {
    const { metadata } = await a.app.inference.hub.put(fs.readFileSync('models/risk-scorer.onnx'))
    const r = await a.block([
      await signTx(await devEthWallet(0), [registerModel(bech(0), metadata.cid)], { accountNumber: 0n, sequence: 0 }),
    ])
    assert.deepEqual(r.codes, [0], r.logs.join('; '))
    hash = bytesToHex(a.app.lastCommit.appHash)
    dir = a.dir
  } finally {
    await a.close()
  }
  const again = await openInProcessApp({ dir, genesis: false })
  try {
    assert.equal(bytesToHex(again.app.lastCommit.appHash), hash)
    const q = await abciQuery(
      again.abci,
      '/pipe.inference.v1.Query/Models',
      QueryModelsRequest.encode(QueryModelsRequest.fromPartial({})).finish(),
      QueryModelsResponse,
    )
    assert.ok(q.ok)
    assert.equal(q.value.models.length, 1)
    // a second registration by the same account continues from the committed sequence and roots
    const { metadata } = await again.app.inference.hub.put(fs.readFileSync('models/risk-adjuster.onnx'))
    const r = await again.block([
      await signTx(await devEthWallet(0), [registerModel(bech(0), metadata.cid)], { accountNumber: 0n, sequence: 1 }),
    ])
    assert.deepEqual(r.codes, [0], r.logs.join('; '))
    // listings come a page at a time, in CID order
    const page = (key: Uint8Array, limit: bigint) =>
      abciQuery(
        again.abci,
        '/pipe.inference.v1.Query/Models',
        QueryModelsRequest.encode({ pagination: { key, limit } }).finish(),
        QueryModelsResponse,
      )
    const first = await page(new Uint8Array(0), 1n)
    assert.ok(first.ok)
    assert.equal(first.value.models.length, 1)
    assert.ok(first.value.pagination!.nextKey.length > 0)
    const second = await page(first.value.pagination!.nextKey, 1n)
    assert.ok(second.ok)
    assert.equal(second.value.models.length, 1)
    assert.equal(second.value.pagination!.nextKey.length, 0, 'the last page')
    assert.ok(first.value.models[0]!.cid < second.value.models[0]!.cid)
    const tooMany = await page(new Uint8Array(0), 5000n)
    assert.ok(!tooMany.ok)
    assert.match(tooMany.log, /InvalidArgument desc = limit 5000 is above the maximum, 1000/)
  } finally {
    await again.close()
  }
})

test('TEE registrations: verified again in FinalizeBlock at the block time (a forged one included by a proposer fails, nothing registered); a chain without a TEE root registers none', async () => {
  const a = await openInProcessApp({ appGenesis: teeGenesis })
  const plain = await openInProcessApp()
  try {
    const w0 = await devEthWallet(0)
    const key = secp256k1.publicKeyCreate(new Uint8Array(32).fill(11), true)
    await a.block([])
    // A proposer includes, without CheckTx, a registration whose document binds another key.
    const forged = await signTx(w0, [registerNode(bech(0), key, [TEE], await attest(NODE_KEY))], { accountNumber: 0n, sequence: 0 })
    const r = await a.block([forged], { skipCheckTx: true })
    assert.equal(r.codes[0], 95, r.logs[0])
    assert.match(r.logs[0]!, /attestation public key is not the node key/)
    assert.equal(await a.app.inference.registry.committedNode(key), undefined, 'nothing registered')
    // The same node with its own document, made 10 minutes before: registered.
    const honest = await signTx(w0, [registerNode(bech(0), key, [TEE], await attest(key, 600))], { accountNumber: 0n, sequence: 1 })
    const ok = await a.block([honest])
    assert.deepEqual(ok.codes, [0], ok.logs.join('; '))
    assert.ok(await a.app.inference.registry.committedNode(key))

    await plain.block([])
    const refused = await plain.abci.checkTx({
      tx: await signTx(w0, [registerNode(bech(0), key, [TEE], await attest(key))], { accountNumber: 0n, sequence: 0 }),
      type: CheckTxType.NEW,
    })
    assert.equal(`${refused.codespace}/${refused.code}`, 'inference/77')
    assert.match(refused.log!, /this chain pins no TEE root certificate \(genesis app_state.inference.tee.root_certificate\)/)
  } finally {
    await a.close()
    await plain.close()
  }
})

test('genesis app_state.inference: a malformed TEE policy is refused, saying which field', async () => {
  const { parseInferenceGenesis, attestationPolicyOf } = await import('../../app/modules/inference/genesis.ts')
  assert.deepEqual(parseInferenceGenesis(undefined), {})
  const cases: [unknown, RegExp][] = [
    [{ tee: { root_certificate: '' } }, /root_certificate must be a PEM or base64 certificate/],
    [{ tee: { root_certificate: 'AAAA', allowed_pcrs: { 0: 'ab' } } }, /allowed_pcrs must be a list/],
    [{ tee: { root_certificate: 'AAAA', allowed_pcrs: [{ 40: 'ab' }] } }, /PCR index "40" is not 0-31/],
    [{ tee: { root_certificate: 'AAAA', allowed_pcrs: [{ 0: 'xyz' }] } }, /PCR 0 value is not hex/],
    [{ tee: { root_certificate: 'AAAA', allow_debug: 'yes' } }, /allow_debug must be true or false/],
    [{ tee: { root_certificate: 'AAAA', max_attestation_age_seconds: -5 } }, /must be a positive integer/],
  ]
  for (const [raw, why] of cases) assert.throws(() => parseInferenceGenesis(raw), why)
  // PEM and base64 DER name the same root.
  const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(devRoot.der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`
  const fromPem = attestationPolicyOf(parseInferenceGenesis({ tee: { root_certificate: pem } }).tee!)
  assert.deepEqual(fromPem.rootCertificate, devRoot.der)
  assert.equal(fromPem.maxAgeMs, 86_400_000, 'a day by default')
})
