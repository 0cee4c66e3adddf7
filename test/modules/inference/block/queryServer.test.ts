/**
 * The inference records' queries (app/modules/inference/block/queryServer.ts) on a real
 * LevelDB keeper: Inference, InferencesByTx and Proof answer what a committed block recorded,
 * nothing recorded after the height asked, and each bad request its status.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { initCrypto, sha256 } from '../../../../app/crypto.ts'
import type { InferenceRecord } from '../../../../app/modules/inference/block/inferenceRecord.ts'
import { InferenceKeeper } from '../../../../app/modules/inference/block/keeper.ts'
import { recordQueries } from '../../../../app/modules/inference/block/queryServer.ts'
import { VerificationMode } from '../../../../app/modules/inference/types/verificationMode.ts'
import { decodeZkProof, encodeZkProof } from '../../../../app/modules/inference/verification/zkProof.ts'
import {
  QueryInferenceRequest,
  QueryInferenceResponse,
  QueryInferencesByTxRequest,
  QueryInferencesByTxResponse,
  QueryProofRequest,
  QueryProofResponse,
} from '../../../../app/proto/pipe/inference/v1/query.ts'
import { InferenceStatus } from '../../../../app/proto/pipe/inference/v1/types.ts'
import type { QueryContext, QueryMethod } from '../../../../app/queryContext.ts'
import { GrpcCode, QueryError } from '../../../../app/queryError.ts'
import { KvStore, WriteSet } from '../../../../app/store/kvStore.ts'

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill)
const TX = bytes(32, 0xaa)
const VANILLA_ID = bytes(32, 0x01)
const ZK_ID = bytes(32, 0x02)
const VK_HASH = bytes(32, 0x77)
const ZK_PROOF = { proof: Uint8Array.of(9, 8, 7, 6), instances: [bytes(32, 0x11), bytes(32, 0x22)] }
const ARTEFACT = encodeZkProof(ZK_PROOF)

let dir: string
let kv: KvStore
let keeper: InferenceKeeper
let methods: Map<string, QueryMethod>
/** A proof the records name but the store lost (as a node that never saw the block would). */
let lostProof: Uint8Array

const record = (over: Partial<InferenceRecord>): InferenceRecord => ({
  inferenceId: VANILLA_ID,
  txHash: TX,
  height: 1n,
  index: 0,
  modelCid: 'bafkreimodel',
  mode: VerificationMode.VERIFICATION_MODE_VANILLA,
  inputHash: bytes(32, 0x33),
  output: Uint8Array.of(1, 2, 3),
  status: 'success',
  ...over,
})

before(async () => {
  await initCrypto()
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-record-queries-'))
  kv = await KvStore.open(dir)
  keeper = await InferenceKeeper.open(kv)
  const zk = {
    key: bytes(32, 0x44),
    keyHex: '44'.repeat(32),
    mode: VerificationMode.VERIFICATION_MODE_ZKML,
    modelCid: 'bafkreimodel',
    inputHash: bytes(32, 0x33),
    output: Uint8Array.of(4),
    modelGas: 0n,
    artefact: ARTEFACT,
  }
  lostProof = bytes(32, 0x99)
  keeper.putBlock(
    [zk],
    [
      record({}),
      record({
        inferenceId: ZK_ID,
        index: 1,
        mode: VerificationMode.VERIFICATION_MODE_ZKML,
        status: 'reverted',
        verification: { proofHash: sha256(ARTEFACT), verifyingKeyHash: VK_HASH },
      }),
      record({
        inferenceId: bytes(32, 0x03),
        txHash: bytes(32, 0xbb),
        mode: VerificationMode.VERIFICATION_MODE_ZKML,
        verification: { proofHash: lostProof, verifyingKeyHash: VK_HASH },
      }),
    ],
  )
  const ws = new WriteSet()
  keeper.endBlock(ws)
  await kv.write(ws.entries())
  keeper.blockCommitted()
  methods = new Map(recordQueries(keeper, { get: (h) => keeper.proof(h), decode: decodeZkProof }).map((m) => [m.path, m]))
})
after(async () => {
  await kv.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

const ctx = (height = 1n): QueryContext => ({
  height,
  accounts: () => {
    throw new Error('record queries read no accounts')
  },
  blockTime: () => {
    throw new Error('record queries read no block time')
  },
})
const call = (method: string, request: Uint8Array, height?: bigint) =>
  methods.get(`/pipe.inference.v1.Query/${method}`)!.handle(request, ctx(height))

async function refused(p: Promise<unknown>, code: GrpcCode, description: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof QueryError, String(err))
    assert.equal(err.grpcCode, code)
    assert.match(err.description, description)
    return true
  })
}

