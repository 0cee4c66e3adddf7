import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import { after, before, test } from 'node:test'
import { createPublicClient, createWalletClient, defineChain, type Hex, http, type PublicClient } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { initCrypto, sha256 } from '../../app/crypto.ts'
import { devAccounts } from '../../app/modules/evm/devAccounts.ts'
import { INFERENCE_PRECOMPILE_ADDRESS } from '../../app/modules/inference/precompile/abi.ts'
import { PARAMS } from '../../app/modules/inference/queryServer.ts'
import { VerificationMode } from '../../app/modules/inference/types/verificationMode.ts'
import { encodeZkProof } from '../../app/modules/inference/verification/zkProof.ts'
import { GRPCURL_BINARY } from '../../scripts/install-grpcurl.mjs'
import { precompileCall, row } from '../support/inference.ts'
import { rawRpc } from '../support/rpc.ts'
import { PORT_OFFSETS, startTestChain, type TestChain } from '../support/testChain.ts'
import { registerModelTx, zkArtefactsOf } from '../support/zk.ts'

/**
 * The node's gRPC server as grpcurl (the pinned .bin/grpcurl, installed by npm install) sees
 * it, knowing nothing of PIPE but what server reflection tells it: the services it lists, a
 * service and a message it describes, JSON calls it encodes from those descriptors (Params,
 * Model, a past-height Balance, BroadcastTx, GetTx with its messages resolved), and `Proof` of a
 * ZKML inference a real node proved, checked against the record — and of a VANILLA one, refused.
 * grpcurl prints JSON with the .proto field names (snake_case), as it does for any server.
 */
let chain: TestChain
let address: string
let pub: PublicClient
let zkCid: string
let verifyingKeyHash: Uint8Array
let registrationHash: string
const MODEL = 'models/risk-scorer.onnx'
const [alice] = devAccounts(1)
const ONE = 10n ** 18n
const FEATURES = [row('features', [(3n * ONE) / 2n, -ONE / 5n, 3n * ONE, 0n], 18n)]

/** Runs grpcurl; resolves to its exit code and output (it exits 64 + the gRPC code on a failed call). */
function grpcurl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(GRPCURL_BINARY, args, { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr })
    })
  })
}

/** A call with `-plaintext` and a JSON request; its JSON answer. */
async function call(method: string, request: unknown = {}, ...flags: string[]): Promise<Record<string, unknown>> {
  const r = await grpcurl('-plaintext', ...flags, '-d', JSON.stringify(request), address, method)
  assert.equal(r.code, 0, `${method}: ${r.stderr}`)
  return JSON.parse(r.stdout) as Record<string, unknown>
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64')

before(async () => {
  await initCrypto()
  chain = await startTestChain({ name: 'grpcurl', portOffset: PORT_OFFSETS.grpcurl })
  address = chain.net.endpoints(0).grpc
  const rest = chain.net.endpoints(0).rest
  const pipe = defineChain({
    id: 1337,
    name: 'pipe',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [chain.rpc()] } },
  })
  pub = createPublicClient({ chain: pipe, transport: http(), pollingInterval: 100 })
  // the model and its ZK artefacts in the node's hub, then a VANILLA + ZKML registration sent with grpcurl's BroadcastTx
  const put = async (p: string, body: Uint8Array) => {
    const res = await fetch(`${rest}${p}`, { method: 'PUT', body })
    assert.ok(res.status === 201 || res.status === 200, `${p}: ${res.status} ${await res.clone().text()}`)
    return ((await res.json()) as { cid: string }).cid
  }
  zkCid = await put('/v1/models', fs.readFileSync(MODEL))
  const zk = await zkArtefactsOf(MODEL)
  verifyingKeyHash = zk.verifyingKeyHash
  const artefacts = []
  for (const [name, bytes] of Object.entries(zk.files)) artefacts.push({ name, cid: await put('/v1/artefacts', bytes) })
  artefacts.sort((a, b) => (a.name < b.name ? -1 : 1))
  const tx = await registerModelTx(0, 0, {
    cid: zkCid,
    modes: [VerificationMode.VERIFICATION_MODE_VANILLA, VerificationMode.VERIFICATION_MODE_ZKML],
    verifyingKeyHash,
    artefacts,
  })
  const sent = (await call('cosmos.tx.v1beta1.Service/BroadcastTx', { tx_bytes: b64(tx), mode: 'BROADCAST_MODE_SYNC' })) as {
    tx_response: { code?: number; txhash: string; raw_log?: string }
  }
  assert.equal(sent.tx_response.code ?? 0, 0, sent.tx_response.raw_log)
  registrationHash = sent.tx_response.txhash
  for (;;) {
    const r = await grpcurl('-plaintext', '-d', JSON.stringify({ cid: zkCid }), address, 'pipe.inference.v1.Query/Model')
    if (r.code === 0) break
    assert.match(r.stderr, /Code: NotFound/)
    await new Promise((res) => setTimeout(res, 200))
  }
})
after(async () => {
  await chain?.stop()
})

