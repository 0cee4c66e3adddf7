import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { ExecResult, PrecompileInput } from '@ethereumjs/evm'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { initCrypto } from '../../../../app/crypto.ts'
import { modelCid } from '../../../../app/modelHub/cid.ts'
import { ErrInvalidInput, ErrModeUnavailable, ErrTooManyRequests, ErrUnknownModel } from '../../../../app/modules/inference/errors.ts'
import { INFERENCE_BASE_GAS, INFERENCE_GAS_PER_INPUT_ELEMENT, modelGas } from '../../../../app/modules/inference/params.ts'
import { type NumberTensor, SIMULATION_OUTPUT } from '../../../../app/modules/inference/precompile/abi.ts'
import { decodeModelOutput } from '../../../../app/modules/inference/precompile/abiDecoder.ts'
import { encodeModelOutput } from '../../../../app/modules/inference/precompile/abiEncoder.ts'
import {
  blockAnswers,
  type InferenceAnswers,
  type ModelCatalog,
  type TxInferenceCalls,
  txInferenceCalls,
  VANILLA_ONLY,
} from '../../../../app/modules/inference/precompile/inferenceCalls.ts'
import { inferencePrecompile } from '../../../../app/modules/inference/precompile/precompile.ts'
import { RegisteredModes } from '../../../../app/modules/inference/registry/registeredModes.ts'
import { inferenceRequest } from '../../../../app/modules/inference/types/request.ts'
import { type InferenceResult, resultOf, resultsByKey } from '../../../../app/modules/inference/types/result.ts'
import { VerificationMode } from '../../../../app/modules/inference/types/verificationMode.ts'
import { precompileCall, row } from '../../../support/inference.ts'

/**
 * The precompile alone, called as the EVM calls it (calldata and a gas limit), with each kind of
 * answers: what it returns, charges and records, and what it refuses.
 */
await initCrypto()

const CID = await modelCid(new TextEncoder().encode('a model'))
const OTHER_CID = await modelCid(new TextEncoder().encode('another model'))
const COST_MICROS = 250
const MODEL_GAS = modelGas(COST_MICROS)
const catalog: ModelCatalog = {
  metadata: async (cid) =>
    cid === CID
      ? {
          inputs: [{ name: 'features', type: 'float32', shape: ['batch', 4] }],
          outputs: [{ name: 'score', type: 'float32', shape: ['batch', 1] }],
          costMicros: COST_MICROS,
        }
      : undefined,
}
const features: NumberTensor = row('features', [1n, 2n, 3n, 4n])
const request = inferenceRequest(VerificationMode.VERIFICATION_MODE_VANILLA, CID, { numbers: [features], strings: [] })
const OUTPUT = encodeModelOutput({
  numbers: [{ name: 'score', values: [{ value: 5n, decimals: 1n }], shape: [1, 1] }],
  strings: [],
  jsons: [],
  is_simulation_result: false,
})
const result: InferenceResult = resultOf(request, OUTPUT, MODEL_GAS)
/** Gas of a call with the four features, before the model's part. */
const CALL_GAS = INFERENCE_BASE_GAS + 4n * INFERENCE_GAS_PER_INPUT_ELEMENT
const TX_HASH = new Uint8Array(32).fill(7)

async function call(
  answers: InferenceAnswers,
  opts: { data?: Uint8Array; gasLimit?: bigint; tx?: TxInferenceCalls } = {},
): Promise<{ exec: ExecResult; tx: TxInferenceCalls }> {
  const tx = opts.tx ?? txInferenceCalls(TX_HASH, answers)
  const precompile = inferencePrecompile(() => tx)
  const input = {
    data: opts.data ?? hexToBytes(precompileCall(CID, [features])),
    gasLimit: opts.gasLimit ?? 10_000_000n,
  } as PrecompileInput
  return { exec: await precompile.function(input), tx }
}

const revertReason = (exec: ExecResult): string => {
  const hex = bytesToHex(exec.returnValue)
  // Error(string): selector, offset, length, text
  const len = Number(BigInt(`0x${hex.slice(2 + 8 + 64, 2 + 8 + 128)}`))
  return Buffer.from(hex.slice(2 + 8 + 128, 2 + 8 + 128 + len * 2), 'hex').toString()
}

