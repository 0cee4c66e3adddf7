import assert from 'node:assert/strict'
import fs from 'node:fs'
import { test } from 'node:test'
import { Address, bytesToHex, hexToBytes, type PrefixedHexString } from '@ethereumjs/util'
import { type Abi, encodeDeployData, encodeFunctionData, getContractAddress, type Hex } from 'viem'
import { sha256 } from '../../app/crypto.ts'
import { toBech32Address } from '../../app/modules/auth/address.ts'
import { encodeResultsTx } from '../../app/modules/inference/block/resultsTx.ts'
import { encodeModelOutput } from '../../app/modules/inference/precompile/abiEncoder.ts'
import { type InferenceRequest, inferenceRequest } from '../../app/modules/inference/types/request.ts'
import { type InferenceResult, resultOf } from '../../app/modules/inference/types/result.ts'
import { compileFixture, loadContract } from '../support/contracts.ts'
import { devEthWallet, fee, msgSend, signTx } from '../support/cosmos.ts'
import { row } from '../support/inference.ts'
import { devKeys, openInProcessApp, signedTx, transfer } from '../support/inProcessApp.ts'

/**
 * Block execution is pinned: fixed blocks of contract → model txs (RiskScorer, ChainedRiskScorer
 * through SolidML), reverts, a precompile call that cannot pay for its model, a missing result,
 * a tx the EVM refuses, transfers, a Cosmos MsgSend and a deployment, finalized with results
 * carried in the block (no model runs, so nothing depends on onnxruntime), must give exactly the
 * app hashes, Ethereum block hashes (receipts root, bloom, gas used) and FinalizeBlock responses
 * recorded before FinalizeBlock's execution was optimised (issue 11). A change to the EVM's
 * execution path that changes any of them is not a pure optimisation.
 */
const scorer = loadContract('RiskScorer')
const chained = loadContract('ChainedRiskScorer')
const counter = compileFixture('Counter.sol', 'Counter')
const from = (i: number) => devKeys[i]!.address as Hex
const account = (i: number): Hex => `0x${(0xacc000 + i).toString(16).padStart(40, '0')}`
const features = (i: number): bigint[] => [BigInt(i), BigInt(-i * 7), BigInt((i * 37) % 1000), 250n]
const MODEL_GAS = 31_000n

function output(value: bigint, decimals: bigint, name: string): Uint8Array {
  return encodeModelOutput({
    numbers: [{ name, values: [{ value, decimals }], shape: [1, 1] }],
    strings: [],
    jsons: [],
    is_simulation_result: false,
  })
}

/** Digest of what FinalizeBlock answered (bigints and bytes as text). */
function digest(x: unknown): string {
  const json = JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? bytesToHex(v) : v))
  return bytesToHex(sha256(new TextEncoder().encode(json)))
}

const EXPECTED = [
  {
    appHash: '0xafb4e52e2b9f507a82faa69770bbb88c3fea97c6363b9bd08007bc640a85cfd8',
    blockHash: '0x92cfd315bc8e842bd7eab903fe632eaa39775abadbf5ebf7894165f2ca26f2a6',
    response: '0xf7c126d67eac01c45d8100b2de9e9c7cc8d88c06b320eeca4cc32c79573f42a5',
  },
  {
    appHash: '0x99957f472c5d8853c75bbf6ff24667ee1df2d62014a06e4d611c5b0c657f6950',
    blockHash: '0x494df7731a738c286c323f4b0f30f1d2c3ffd57421ea74f9c60cb01e100caa05',
    response: '0xd7d9cf8ad7988386645b77f37e470400b35f2438b8da9d8527465bfd15365e00',
  },
  {
    appHash: '0x4a6ee4718e538bffbd622bc00761a9d68ae20f22475bb37d93c828e05fc39a1a',
    blockHash: '0x8f14b12a6339ca3872227a96d9891e0a9e126bffd32253c20af33196a4b4d33f',
    response: '0xdd26828aedf90eb6beda74eef10a1e8b7f6a3d7b35bbae75a930992afea2ea19',
  },
]