test('Inference answers a record with its status and, for ZKML, its proof and verifying-key hashes', async () => {
  const vanilla = QueryInferenceResponse.decode(await call('Inference', QueryInferenceRequest.encode({ inferenceId: VANILLA_ID }).finish()))
  assert.deepEqual(vanilla.inference, {
    inferenceId: VANILLA_ID,
    txHash: TX,
    height: 1n,
    index: 0,
    modelCid: 'bafkreimodel',
    mode: VerificationMode.VERIFICATION_MODE_VANILLA,
    inputHash: bytes(32, 0x33),
    output: Uint8Array.of(1, 2, 3),
    status: InferenceStatus.INFERENCE_STATUS_SUCCESS,
    proofHash: new Uint8Array(0),
    verifyingKeyHash: new Uint8Array(0),
  })
  const zk = QueryInferenceResponse.decode(await call('Inference', QueryInferenceRequest.encode({ inferenceId: ZK_ID }).finish()))
  assert.equal(zk.inference!.status, InferenceStatus.INFERENCE_STATUS_REVERTED)
  assert.deepEqual(zk.inference!.proofHash, sha256(ARTEFACT))
  assert.deepEqual(zk.inference!.verifyingKeyHash, VK_HASH)
})

test('InferencesByTx answers a tx’s records in call order; a tx with none, or not yet at that height, has none', async () => {
  const all = QueryInferencesByTxResponse.decode(await call('InferencesByTx', QueryInferencesByTxRequest.encode({ txHash: TX }).finish()))
  assert.deepEqual(
    all.inferences.map((r) => [r.index, r.inferenceId]),
    [
      [0, VANILLA_ID],
      [1, ZK_ID],
    ],
  )
  const none = QueryInferencesByTxResponse.decode(
    await call('InferencesByTx', QueryInferencesByTxRequest.encode({ txHash: bytes(32, 0xcc) }).finish()),
  )
  assert.deepEqual(none.inferences, [])
  const before = QueryInferencesByTxResponse.decode(
    await call('InferencesByTx', QueryInferencesByTxRequest.encode({ txHash: TX }).finish(), 0n),
  )
  assert.deepEqual(before.inferences, [], 'recorded at height 1, so not there at height 0')
})

test('Proof answers the stored proof bytes, its public instances, the verifying-key hash and the mode', async () => {
  const p = QueryProofResponse.decode(await call('Proof', QueryProofRequest.encode({ inferenceId: ZK_ID }).finish()))
  assert.deepEqual(p, {
    proof: ZK_PROOF.proof,
    verifyingKeyHash: VK_HASH,
    instances: ZK_PROOF.instances,
    mode: VerificationMode.VERIFICATION_MODE_ZKML,
    proofHash: sha256(ARTEFACT),
  })
})

test('bad requests: a malformed id or hash is InvalidArgument; an unknown, later, proofless or unstored one is NotFound', async () => {
  const inference = (id: Uint8Array, height?: bigint) =>
    call('Inference', QueryInferenceRequest.encode({ inferenceId: id }).finish(), height)
  const proof = (id: Uint8Array) => call('Proof', QueryProofRequest.encode({ inferenceId: id }).finish())
  await refused(inference(bytes(31, 1)), GrpcCode.InvalidArgument, /^inference id must be 32 bytes, got 31$/)
  await refused(proof(new Uint8Array(0)), GrpcCode.InvalidArgument, /^inference id must be 32 bytes, got 0$/)
  await refused(
    call('InferencesByTx', QueryInferencesByTxRequest.encode({ txHash: bytes(20, 1) }).finish()),
    GrpcCode.InvalidArgument,
    /^tx hash must be 32 bytes, got 20$/,
  )
  await refused(inference(bytes(32, 0xee)), GrpcCode.NotFound, /^inference 0x(ee){32} not found$/)
  await refused(inference(VANILLA_ID, 0n), GrpcCode.NotFound, /not found/)
  await refused(proof(VANILLA_ID), GrpcCode.NotFound, /^inference 0x(01){32} is VANILLA: its mode has no proof$/)
  await refused(proof(bytes(32, 0x03)), GrpcCode.NotFound, /^proof 0x(99){32} of inference 0x(03){32} is not stored on this node$/)
  await refused(call('Proof', Uint8Array.of(0xff)), GrpcCode.InvalidArgument, /^request does not decode/)
})