test("block answers: the block's result is returned and charged, and the call recorded with its inference id and event", async () => {
  const { exec, tx } = await call(blockAnswers(VANILLA_ONLY, resultsByKey([result])))
  assert.equal(exec.exceptionError, undefined)
  assert.deepEqual(exec.returnValue, OUTPUT)
  assert.equal(exec.executionGasUsed, CALL_GAS + MODEL_GAS)
  assert.equal(exec.logs?.length, 1, 'ModelInferenceEvent')
  assert.equal(tx.calls.length, 1)
  assert.equal(tx.calls[0]?.outcome, 'answered')
  assert.equal(tx.calls[0]?.request.keyHex, request.keyHex)
  assert.equal(tx.calls[0]?.index, 0)
})

test('block answers: a call the block carries no result for reverts with the reason and is recorded as missing; nothing node-local is read', async () => {
  const { exec, tx } = await call(blockAnswers(VANILLA_ONLY, new Map()))
  assert.equal(exec.exceptionError?.error, 'revert')
  assert.match(
    revertReason(exec),
    new RegExp(`no inference result recorded in this block: model ${CID}, request 0x[0-9a-f]{64}: the block carries no result for it`),
  )
  assert.equal(tx.calls[0]?.outcome, 'missing')
  assert.equal(tx.refused.length, 0)
})

test("simulation answers: an unknown result is the empty simulation output, charged the model's gas from the hub; a known one as in a block", async () => {
  const unknown = await call({ kind: 'simulation', modes: VANILLA_ONLY, results: new Map(), models: catalog })
  assert.equal(unknown.exec.exceptionError, undefined)
  assert.deepEqual(decodeModelOutput(unknown.exec.returnValue), SIMULATION_OUTPUT)
  assert.equal(unknown.exec.executionGasUsed, CALL_GAS + MODEL_GAS)
  assert.equal(unknown.tx.calls[0]?.outcome, 'placeholder')
  const known = await call({ kind: 'simulation', modes: VANILLA_ONLY, results: resultsByKey([result]), models: catalog })
  const inBlock = await call(blockAnswers(VANILLA_ONLY, resultsByKey([result])))
  assert.deepEqual(known.exec.returnValue, inBlock.exec.returnValue)
  assert.equal(known.exec.executionGasUsed, inBlock.exec.executionGasUsed)
})

test('a call that cannot pay for the model runs out of gas, is still recorded (its result is needed), and does the same in a block', async () => {
  const gasLimit = CALL_GAS + MODEL_GAS - 1n
  const sim = await call({ kind: 'simulation', modes: VANILLA_ONLY, results: new Map(), models: catalog }, { gasLimit })
  assert.equal(sim.exec.exceptionError?.error, 'out of gas')
  assert.equal(sim.exec.executionGasUsed, gasLimit)
  assert.equal(sim.tx.calls.length, 1, 'recorded: the mempool computes it and the block carries it')
  assert.equal(sim.tx.calls[0]?.outcome, 'outOfGas')
  assert.deepEqual(sim.tx.calls[0]?.gas, { needed: CALL_GAS + MODEL_GAS, available: gasLimit })
  const block = await call(blockAnswers(VANILLA_ONLY, resultsByKey([result])), { gasLimit })
  assert.equal(block.exec.exceptionError?.error, 'out of gas')
  assert.equal(block.exec.executionGasUsed, gasLimit)
  assert.equal(block.tx.calls[0]?.outcome, 'outOfGas')
  // Gas for the call itself but not its elements: out of gas before any request exists.
  const early = await call(blockAnswers(VANILLA_ONLY, resultsByKey([result])), { gasLimit: INFERENCE_BASE_GAS + 1n })
  assert.equal(early.exec.exceptionError?.error, 'out of gas')
  assert.equal(early.tx.calls.length, 0)
})