/** Sends a direct precompile call in `mode` and waits for it; its inference id (hex). */
async function inference(mode: VerificationMode): Promise<{ tx: Hex; id: string; height: bigint }> {
  const account = privateKeyToAccount(alice!.privateKey)
  const wallet = createWalletClient({ chain: pub.chain!, transport: http(), account })
  const tx = await wallet.sendTransaction({
    to: INFERENCE_PRECOMPILE_ADDRESS,
    data: precompileCall(zkCid, FEATURES, mode),
    gas: 2_000_000n,
    chain: pub.chain!,
    account,
  })
  const receipt = await pub.waitForTransactionReceipt({ hash: tx, timeout: 600_000 })
  assert.equal(receipt.status, 'success')
  const [record] = (await rawRpc(chain.rpc(), 'pipe_getInferencesByTransaction', [tx])).result as { inferenceId: Hex }[]
  return { tx, id: record!.inferenceId, height: receipt.blockNumber }
}

test('list: reflection names every served service, health included', async () => {
  const r = await grpcurl('-plaintext', address, 'list')
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(r.stdout.trim().split('\n'), [
    'cosmos.auth.v1beta1.Query',
    'cosmos.bank.v1beta1.Query',
    'cosmos.tx.v1beta1.Service',
    'grpc.health.v1.Health',
    'pipe.inference.v1.Query',
  ])
  const methods = await grpcurl('-plaintext', address, 'list', 'cosmos.tx.v1beta1.Service')
  assert.deepEqual(methods.stdout.trim().split('\n'), [
    'cosmos.tx.v1beta1.Service.BroadcastTx',
    'cosmos.tx.v1beta1.Service.GetTx',
    'cosmos.tx.v1beta1.Service.Simulate',
  ])
})

test('describe: the inference Query service and the Proof answer, from the descriptors alone', async () => {
  const service = await grpcurl('-plaintext', address, 'describe', 'pipe.inference.v1.Query')
  assert.equal(service.code, 0, service.stderr)
  for (const rpc of ['Model', 'Models', 'InferenceNode', 'InferenceNodes', 'Params', 'Inference', 'InferencesByTx', 'Proof'])
    assert.match(
      service.stdout,
      new RegExp(
        `rpc ${rpc} \\( \\.pipe\\.inference\\.v1\\.Query${rpc}Request \\) returns \\( \\.pipe\\.inference\\.v1\\.Query${rpc}Response \\);`,
      ),
    )
  const message = await grpcurl('-plaintext', address, 'describe', 'pipe.inference.v1.QueryProofResponse')
  assert.equal(message.code, 0, message.stderr)
  for (const field of [
    'bytes proof = 1;',
    'bytes verifying_key_hash = 2;',
    'repeated bytes instances = 3;',
    '.pipe.inference.v1.VerificationMode mode = 4;',
  ])
    assert.ok(message.stdout.includes(field), `${field} in\n${message.stdout}`)
})

