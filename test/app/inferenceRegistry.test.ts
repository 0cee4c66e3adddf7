import assert from 'node:assert/strict'
import fs from 'node:fs'
import { test } from 'node:test'
import { Address, bytesToHex, hexToBytes, type PrefixedHexString } from '@ethereumjs/util'
import { CheckTxType } from 'cosmjs-types/tendermint/abci/types'
import secp256k1 from 'secp256k1'
import { modelCid } from '../../app/modelHub/cid.ts'
import { toBech32Address } from '../../app/modules/auth/address.ts'
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
import { devKeys, openInProcessApp } from '../support/inProcessApp.ts'

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

function registerNode(operator: string, key: Uint8Array, modes: VerificationMode[] = [VANILLA], attestation = new Uint8Array(0)) {
  return { typeUrl: '/pipe.inference.v1.MsgRegisterInferenceNode', value: { operator, nodeKey: key, modes, teeAttestation: attestation } }
}

test('MsgRegisterModel and MsgRegisterInferenceNode: registered with canonical fields, queryable, in the app hash; every rule refused with its error', async () => {
  const a = await openInProcessApp()
  const b = await openInProcessApp()
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
        registerNode(bech(0), NODE_KEY, [TEE, VANILLA], new Uint8Array([1, 2, 3])),
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
      [
        'TEE without attestation',
        registerNode(bech(0), secp256k1.publicKeyCreate(new Uint8Array(32).fill(8), true), [TEE]),
        77,
        /TEE needs the enclave attestation document/,
      ],
      ['duplicate node', registerNode(bech(0), NODE_KEY), 75, /inference node is already registered/],
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
