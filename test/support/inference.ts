import type { Common } from '@ethereumjs/common'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { hexToBytes, type PrefixedHexString } from '@ethereumjs/util'
import { encodeFunctionData, type Hex } from 'viem'
import { createChainCommon } from '../../app/modules/evm/chainConfig.ts'
import { INFERENCE_PRECOMPILE_ADDRESS, type NumberTensor, ogInferenceAbi } from '../../app/modules/inference/precompile/abi.ts'
import { devKeys } from './inProcessApp.ts'

/** Signed txs and precompile calldata for tests that drive inference in-process. */

let common: Common | undefined

/** A signed EIP-1559 tx from dev account `from` (gas limit 15M unless given). */
export function signedTx(
  from: number,
  nonce: bigint,
  fields: { to?: Hex; data?: Hex; value?: bigint; gasLimit?: bigint } = {},
): Uint8Array {
  common ??= createChainCommon()
  const key = devKeys[from]?.privateKey
  if (!key) throw new Error(`no dev account ${from}`)
  return createFeeMarket1559Tx({ nonce, gasLimit: 15_000_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n, ...fields }, { common })
    .sign(hexToBytes(key as PrefixedHexString))
    .serialize()
}

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
    ...(gasLimit === undefined ? {} : { gasLimit }),
  })
}
