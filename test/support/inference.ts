import { encodeFunctionData, type Hex } from 'viem'
import { INFERENCE_PRECOMPILE_ADDRESS, type NumberTensor, ogInferenceAbi } from '../../app/modules/inference/precompile/abi.ts'
import { signedTx } from './inProcessApp.ts'

/** Precompile calldata and direct-call txs for tests that drive inference. */

/** A row tensor `[1, n]` of integers × 10^-decimals. */
export function row(name: string, values: readonly bigint[], decimals = 0n): NumberTensor {
  return { name, values: values.map((value) => ({ value, decimals })), shape: [1, values.length] }
}

/** `runModelInference` calldata (VANILLA unless `mode` says otherwise). */
export function precompileCall(modelCID: string, numbers: NumberTensor[], mode = 0): Hex {
  return encodeFunctionData({
    abi: ogInferenceAbi,
    functionName: 'runModelInference',
    args: [{ mode, modelCID, input: { numbers, strings: [] } }] as never,
  })
}

/** A tx from `from` calling the precompile directly. */
export function directInferenceTx(from: number, nonce: bigint, modelCID: string, numbers: NumberTensor[], gasLimit?: bigint): Uint8Array {
  return signedTx(from, nonce, {
    to: INFERENCE_PRECOMPILE_ADDRESS,
    data: precompileCall(modelCID, numbers),
    gasLimit,
  })
}