test('checked runs refuse what does not fit the model: unknown model, wrong input; blocks do not look', async () => {
  const unknownModel = await call(
    { kind: 'simulation', modes: VANILLA_ONLY, results: new Map(), models: catalog },
    { data: hexToBytes(precompileCall(OTHER_CID, [features])) },
  )
  assert.equal(unknownModel.exec.exceptionError?.error, 'revert')
  assert.ok(ErrUnknownModel.is(unknownModel.tx.refused[0]), String(unknownModel.tx.refused[0]))
  assert.equal(unknownModel.tx.calls.length, 0)
  const wrongShape = await call(
    { kind: 'simulation', modes: VANILLA_ONLY, results: new Map(), models: catalog },
    { data: hexToBytes(precompileCall(CID, [row('features', [1n, 2n, 3n])])) },
  )
  assert.ok(ErrInvalidInput.is(wrongShape.tx.refused[0]))
  assert.match(revertReason(wrongShape.exec), /input tensor "features" has shape \[1, 3\], the model expects \[batch, 4\]/)
  const inBlock = await call(blockAnswers(VANILLA_ONLY, new Map()), { data: hexToBytes(precompileCall(OTHER_CID, [features])) })
  assert.equal(inBlock.tx.refused.length, 0, 'a block never consults the hub')
  assert.equal(inBlock.tx.calls[0]?.outcome, 'missing')
})

test('call answers compute an unknown result now; a failed computation is refused and not recorded', async () => {
  let computed = 0
  const ok = await call({
    kind: 'call',
    modes: VANILLA_ONLY,
    results: new Map(),
    models: catalog,
    compute: async () => {
      computed++
      return result
    },
  })
  assert.equal(computed, 1)
  assert.deepEqual(ok.exec.returnValue, OUTPUT)
  assert.equal(ok.tx.calls[0]?.outcome, 'answered')
  const failed = await call({
    kind: 'call',
    modes: VANILLA_ONLY,
    results: new Map(),
    models: catalog,
    compute: async () => Promise.reject(ErrInvalidInput.with('boom')),
  })
  assert.equal(failed.exec.exceptionError?.error, 'revert')
  assert.equal(failed.tx.calls.length, 0)
  assert.match(String(failed.tx.refused[0]?.message), /boom/)
})

test('bad calldata and modes not offered revert without a request; the 17th call of a tx is refused', async () => {
  const garbage = await call(blockAnswers(VANILLA_ONLY, new Map()), { data: Uint8Array.of(1, 2, 3) })
  assert.match(revertReason(garbage.exec), /invalid inference request: calldata is not runModelInference/)
  assert.equal(garbage.tx.calls.length, 0)
  const unregistered = new RegisteredModes({ committedModel: async () => undefined })
  const zk = await call(blockAnswers(unregistered, new Map()), {
    data: hexToBytes(precompileCall(CID, [features], VerificationMode.VERIFICATION_MODE_ZKML)),
  })
  assert.match(revertReason(zk.exec), new RegExp(`${ErrModeUnavailable.description}: model ${CID} is not registered for ZKML`))
  assert.equal(zk.tx.calls.length, 0)
  const tee = await call(blockAnswers(unregistered, new Map()), {
    data: hexToBytes(precompileCall(CID, [features], VerificationMode.VERIFICATION_MODE_TEE)),
  })
  assert.match(revertReason(tee.exec), /TEE inference is not offered yet/)
  const tx = txInferenceCalls(TX_HASH, blockAnswers(VANILLA_ONLY, resultsByKey([result])))
  for (let i = 0; i < 16; i++) assert.equal((await call(tx.answers, { tx })).exec.exceptionError, undefined, `call ${i}`)
  const seventeenth = await call(tx.answers, { tx })
  assert.ok(ErrTooManyRequests.is(tx.refused[0]))
  assert.equal(seventeenth.exec.exceptionError?.error, 'revert')
  assert.deepEqual(
    tx.calls.map((c) => c.index),
    Array.from({ length: 16 }, (_, i) => i),
  )
  assert.equal(new Set(tx.calls.map((c) => bytesToHex(c.inferenceId))).size, 16, 'each call has its own inference id')
})
