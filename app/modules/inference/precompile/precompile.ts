import type { AddPrecompile, ExecResult, PrecompileInput } from '@ethereumjs/evm'
import { EVMError } from '@ethereumjs/evm'
import { Address, concatBytes, hexToBytes } from '@ethereumjs/util'
import { encodeErrorResult, toEventSelector } from 'viem'
import { keccak256 } from '../../../crypto.ts'
import { type AppError, toAppError } from '../../../errors.ts'
import { ErrInvalidRequest, ErrResultMissing, ErrTooManyRequests, ErrUnknownModel } from '../errors.ts'
import { INFERENCE_BASE_GAS, INFERENCE_GAS_PER_INPUT_ELEMENT, inferenceModelGas, MAX_REQUESTS_PER_TX } from '../params.ts'
import { chainModelCid } from '../types/modelCid.ts'
import { type InferenceRequest, inferenceRequest } from '../types/request.ts'
import type { InferenceResult } from '../types/result.ts'
import { INFERENCE_PRECOMPILE_ADDRESS, type ModelInferenceRequest, ogInferenceAbi, SIMULATION_OUTPUT } from './abi.ts'
import { decodeInferenceCall } from './abiDecoder.ts'
import { encodeInferenceEvent, encodeModelOutput } from './abiEncoder.ts'
import type { InferenceCall, ModelCatalog, TxInferenceCalls } from './inferenceCalls.ts'
import { toOnnxInputs } from './tensors.ts'

/**
 * The inference precompile at 0x…F4 (OpenGradient's `OGInference.runModelInference`). Gas:
 * base + per input element + the model's gas (params.ts). Emits
 * `ModelInferenceEvent(inferenceID, mode, modelCID)` for every inference it answers. How it
 * answers is the current tx's {@link TxInferenceCalls}: from the block's results, by simulation,
 * or by running the model now (eth_call).
 * @example createVM({ evmOpts: { customPrecompiles: [inferencePrecompile(() => calls)] } })
 */
export function inferencePrecompile(current: () => TxInferenceCalls): AddPrecompile {
  return {
    address: new Address(hexToBytes(INFERENCE_PRECOMPILE_ADDRESS)),
    function: (input: PrecompileInput) => runInference(input, current()),
  }
}

const EVENT_TOPIC = hexToBytes(toEventSelector(ogInferenceAbi[1]))
const PRECOMPILE_ADDRESS = hexToBytes(INFERENCE_PRECOMPILE_ADDRESS)
const SIMULATED = encodeModelOutput(SIMULATION_OUTPUT)

async function runInference(input: PrecompileInput, tx: TxInferenceCalls): Promise<ExecResult> {
  let gas = INFERENCE_BASE_GAS
  if (input.gasLimit < gas) return outOfGas(input.gasLimit)
  let call: ModelInferenceRequest
  try {
    call = decodeInferenceCall(input.data)
  } catch (err) {
    return revert(gas, ErrInvalidRequest.with(`calldata is not runModelInference(ModelInferenceRequest): ${(err as Error).message}`))
  }
  const request = inferenceRequest(call.mode, call.modelCID, call.input)
  const elements = call.input.numbers.reduce((n, t) => n + t.values.length, 0) + call.input.strings.reduce((n, t) => n + t.values.length, 0)
  gas += BigInt(elements) * INFERENCE_GAS_PER_INPUT_ELEMENT
  if (input.gasLimit < gas) return outOfGas(input.gasLimit)
  const index = tx.calls.length
  if (index >= MAX_REQUESTS_PER_TX) return refuse(tx, gas, ErrTooManyRequests.with(`at most ${MAX_REQUESTS_PER_TX} per transaction`))
  const { answers } = tx
  const unavailable = await answers.modes.refusal(call.modelCID, call.mode)
  if (unavailable) return refuse(tx, gas, unavailable)
  // Checked runs (simulation, eth_call) hold the request against the model first; blocks
  // answer only from their results and never read the node-local hub.
  const modelGasExpected = answers.kind === 'block' ? 0n : await checkAgainstModel(request, answers.models)
  if (modelGasExpected instanceof Error) return refuse(tx, gas, modelGasExpected)
  // The call is recorded before the model's gas is charged: a call that cannot pay for it still
  // needs its result in the block, where it runs out of gas exactly as here.
  const recorded: InferenceCall = { request, index, inferenceId: inferenceId(tx.txHash, index), outcome: 'answered' }
  tx.calls.push(recorded)
  let result = answers.results.get(request.keyHex)
  if (!result) {
    if (answers.kind === 'block') {
      recorded.outcome = 'missing'
      return revert(gas, ErrResultMissing.with(`model ${request.modelCid}, request ${request.keyHex}: the block carries no result for it`))
    }
    const needed = gas + modelGasExpected
    if (input.gasLimit < needed) return ranOutOfGas(recorded, needed, input.gasLimit)
    const computing = answers.compute?.(request)
    if (!computing) {
      recorded.outcome = 'placeholder'
      return answer(needed, SIMULATED, recorded)
    }
    try {
      result = await computing
    } catch (err) {
      tx.calls.pop()
      return refuse(tx, gas, toAppError(err))
    }
  }
  return answerWith(gas + result.modelGas, result, recorded, input.gasLimit)
}

