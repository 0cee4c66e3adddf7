import type { CustomPrecompile, ExecResult, PrecompileInput } from '@ethereumjs/evm'
import { EVMError } from '@ethereumjs/evm'
import { Address, bytesToHex, concatBytes, hexToBytes, setLengthLeft } from '@ethereumjs/util'
import { encodeErrorResult, toEventSelector } from 'viem'
import { keccak256 } from '../../../crypto.ts'
import { AppError, toAppError } from '../../../errors.ts'
import { INFERENCE_PRECOMPILE_ADDRESS, InferenceMode, MODE_NAMES, SIMULATION_OUTPUT, ogInferenceAbi, type ModelInferenceRequest } from './abi.ts'
import { decodeInferenceCall, encodeInferenceEvent } from './abiCodec.ts'
import { ErrInvalidRequest, ErrModeUnavailable, ErrResultMissing, ErrTooManyRequests, ErrUnknownModel } from '../errors.ts'
import type { InferenceContext, KnownResult, ModelCatalog } from './inferenceCalls.ts'
import { encodeModelOutput, makeRequest, type InferenceRequest } from '../types/request.ts'
import {
  INFERENCE_BASE_GAS,
  INFERENCE_GAS_PER_INPUT_ELEMENT,
  INFERENCE_GAS_PER_MODEL_MICRO,
  MAX_MODEL_GAS,
  MAX_REQUESTS_PER_TX,
} from '../params.ts'
import { toOnnxInputs } from './tensors.ts'

/**
 * The inference precompile at 0x…F4 (OpenGradient's `OGInference.runModelInference`). Gas:
 * base + per input element + the model's measured cost (params.ts). Emits
 * `ModelInferenceEvent(inferenceID, mode, modelCID)` for every inference it serves.
 * @example createVM({ evmOpts: { customPrecompiles: [inferencePrecompile(() => ctx, store)] } })
 */
export function inferencePrecompile(context: () => InferenceContext, models: ModelCatalog): CustomPrecompile {
  return {
    address: new Address(hexToBytes(INFERENCE_PRECOMPILE_ADDRESS)),
    function: (opts: PrecompileInput) => runInference(opts, context(), models),
  }
}

const EVENT_TOPIC = hexToBytes(toEventSelector(ogInferenceAbi[1]))
const PRECOMPILE_ADDRESS = hexToBytes(INFERENCE_PRECOMPILE_ADDRESS)

/** Gas of a model from its single-inference cost in µs. */
export function modelGas(costMicros: number): bigint {
  const gas = BigInt(Math.ceil(costMicros)) * INFERENCE_GAS_PER_MODEL_MICRO
  return gas > MAX_MODEL_GAS ? MAX_MODEL_GAS : gas
}

async function runInference(opts: PrecompileInput, ctx: InferenceContext, models: ModelCatalog): Promise<ExecResult> {
  let gas = INFERENCE_BASE_GAS
  if (opts.gasLimit < gas) return outOfGas(opts.gasLimit)
  let call: ModelInferenceRequest
  try {
    call = decodeInferenceCall(opts.data)
  } catch (err) {
    return revert(gas, ErrInvalidRequest.with(`calldata is not runModelInference(ModelInferenceRequest): ${(err as Error).message}`))
  }
  if (call.mode !== InferenceMode.VANILLA) {
    const name = MODE_NAMES[call.mode] ?? `mode ${call.mode}`
    return revert(gas, ErrModeUnavailable.with(`${name} inference is not offered yet; use VANILLA`))
  }
  const request = makeRequest(call.mode, call.modelCID, call.input)
  const elements = call.input.numbers.reduce((n, t) => n + t.values.length, 0) + call.input.strings.reduce((n, t) => n + t.values.length, 0)
  gas += BigInt(elements) * INFERENCE_GAS_PER_INPUT_ELEMENT
  if (opts.gasLimit < gas) return outOfGas(opts.gasLimit)
  const index = ctx.served.length
  const inferenceId = bytesToHex(keccak256(concatBytes(ctx.txHash, setLengthLeft(Uint8Array.of(index >> 24, index >> 16, index >> 8, index), 4))))
  const serve = (output: Uint8Array | undefined) => ctx.served.push({ request, index, inferenceId, output })
  if (index >= MAX_REQUESTS_PER_TX) return refuse(ctx, gas, ErrTooManyRequests.with(`at most ${MAX_REQUESTS_PER_TX} per transaction`))

  let result: KnownResult | undefined = ctx.results.get(request.keyHex)
  if ((ctx.mode === 'block' && !ctx.runNow) || ctx.mode === 'verify') {
    // Block execution (and proposal checking) answer only from the block's results.
    if (!result && ctx.mode === 'verify') {
      serve(undefined)
      return success(gas, encodeModelOutput(SIMULATION_OUTPUT), inferenceId, request)
    }
    if (!result) {
      serve(undefined)
      return revert(gas, ErrResultMissing.with(`model ${request.modelCid}, request ${request.keyHex}: the block carries no result for it`))
    }
    gas += result.modelGas
    if (opts.gasLimit < gas) return outOfGas(opts.gasLimit)
    serve(result.output)
    return success(gas, result.output, inferenceId, request)
  }
  // Simulation, eth_call (and the inline baseline) check the request against the model first.
  let meta: Awaited<ReturnType<ModelCatalog['metadata']>>
  try {
    meta = await models.metadata(request.modelCid)
  } catch (err) {
    return refuse(ctx, gas, toAppError(err)) // e.g. a string that is not a CID
  }
  if (!meta) return refuse(ctx, gas, ErrUnknownModel.with(`${request.modelCid} is not in the model hub; upload it with \`npx pipe model upload\``))
  try {
    toOnnxInputs(request.input, meta.inputs)
  } catch (err) {
    return refuse(ctx, gas, toAppError(err))
  }
  gas += result?.modelGas ?? modelGas(meta.costMicros)
  if (opts.gasLimit < gas) return outOfGas(opts.gasLimit)
  if (!result) {
    if (ctx.mode === 'simulate') {
      serve(undefined)
      return success(gas, encodeModelOutput(SIMULATION_OUTPUT), inferenceId, request)
    }
    try {
      result = await ctx.runNow!(request)
    } catch (err) {
      return refuse(ctx, gas, toAppError(err))
    }
  }
  serve(result.output)
  return success(gas, result.output, inferenceId, request)
}

function success(gas: bigint, output: Uint8Array, inferenceId: string, request: InferenceRequest): ExecResult {
  const data = encodeInferenceEvent(inferenceId, request.mode, request.modelCid)
  return { returnValue: output, executionGasUsed: gas, logs: [[PRECOMPILE_ADDRESS, [EVENT_TOPIC], data]] }
}

/** An invalid request: remembered for the simulation's verdict, and reverted with its reason. */
function refuse(ctx: InferenceContext, gas: bigint, err: AppError): ExecResult {
  ctx.errors.push(err)
  return revert(gas, err)
}

/** Reverts with `Error(string)` data, so Solidity callers and eth_call see the reason. */
function revert(gas: bigint, err: AppError): ExecResult {
  const data = hexToBytes(encodeErrorResult({ abi: [{ type: 'error', name: 'Error', inputs: [{ type: 'string' }] }], errorName: 'Error', args: [err.message] }))
  return { returnValue: data, executionGasUsed: gas, exceptionError: new EVMError(EVMError.errorMessages.REVERT) }
}

function outOfGas(gasLimit: bigint): ExecResult {
  return { returnValue: new Uint8Array(0), executionGasUsed: gasLimit, exceptionError: new EVMError(EVMError.errorMessages.OUT_OF_GAS) }
}
