import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import * as ezkl from '@ezkljs/engine'
import { type Abi, encodeDeployData, encodeFunctionData, type Hex } from 'viem'
import { devAccounts } from '../../app/modules/evm/devAccounts.ts'
import { engineProofJson } from '../../app/modules/inference/verification/zkProof.ts'
import {
  QueryInferencesByTxRequest,
  QueryInferencesByTxResponse,
  QueryModelRequest,
  QueryModelResponse,
  QueryProofRequest,
  QueryProofResponse,
} from '../../app/proto/pipe/inference/v1/query.ts'
import { loadContract } from '../support/contracts.ts'
import { rawRpc, waitFor } from '../support/rpc.ts'
import { PORT_OFFSETS, proposersOf, sendTx, startTestChain, type TestChain } from '../support/testChain.ts'

/**
 * A byzantine proposer on 4 validators (real cometbft + pipe nodes): validator 2 proposes ZKML
 * results without their proofs, validator 3 with forged proofs (--test-byzantine-proposer). The
 * honest validators reject those proposals, every ZK tx is committed in a block an honest
 * validator proposed, every committed proof verifies, and all nodes keep one app hash.
 */
let chain: TestChain
const VALIDATORS = 4
const BYZANTINE: Record<number, string> = { 2: 'strip-proofs', 3: 'forge-proofs' }
const keys = devAccounts(10)
const ONE = 10n ** 18n
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-zk-byzantine-cli-'))
/** Inference ids of committed ZK records (the first test's), for the CLI test. */
const committed: Uint8Array[] = []

before(async () => {
  chain = await startTestChain({
    name: 'zk-byzantine',
    portOffset: PORT_OFFSETS.zkByzantine,
    validators: VALIDATORS,
    nodeArgsOf: (i) => (BYZANTINE[i] ? ['--test-byzantine-proposer', BYZANTINE[i]!] : []),
  })
})
after(async () => {
  await chain?.stop()
  fs.rmSync(home, { recursive: true, force: true })
})

const send = (node: number, sender: number, nonce: number, fields: Record<string, unknown>): Promise<Hex> =>
  sendTx(chain, node, keys[sender]!.privateKey, nonce, fields)

const receipt = (node: number, hash: Hex) =>
  waitFor(
    `receipt of ${hash} on node ${node}`,
    async () => (await rawRpc(chain.rpc(node), 'eth_getTransactionReceipt', [hash])).result as Record<string, string> | null,
    240_000,
  )

/** An ABCI query through node i's CometBFT RPC. */
async function query<T>(i: number, method: string, data: Uint8Array, type: { decode(b: Uint8Array): T }): Promise<T> {
  const url = `${chain.comet(i)}/abci_query?path=${encodeURIComponent(`"${method}"`)}&data=0x${Buffer.from(data).toString('hex')}`
  const body = (await (await fetch(url)).json()) as { result: { response: { code: number; log: string; value: string | null } } }
  const r = body.result.response
  assert.equal(r.code, 0, `${method} on node ${i}: ${r.log}`)
  return type.decode(Buffer.from(r.value ?? '', 'base64'))
}

function pipeCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['scripts/pipe.mjs', ...args], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr })
    })
  })
}

