import { VerificationMode } from './types/verificationMode.ts'

/**
 * Every number of the inference module validators or users depend on: the precompile's gas
 * schedule and the inference mempool's limits.
 */

/** Gas of any call to the inference precompile. */
export const INFERENCE_BASE_GAS = 50_000n
/** Gas per input element (number or string) sent to the model. */
export const INFERENCE_GAS_PER_INPUT_ELEMENT = 100n
/** Gas per microsecond of the model's single-inference cost measured at upload. */
export const INFERENCE_GAS_PER_MODEL_MICRO = 10n
/** Cap on the per-model part, so an expensive model stays callable within a block. */
export const MAX_MODEL_GAS = 5_000_000n
/**
 * Gas a ZKML result adds to its model's: every validator verifies its proof (≈ 80 ms of one
 * core for the example model) before the block is accepted.
 */
export const ZK_PROOF_GAS = 200_000n

/** Largest number of input elements of one inference request. */
export const MAX_INPUT_ELEMENTS = 65_536
/** Largest TensorLib `decimals` (OpenGradient's limit). */
export const MAX_DECIMALS = 18
/** Decimals the precompile gives float outputs (fewer when a value would overflow int128). */
export const FLOAT_OUTPUT_DECIMALS = 18

/** Inference requests one tx may make. */
export const MAX_REQUESTS_PER_TX = 16
/** Simulation rounds until a tx's set of requests must be stable (chained calls). */
export const MAX_SIMULATION_ROUNDS = 4

/**
 * Mempool simulations in flight at once (on the simulation threads; one waiting for its model
 * holds a place). Node-local, not consensus.
 */
export const SIMULATIONS_IN_FLIGHT = 64

/**
 * After a commit, ready txs that must simulate again (the block wrote what they read, or they
 * read the block context) are re-simulated oldest first, as far as the next block is likely to
 * take: RESIMULATION_GROWTH × the txs the committed block included, plus RESIMULATION_FLOOR txs
 * (so an idle or starting chain ramps up), and never more than RESIMULATION_BLOCKS blocks' gas.
 * The rest wait for a later block: the simulation of a tx that does not make the next block is
 * stale at the next commit anyway. Node-local, not consensus.
 */
export const RESIMULATION_GROWTH = 2
export const RESIMULATION_FLOOR = 64
export const RESIMULATION_BLOCKS = 2n
/** Txs waiting for inference at once (beyond this, CheckTx refuses new inference txs). */
export const MAX_PENDING_INFERENCE_TXS = 10_000
/** How long one inference may take before its tx is dropped, in the mempool. */
export const INFERENCE_TIMEOUT_MS = 30_000
/** How long eth_call waits for a real inference. */
export const CALL_INFERENCE_TIMEOUT_MS = 10_000
/** How long one ZKML proof may take (queueing included) before its tx is dropped. */
export const ZK_PROVING_TIMEOUT_MS = 300_000

/**
 * Gas of a model from its single-inference cost in µs, capped at {@link MAX_MODEL_GAS}.
 * @example modelGas(1_000) // 10_000n
 */
export function modelGas(costMicros: number): bigint {
  const gas = BigInt(Math.ceil(costMicros)) * INFERENCE_GAS_PER_MODEL_MICRO
  return gas > MAX_MODEL_GAS ? MAX_MODEL_GAS : gas
}

/**
 * The model part of an inference's gas: {@link modelGas}, plus {@link ZK_PROOF_GAS} for ZKML.
 * @example inferenceModelGas(1_000, VerificationMode.VERIFICATION_MODE_ZKML) // 210_000n
 */
export function inferenceModelGas(costMicros: number, mode: number): bigint {
  return modelGas(costMicros) + (mode === VerificationMode.VERIFICATION_MODE_ZKML ? ZK_PROOF_GAS : 0n)
}