test('calls: Params, Model, health, and a Balance at a past height (x-cosmos-block-height both ways)', async () => {
  const params = (await call('pipe.inference.v1.Query/Params')).params as Record<string, string | number>
  assert.equal(params.base_gas, PARAMS.baseGas.toString(), 'uint64 as a JSON string')
  assert.equal(params.max_requests_per_tx, PARAMS.maxRequestsPerTx)
  const model = (await call('pipe.inference.v1.Query/Model', { cid: zkCid })).model as Record<string, unknown>
  assert.deepEqual(model.modes, ['VERIFICATION_MODE_VANILLA', 'VERIFICATION_MODE_ZKML'])
  assert.equal(model.zk_verifying_key_hash, b64(verifyingKeyHash))
  assert.deepEqual(await call('grpc.health.v1.Health/Check'), { status: 'SERVING' })
  const r = await grpcurl(
    '-plaintext',
    '-v',
    '-H',
    'x-cosmos-block-height: 1',
    '-d',
    JSON.stringify({ address: 'pipe17w0adeg64ky0daxwd2ugyuneellmjgnxep0ncd', denom: 'apipe' }),
    address,
    'cosmos.bank.v1beta1.Query/Balance',
  )
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /^x-cosmos-block-height: 1$/m, 'the answered height comes back as a response header')
  const balance = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'), r.stdout.lastIndexOf('}') + 1)) as { balance: { amount: string } }
  assert.equal(balance.balance.amount, (await pub.getBalance({ address: alice!.address, blockNumber: 1n })).toString())
})

test('GetTx: the registration BroadcastTx sent, its message resolved from the descriptors', async () => {
  const found = (await call('cosmos.tx.v1beta1.Service/GetTx', { hash: registrationHash })) as {
    tx: { body: { messages: { '@type': string; model_cid: string }[] } }
    tx_response: { txhash: string; code?: number }
  }
  assert.equal(found.tx_response.txhash, registrationHash)
  assert.equal(found.tx_response.code ?? 0, 0)
  assert.equal(found.tx.body.messages[0]!['@type'], '/pipe.inference.v1.MsgRegisterModel')
  assert.equal(found.tx.body.messages[0]!.model_cid, zkCid)
})

test('Proof: a ZKML inference the node proved answers its proof, public instances and verifying-key hash; a VANILLA one has none', async () => {
  const zk = await inference(VerificationMode.VERIFICATION_MODE_ZKML)
  const proof = (await call('pipe.inference.v1.Query/Proof', { inference_id: b64(Buffer.from(zk.id.slice(2), 'hex')) })) as {
    proof: string
    verifying_key_hash: string
    instances: string[]
    mode: string
    proof_hash: string
  }
  assert.equal(proof.mode, 'VERIFICATION_MODE_ZKML')
  assert.equal(proof.verifying_key_hash, b64(verifyingKeyHash), 'the key the registry holds')
  assert.ok(proof.instances.length > FEATURES[0]!.values.length, 'the quantised inputs, then the outputs')
  for (const i of proof.instances) assert.equal(Buffer.from(i, 'base64').length, 32, 'each a 32-byte field element')
  const artefact = encodeZkProof({
    proof: Buffer.from(proof.proof, 'base64'),
    instances: proof.instances.map((i) => Buffer.from(i, 'base64')),
  })
  assert.equal(proof.proof_hash, b64(sha256(artefact)), 'the proof bytes and instances are the artefact the record names')
  const record = (await call('pipe.inference.v1.Query/Inference', { inference_id: b64(Buffer.from(zk.id.slice(2), 'hex')) }))
    .inference as Record<string, unknown>
  assert.equal(record.proof_hash, proof.proof_hash)
  assert.equal(record.status, 'INFERENCE_STATUS_SUCCESS')

  const vanilla = await inference(VerificationMode.VERIFICATION_MODE_VANILLA)
  const r = await grpcurl(
    '-plaintext',
    '-d',
    JSON.stringify({ inference_id: b64(Buffer.from(vanilla.id.slice(2), 'hex')) }),
    address,
    'pipe.inference.v1.Query/Proof',
  )
  assert.equal(r.code, 64 + 5, 'grpcurl exits 64 + NOT_FOUND')
  assert.match(r.stderr, /Code: NotFound\n\s*Message: inference 0x[0-9a-f]{64} is VANILLA: its mode has no proof/)
})
