import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { bytesToHex } from '@ethereumjs/util'
import { CheckTxType, ResponseProcessProposal_ProposalStatus as Status } from 'cosmjs-types/tendermint/abci/types'
import { type Abi, decodeEventLog, encodeDeployData, encodeFunctionData, getContractAddress, type Hex } from 'viem'
import { BYZANTINE_PROPOSERS } from '../../app/block/byzantineProposal.ts'
import { checkProposal } from '../../app/block/proposal.ts'
import { sha256 } from '../../app/crypto.ts'
import { CallSimulator, revertMessage } from '../../app/modules/evm/callSimulator.ts'
import { decodeResultsTx, encodeResultsTx } from '../../app/modules/inference/block/resultsTx.ts'
import { INFERENCE_PRECOMPILE_ADDRESS } from '../../app/modules/inference/precompile/abi.ts'
import { decodeModelOutput } from '../../app/modules/inference/precompile/abiDecoder.ts'
import { encodeModelOutput } from '../../app/modules/inference/precompile/abiEncoder.ts'
import type { InferenceResult } from '../../app/modules/inference/types/result.ts'
import { VerificationMode } from '../../app/modules/inference/types/verificationMode.ts'
import { decodeZkProof, encodeZkProof } from '../../app/modules/inference/verification/zkProof.ts'
import { compileFixture } from '../support/contracts.ts'
import { precompileCall, row } from '../support/inference.ts'
import { devKeys, type InProcessApp, openInProcessApp, signedTx } from '../support/inProcessApp.ts'
import { waitFor } from '../support/rpc.ts'
import { registerZkModel } from '../support/zk.ts'

/**
 * ZKML on the app driven in-process (real LevelDB, hub, EZKL setup, WASM prover and verifier):
 * a ZK request is proved in the mempool and answered from its proof; ProcessProposal rejects
 * every way a carried proof can be wrong; modes mix in one tx. Each test uses its own senders.
 */
const ZK = VerificationMode.VERIFICATION_MODE_ZKML
let a: InProcessApp
let scorer: string
let adjuster: string
let scorerScale: number

before(async () => {
  a = await openInProcessApp()
  await a.block([])
  ;({ cid: scorer } = await registerZkModel(a, 'models/risk-scorer.onnx', 0, 0))
  ;({ cid: adjuster } = await registerZkModel(a, 'models/risk-adjuster.onnx', 0, 1))
  scorerScale = (await a.app.inference.zk.circuits.forVerifying(scorer)).layout.outputScales[0]!
})
after(async () => {
  await a.close()
})

const features = (x: bigint) => [row('features', [x, 500n, -300n, 900n], 3n)]
const zkTx = (from: number, nonce: bigint, x: bigint, cid = scorer) =>
  signedTx(from, nonce, { to: INFERENCE_PRECOMPILE_ADDRESS, data: precompileCall(cid, features(x), ZK) })
const vanillaTx = (from: number, nonce: bigint, x: bigint) =>
  signedTx(from, nonce, { to: INFERENCE_PRECOMPILE_ADDRESS, data: precompileCall(scorer, features(x)) })

async function admittedStatus(raw: Uint8Array, want: 'ready' | 'failed') {
  assert.equal((await a.abci.checkTx({ tx: raw, type: CheckTxType.NEW })).code, 0)
  const hash = a.app.evm.txCache.decode(raw).hashHex
  const s = await waitFor(
    `the tx to be ${want}`,
    async () => {
      const st = a.app.inference.mempool.status(hash)
      return st?.state === 'ready' || st?.state === 'failed' ? st : undefined
    },
    120_000,
  )
  assert.equal(s.state, want, s.reason)
  return s
}

const number = (output: Uint8Array) => {
  const v = decodeModelOutput(output).numbers[0]!.values[0]!
  return { ...v, float: Number(v.value) / 10 ** Number(v.decimals) }
}

test('a ZK request is proved in the mempool and answered from its proof: the output is the quantised one, and the record carries the proof', async () => {
  const zk = zkTx(1, 0n, 100n)
  const vanilla = vanillaTx(2, 0n, 100n)
  await admittedStatus(zk, 'ready')
  await admittedStatus(vanilla, 'ready')
  const r = await a.block([zk, vanilla], { inMempool: true })
  assert.deepEqual(r.codes, [0, 0, 0], r.logs.join('; '))
  const [zkRecord] = await a.app.inference.keeper.recordsOfTx(a.app.evm.txCache.decode(zk).hash)
  const [vRecord] = await a.app.inference.keeper.recordsOfTx(a.app.evm.txCache.decode(vanilla).hash)
  assert.equal(zkRecord?.status, 'success')
  assert.equal(zkRecord.mode, ZK)
  assert.equal(vRecord?.verification, undefined)
  // The proof is kept by the node, content-addressed; the record holds its hash and the vk's.
  const v = zkRecord.verification!
  const proof = await a.app.inference.keeper.proof(v.proofHash)
  assert.ok(proof, 'proof bytes kept')
  assert.deepEqual(sha256(proof), v.proofHash)
  const registered = await a.app.inference.registry.committedModel(scorer)
  assert.deepEqual(v.verifyingKeyHash, registered!.zkVerifyingKeyHash)
  // ZK output: q / 2^scale exactly (value q·5^scale, `scale` decimals); VANILLA: float32 with 18 decimals.
  const z = number(zkRecord.output)
  const f = number(vRecord!.output)
  assert.equal(z.decimals, BigInt(scorerScale))
  assert.equal(z.value % 5n ** BigInt(scorerScale), 0n)
  assert.equal(f.decimals, 18n)
  assert.notEqual(z.float, f.float, 'quantisation changes the output')
  assert.ok(Math.abs(z.float - f.float) < 16 / 2 ** scorerScale, `ZK ${z.float} vs VANILLA ${f.float}`)
  // …and the output is the proof's public output.
  const instances = decodeZkProof(proof).instances
  assert.equal(instances.length, 5)
})