/** The model's gas when the request fits the model in the hub, else why it does not. */
async function checkAgainstModel(request: InferenceRequest, models: ModelCatalog): Promise<bigint | AppError> {
  try {
    const meta = await models.metadata(chainModelCid(request.modelCid))
    if (!meta) return ErrUnknownModel.with(`${request.modelCid} is not in the model hub; upload it with \`npx pipe model upload\``)
    toOnnxInputs(request.input, meta.inputs)
    return inferenceModelGas(meta.costMicros, request.mode)
  } catch (err) {
    return toAppError(err)
  }
}

function answerWith(gas: bigint, result: InferenceResult, call: InferenceCall, gasLimit: bigint): ExecResult {
  if (gasLimit < gas) return ranOutOfGas(call, gas, gasLimit)
  call.output = result.output
  return answer(gas, result.output, call)
}

function answer(gas: bigint, output: Uint8Array, call: InferenceCall): ExecResult {
  const data = encodeInferenceEvent(`0x${Buffer.from(call.inferenceId).toString('hex')}`, call.request.mode, call.request.modelCid)
  return { returnValue: output, executionGasUsed: gas, logs: [[PRECOMPILE_ADDRESS, [EVENT_TOPIC], data]] }
}

function ranOutOfGas(call: InferenceCall, needed: bigint, available: bigint): ExecResult {
  call.outcome = 'outOfGas'
  call.gas = { needed, available }
  return outOfGas(available)
}

/** keccak256(tx hash ‖ index as 4 bytes, big-endian). */
function inferenceId(txHash: Uint8Array, index: number): Uint8Array {
  return keccak256(concatBytes(txHash, Uint8Array.of(index >>> 24, index >>> 16, index >>> 8, index)))
}

/** An invalid request: remembered for the simulation's verdict, and reverted with its reason. */
function refuse(tx: TxInferenceCalls, gas: bigint, err: AppError): ExecResult {
  tx.refused.push(err)
  return revert(gas, err)
}

/** Reverts with `Error(string)` data, so Solidity callers and eth_call see the reason. */
function revert(gas: bigint, err: AppError): ExecResult {
  const data = hexToBytes(
    encodeErrorResult({ abi: [{ type: 'error', name: 'Error', inputs: [{ type: 'string' }] }], errorName: 'Error', args: [err.message] }),
  )
  return { returnValue: data, executionGasUsed: gas, exceptionError: new EVMError(EVMError.errorMessages.REVERT) }
}

function outOfGas(gasLimit: bigint): ExecResult {
  return { returnValue: new Uint8Array(0), executionGasUsed: gasLimit, exceptionError: new EVMError(EVMError.errorMessages.OUT_OF_GAS) }
}