test('byzantine proposers that strip or forge ZKML proofs are rejected; nothing forged is committed and the chain goes on', async () => {
  const rest = chain.net.endpoints(0).rest
  const res = await fetch(`${rest}/v1/models`, { method: 'PUT', body: fs.readFileSync('models/risk-scorer.onnx') })
  const cid = ((await res.json()) as { cid: string }).cid
  const reg = await pipeCli(
    'model',
    'register',
    cid,
    '--zk',
    '--dev-account',
    '0',
    '--node',
    rest,
    '--comet',
    chain.comet(0),
    '--home',
    home,
  )
  assert.equal(reg.code, 0, reg.stderr)
  const scorer = loadContract('RiskScorer')
  const deploy = await send(0, 9, 0, { data: encodeDeployData({ abi: scorer.abi as Abi, bytecode: scorer.bytecode, args: [cid, 1] }) })
  const address = (await receipt(0, deploy)).contractAddress as Hex

  // Rounds of ZK txs sent to every node, the byzantine ones included (their mempools prove them
  // too), until each byzantine validator has had a turn with ZK txs to propose (proposers rotate).
  const honestLogs = () => [0, 1].map((i) => fs.readFileSync(chain.net.logFile(i, 'pipe'), 'utf8')).join('\n')
  const STRIPPED = /rejecting proposal for height \d+: .*carries no proof/
  const FORGED = /rejecting proposal for height \d+: .*does not verify against the registered verifying key/
  const receipts: Record<string, string>[] = []
  for (let round = 0; round < 10 && !(STRIPPED.test(honestLogs()) && FORGED.test(honestLogs())); round++) {
    const sent: Hex[] = []
    for (let s = 1; s <= 8; s++) {
      const features = [(BigInt(s) * ONE) / 10n, (BigInt(round) * ONE) / 7n, -ONE / 3n, ONE]
      const data = encodeFunctionData({ abi: scorer.abi as Abi, functionName: 'score', args: [keys[s]!.address, features, 18n] })
      sent.push(await send((s + round) % VALIDATORS, s, round, { to: address, data }))
    }
    receipts.push(...(await Promise.all(sent.map((h, i) => receipt(i % VALIDATORS, h)))))
  }
  for (const r of receipts) assert.equal(r.status, '0x1', `tx ${r.transactionHash} failed`)
  // The honest validators said why they rejected the byzantine proposals.
  assert.match(honestLogs(), STRIPPED)
  assert.match(honestLogs(), FORGED)

  // Every block holding a ZK tx was proposed by an honest validator.
  const proposers = await proposersOf(
    chain,
    VALIDATORS,
    receipts.map((r) => Number(r.blockNumber)),
  )
  for (const [i, p] of proposers.entries())
    assert.ok(p === 0 || p === 1, `block ${Number(receipts[i]!.blockNumber)} was proposed by validator ${p}`)

  // Every committed ZK result's proof verifies against the registered key, on every node.
  const model = (await query(0, '/pipe.inference.v1.Query/Model', QueryModelRequest.encode({ cid }).finish(), QueryModelResponse)).model!
  const file = async (name: string) => {
    const a = model.artefacts.find((x) => x.name === name)!
    return new Uint8ClampedArray(await (await fetch(`${rest}/v1/artefacts/${a.cid}`)).arrayBuffer())
  }
  const [vk, settings, srs] = [await file('verifying_key'), await file('settings'), await file('srs')]
  for (const r of receipts) {
    const txHash = Buffer.from(r.transactionHash!.slice(2), 'hex')
    const byNode = await Promise.all(
      Array.from({ length: VALIDATORS }, (_, i) =>
        query(
          i,
          '/pipe.inference.v1.Query/InferencesByTx',
          QueryInferencesByTxRequest.encode({ txHash }).finish(),
          QueryInferencesByTxResponse,
        ),
      ),
    )
    const [record] = byNode[0]!.inferences
    assert.ok(record && record.proofHash.length === 32, 'a ZK record with a proof hash')
    committed.push(record.inferenceId)
    for (const other of byNode) assert.deepEqual(other.inferences, byNode[0]!.inferences)
    const proof = await query(
      0,
      '/pipe.inference.v1.Query/Proof',
      QueryProofRequest.encode({ inferenceId: record.inferenceId }).finish(),
      QueryProofResponse,
    )
    assert.deepEqual(proof.verifyingKeyHash, model.zkVerifyingKeyHash)
    const json = engineProofJson({ proof: proof.proof, instances: proof.instances })
    assert.equal(ezkl.verify(new Uint8ClampedArray(json), vk, settings, srs), true, `proof of ${r.transactionHash}`)
  }

  // One app hash everywhere at a height all have committed.
  const height = Math.max(...receipts.map((r) => Number(r.blockNumber))) + 1
  const hashes = await Promise.all(
    Array.from({ length: VALIDATORS }, (_, i) =>
      waitFor(`block ${height} on node ${i}`, async () => {
        const b = (await (await fetch(`${chain.comet(i)}/block?height=${height}`)).json()) as {
          result?: { block: { header: { app_hash: string } } }
        }
        return b.result?.block.header.app_hash
      }),
    ),
  )
  assert.equal(new Set(hashes).size, 1, hashes.join(' '))
})

test('pipe inference get prints a record; pipe proof verify checks a committed proof here, not trusting the node', async () => {
  assert.ok(committed.length > 0, 'the first test committed ZK inferences')
  const id = `0x${Buffer.from(committed[0]!).toString('hex')}`
  const get = await pipeCli('inference', 'get', id, '--grpc', chain.net.endpoints(1).grpc, '--json')
  assert.equal(get.code, 0, get.stderr)
  const rec = JSON.parse(get.stdout) as Record<string, unknown>
  assert.equal(rec.inferenceId, id)
  assert.equal(rec.mode, 'ZKML')
  assert.equal(rec.status, 'success')
  assert.match(String(rec.proofHash), /^0x[0-9a-f]{64}$/)
  const verify = await pipeCli('proof', 'verify', id, '--grpc', chain.net.endpoints(2).grpc, '--node', chain.net.endpoints(3).rest)
  assert.equal(verify.code, 0, verify.stderr)
  assert.match(verify.stdout, new RegExp(`^verified: the proof of inference ${id} holds`))
  assert.match(verify.stdout, /matches the registry/)
  const unknown = await pipeCli('proof', 'verify', `0x${'00'.repeat(32)}`, '--grpc', chain.net.endpoints(0).grpc)
  assert.equal(unknown.code, 1)
  assert.match(unknown.stderr, /^pipe: \/pipe\.inference\.v1\.Query\/Inference: .*\[NOT_FOUND\]/)
  const malformed = await pipeCli('proof', 'verify', '0x1234')
  assert.equal(malformed.code, 1)
  assert.match(malformed.stderr, /is not an inference id/)
})