test('FinalizeBlock of fixed contract → model blocks gives the pinned app hashes, block hashes and responses', async () => {
  const a = await openInProcessApp()
  try {
    const scorerCid = (await a.app.inference.hub.put(fs.readFileSync('models/risk-scorer.onnx'))).metadata.cid
    const adjusterCid = (await a.app.inference.hub.put(fs.readFileSync('models/risk-adjuster.onnx'))).metadata.cid
    const got: { appHash: string; blockHash: string; response: string }[] = []
    const finalize = async (txs: Uint8Array[]) => {
      const r = await a.block(txs, { skipCheckTx: true })
      got.push({ appHash: bytesToHex(r.appHash), blockHash: bytesToHex(a.app.evm.head()!.hash), response: digest(r.results) })
      return r
    }
    const nonces = new Map<number, bigint>()
    const tx = (s: number, fields: Parameters<typeof signedTx>[2]) => {
      const n = nonces.get(s) ?? 0n
      nonces.set(s, n + 1n)
      return signedTx(s, n, fields)
    }

    // Block 1: the contracts.
    const scorerAt = getContractAddress({ from: from(0), nonce: 0n })
    const chainedAt = getContractAddress({ from: from(0), nonce: 1n })
    const counterAt = getContractAddress({ from: from(0), nonce: 2n })
    const deployed = await finalize([
      tx(0, {
        data: encodeDeployData({ abi: scorer.abi as Abi, bytecode: scorer.bytecode as Hex, args: [scorerCid, 0] }),
        gasLimit: 3_000_000n,
      }),
      tx(0, {
        data: encodeDeployData({ abi: chained.abi as Abi, bytecode: chained.bytecode as Hex, args: [scorerCid, adjusterCid] }),
        gasLimit: 5_000_000n,
      }),
      tx(0, { data: encodeDeployData({ abi: counter.abi as Abi, bytecode: counter.bytecode as Hex }), gasLimit: 1_000_000n }),
    ])
    assert.deepEqual(deployed.codes, [0, 0, 0], deployed.logs.join('; '))

    const score = (s: number, i: number, gasLimit = 600_000n) =>
      tx(s, {
        to: scorerAt,
        data: encodeFunctionData({ abi: scorer.abi as Abi, functionName: 'score', args: [account(i), features(i), 3n] }),
        gasLimit,
      })
    const scoreRequest = (i: number): InferenceRequest =>
      inferenceRequest(0, scorerCid, { numbers: [row('features', features(i), 3n)], strings: [] })
    const scored = (i: number): InferenceResult => resultOf(scoreRequest(i), output(BigInt(1000 + i * 13), 4n, 'score'), MODEL_GAS)
    const counterCall = (s: number, functionName: string, args: unknown[] = []) =>
      tx(s, { to: counterAt, data: encodeFunctionData({ abi: counter.abi as Abi, functionName, args }), gasLimit: 200_000n })

    // Block 2: scorer txs from 4 senders (each a result), a chained call (two results), a call
    // whose result is missing, one that cannot pay for its model, reverts, transfers, a MsgSend,
    // a tx with a nonce from the future (refused) and a deployment.
    const chainedScore = BigInt(1000 + 50 * 13)
    const adjusted = resultOf(
      inferenceRequest(0, adjusterCid, {
        numbers: [{ name: 'score', values: [{ value: chainedScore, decimals: 4n }], shape: [1, 1] }],
        strings: [],
      }),
      output(777n, 3n, 'adjusted'),
      MODEL_GAS,
    )
    const results = [...Array.from({ length: 8 }, (_, i) => scored(i)), scored(50), adjusted, scored(60)]
    const wallet = await devEthWallet(9)
    const bech9 = toBech32Address(new Address(hexToBytes(from(9) as PrefixedHexString)))
    const bech8 = toBech32Address(new Address(hexToBytes(from(8) as PrefixedHexString)))
    const block2 = [
      encodeResultsTx(results),
      ...Array.from({ length: 8 }, (_, i) => score(1 + (i % 4), i)),
      tx(5, {
        to: chainedAt,
        data: encodeFunctionData({ abi: chained.abi as Abi, functionName: 'score', args: [account(50), features(50), 3n] }),
        gasLimit: 1_000_000n,
      }),
      score(6, 99), // no result in the block: the precompile reverts, so does the tx
      score(6, 60, 120_000n), // cannot pay for the model
      counterCall(7, 'increment', [5n]),
      counterCall(7, 'failRequire'),
      counterCall(7, 'failCustom'),
      counterCall(7, 'failAssert'),
      transfer(8, 0n),
      transfer(8, 1n, { to: account(1), value: 12345n }),
      await signTx(wallet, [msgSend(bech9, bech8, 4242n)], { accountNumber: 9n, sequence: 0, fee: fee(200_000n) }),
      signedTx(4, 77n, { to: scorerAt, data: '0x', gasLimit: 100_000n }),
      tx(0, { data: encodeDeployData({ abi: counter.abi as Abi, bytecode: counter.bytecode as Hex }), gasLimit: 1_000_000n }),
    ]
    nonces.set(9, 1n)
    const r2 = await finalize(block2)
    const failed = (i: number) => r2.results[i]?.events?.some((e) => e.attributes?.some((x) => x.key === 'ethereumTxFailed')) ?? false
    // index 0 is the results tx
    for (const i of [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 17, 20]) assert.equal(failed(i), false, `tx ${i} succeeds: ${r2.logs[i]}`)
    for (const i of [10, 11, 13, 14, 15]) assert.equal(failed(i), true, `tx ${i} fails`)
    assert.equal(r2.codes[18], 0, `the MsgSend: ${r2.logs[18]}`)
    assert.notEqual(r2.codes[19], 0, 'the tx with a future nonce is refused')

    // Block 3: the same accounts scored again (slots overwritten), more counter calls.
    const results3 = Array.from({ length: 4 }, (_, i) => resultOf(scoreRequest(i + 100), output(BigInt(-i), 2n, 'score'), MODEL_GAS))
    const block3 = [
      encodeResultsTx(results3),
      ...Array.from({ length: 4 }, (_, i) =>
        tx(1 + i, {
          to: scorerAt,
          data: encodeFunctionData({ abi: scorer.abi as Abi, functionName: 'score', args: [account(i), features(i + 100), 3n] }),
          gasLimit: 600_000n,
        }),
      ),
      counterCall(7, 'increment', [7n]),
      counterCall(2, 'increment', [2n ** 200n]),
    ]
    const r3 = await finalize(block3)
    assert.deepEqual(r3.codes, [0, 0, 0, 0, 0, 0, 0])

    if (process.env.PRINT_GOLDEN) console.log(JSON.stringify(got, null, 2))
    assert.deepEqual(got, EXPECTED)
  } finally {
    await a.close()
  }
})