test('ProcessProposal rejects a tampered, truncated, stripped, misattached or mismatched proof, and accepts the honest one', async () => {
  const tx1 = zkTx(3, 0n, 200n)
  const tx2 = zkTx(4, 0n, 300n)
  await admittedStatus(tx1, 'ready')
  await admittedStatus(tx2, 'ready')
  const good = await a.propose([tx1, tx2])
  assert.equal(await a.process(good), Status.ACCEPT)
  const results = decodeResultsTx(good[0] as Uint8Array)
  const [r0, r1] = results as [InferenceResult, InferenceResult]
  const p0 = decodeZkProof(r0.artefact)
  const forge = (change: Partial<InferenceResult>) => [encodeResultsTx([{ ...r0, ...change }, r1]), ...good.slice(1)]
  const flipped = Uint8Array.from(p0.proof)
  flipped[64] = flipped[64]! ^ 1
  const outputPlusOne = decodeModelOutput(r0.output)
  outputPlusOne.numbers[0]!.values[0]!.value += 5n ** BigInt(scorerScale)
  const cases: [string, Partial<InferenceResult>, RegExp][] = [
    ['tampered proof', { artefact: encodeZkProof({ ...p0, proof: flipped }) }, /does not verify against the registered verifying key/],
    ['truncated proof', { artefact: r0.artefact.subarray(0, r0.artefact.length - 100) }, /truncated or not RLP/],
    ['stripped proof', { artefact: new Uint8Array(0) }, /carries no proof/],
    ['another request’s proof', { artefact: r1.artefact, output: r1.output }, /the proof is for different inputs/],
    ['an output that is not the proof’s', { output: encodeModelOutput(outputPlusOne) }, /the output is not the proof's public output/],
  ]
  for (const [what, change, reason] of cases) {
    const forged = forge(change)
    const problem = await checkProposal(a.app, forged)
    assert.match(String(problem?.message), reason, what)
    assert.equal(await a.process(forged), Status.REJECT, what)
  }
  // Public outputs forged to match a forged output: the proof no longer verifies.
  const instances = p0.instances.map((i) => Uint8Array.from(i))
  instances[4]![0] = instances[4]![0]! + 1
  const forgedOutput = decodeModelOutput(r0.output)
  forgedOutput.numbers[0]!.values[0]!.value += 5n ** BigInt(scorerScale)
  const both = forge({ artefact: encodeZkProof({ ...p0, instances }), output: encodeModelOutput(forgedOutput) })
  assert.match(String((await checkProposal(a.app, both))?.message), /does not verify/)
  // A ZK result claimed for a model whose registration has no ZKML: the verification layer refuses it.
  const unregistered = await a.app.inference.verification.check({ ...r0, modelCid: 'bafkreiaaaa' }, requestOf(tx1))
  assert.match(String(unregistered?.message), /not registered/)
  // The honest proposal still passes, and commits.
  assert.deepEqual((await a.block([tx1, tx2], { inMempool: true })).codes, [0, 0, 0])
})

/** The (first) inference request the mempool found for a tx. */
function requestOf(raw: Uint8Array) {
  const request = a.app.inference.mempool.status(a.app.evm.txCache.decode(raw).hashHex)?.requests[0]
  assert.ok(request)
  return request
}

test('modes mix in one tx: VANILLA and ZK calls of one model, and a ZK call chained on the VANILLA output, each answered in its own mode', async () => {
  const fixture = compileFixture('MixedModes.sol', 'MixedModes')
  const abi = fixture.abi as Abi
  assert.deepEqual((await a.block([signedTx(5, 0n, { data: encodeDeployData({ abi, bytecode: fixture.bytecode }) })])).codes, [0])
  const address = getContractAddress({ from: devKeys[5]!.address as Hex, nonce: 0n })
  const run = signedTx(5, 1n, {
    to: address,
    data: encodeFunctionData({ abi, functionName: 'run', args: [scorer, adjuster, [400n, 500n, -300n, 900n], 3n] }),
  })
  const status = await admittedStatus(run, 'ready')
  assert.equal(status.requests.length, 3)
  const r = await a.block([run], { inMempool: true })
  assert.deepEqual(r.codes, [0, 0], r.logs.join('; '))
  const records = await a.app.inference.keeper.recordsOfTx(a.app.evm.txCache.decode(run).hash)
  assert.deepEqual(
    records.map((x) => [x.mode, x.status, x.verification !== undefined]),
    [
      [0, 'success', false],
      [ZK, 'success', true],
      [ZK, 'success', true],
    ],
  )
  const receipt = (await a.app.evm.blocks.tx(a.app.evm.txCache.decode(run).hash))!.receipt
  const log = receipt.logs.find((l) => bytesToHex(l.address).toLowerCase() === address.toLowerCase())!
  const ev = decodeEventLog({ abi, data: bytesToHex(log.data) as Hex, topics: log.topics.map((t) => bytesToHex(t)) as [Hex] })
    .args as unknown as Record<string, bigint>
  assert.equal(ev.vanillaDecimals, 18n)
  assert.equal(ev.zkDecimals, BigInt(scorerScale))
  assert.notEqual(ev.adjustedDecimals, 18n, 'the adjuster answered in ZK')
})

test('ZK for a model not registered for ZK: eth_call reverts with the reason, and the mempool fails the tx with it', async () => {
  const { metadata } = await a.app.inference.hub.put(await import('node:fs').then((fs) => fs.readFileSync('models/types-echo.onnx')))
  const data = precompileCall(metadata.cid, [row('f32', [1n, 2n])], ZK)
  const out = await new CallSimulator(a.app.evm).call(
    { to: INFERENCE_PRECOMPILE_ADDRESS as never, data: new Uint8Array(Buffer.from(data.slice(2), 'hex')) },
    a.app.evm.head()!,
  )
  assert.equal(out.reverted, true)
  assert.match(revertMessage(out.returnValue), new RegExp(`model ${metadata.cid} is not registered for ZKML; register it with`))
  const tx = signedTx(6, 0n, { to: INFERENCE_PRECOMPILE_ADDRESS, data })
  const s = await admittedStatus(tx, 'failed')
  assert.match(s.reason!, /is not registered for ZKML/)
})

test('identical ZK requests from different txs share one proof; a byzantine proposer’s forged or stripped proofs are rejected', async () => {
  const before = a.app.inference.zk.prover.proved
  const same = [zkTx(7, 0n, 700n), zkTx(8, 0n, 700n)]
  for (const tx of same) await admittedStatus(tx, 'ready')
  assert.equal(a.app.inference.zk.prover.proved - before, 1, 'one proof for two txs')
  for (const how of BYZANTINE_PROPOSERS.filter((h) => h !== 'forge-vanilla-outputs')) {
    a.app.byzantineProposer = how
    const forged = await a.propose(same).finally(() => {
      a.app.byzantineProposer = undefined
    })
    assert.equal(decodeResultsTx(forged[0] as Uint8Array).length, 1)
    assert.match(
      String((await checkProposal(a.app, forged))?.message),
      how === 'forge-proofs' ? /does not verify/ : /carries no proof/,
      how,
    )
    assert.equal(await a.process(forged), Status.REJECT, how)
  }
  assert.deepEqual((await a.block(same, { inMempool: true })).codes, [0, 0, 0])
})

test('a ZK request that cannot be proved is dropped with the prover’s reason, and eth_call reverts with it', async () => {
  const huge = [row('features', [10n ** 30n, 0n, 0n, 0n])]
  const data = precompileCall(scorer, huge, ZK)
  const tx = signedTx(9, 0n, { to: INFERENCE_PRECOMPILE_ADDRESS, data })
  const s = await admittedStatus(tx, 'failed')
  assert.match(
    s.reason!,
    /proving failed: model \S+: invalid model input: input "features" value 0 \(1\.0+\d*e\+30\) is too large for the model's ZK circuit/,
  )
  const out = await new CallSimulator(a.app.evm).call(
    { to: INFERENCE_PRECOMPILE_ADDRESS as never, data: new Uint8Array(Buffer.from(data.slice(2), 'hex')) },
    a.app.evm.head()!,
  )
  assert.equal(out.reverted, true)
  assert.match(revertMessage(out.returnValue), /proving failed: .* is too large for the model's ZK circuit/)
})

test('a proof that would not verify (an input outside the calibrated range) fails its tx in the mempool, so no block ever carries it', async () => {
  // One of the inputs bench/zk found: EZKL proves it, but the proof does not verify.
  const outside = [row('features', [-480n, -500n, 251n, -430n], 3n)]
  const tx = signedTx(9, 1n, { to: INFERENCE_PRECOMPILE_ADDRESS, data: precompileCall(scorer, outside, ZK) })
  const s = await admittedStatus(tx, 'failed')
  assert.match(
    s.reason!,
    /proving failed: model \S+: the proof does not verify \(.*\); the input is likely outside the range the circuit was calibrated on/,
  )
  assert.equal(a.app.inference.isReady(a.app.evm.txCache.decode(tx)), false)
})
