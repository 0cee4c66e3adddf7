import { encodeFunctionData, type Hex } from 'viem'
import type { EthTx } from '../../app/modules/evm/ethTx.ts'
import type { Simulation, SimulationAnswers } from '../../app/modules/inference/mempool/txSimulator.ts'
import { INFERENCE_PRECOMPILE_ADDRESS, type NumberTensor, ogInferenceAbi } from '../../app/modules/inference/precompile/abi.ts'
import {
  type ModelCatalog,
  type ModeRules,
  type TxInferenceCalls,
  txInferenceCalls,
} from '../../app/modules/inference/precompile/inferenceCalls.ts'
import type { InferenceResult, ResultLookup } from '../../app/modules/inference/types/result.ts'
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

/**
 * For fake simulators: the precompile's view of one simulated tx, answering as TxSimulator's
 * workers do (`answers.results`; placeholders in `simulation` runs, missing in `block` runs), and
 * the Simulation it ends in. Run the fake "contract" against `inferencePrecompile(() => calls)`.
 */
export function fakeSimulationRun(
  eth: EthTx,
  answers: SimulationAnswers,
  sources: { modes: ModeRules; models?: ModelCatalog },
): { calls: TxInferenceCalls; end(at: Omit<Simulation, 'calls' | 'refused' | 'used'>): Simulation } {
  const used = new Map<string, InferenceResult>()
  const results: ResultLookup = {
    get: (key) => {
      const r = answers.results.get(key)
      if (r) used.set(key, r)
      return r
    },
  }
  const models = sources.models ?? { metadata: async () => undefined }
  const calls = txInferenceCalls(
    eth.hash,
    answers.kind === 'block'
      ? { kind: 'block', results, modes: sources.modes }
      : { kind: 'simulation', results, modes: sources.modes, models },
  )
  return { calls, end: (at) => ({ ...at, calls: calls.calls, refused: calls.refused, used }) }
}
