import { QueryParamsRequest, QueryParamsResponse } from '../../proto/pipe/inference/v1/query.ts'
import type { Params } from '../../proto/pipe/inference/v1/types.ts'
import { type QueryMethod, queryMethod } from '../../queryContext.ts'
import type { InferenceKeeper } from './block/keeper.ts'
import { type ProofSource, recordQueries } from './block/queryServer.ts'
import {
  FLOAT_OUTPUT_DECIMALS,
  INFERENCE_BASE_GAS,
  INFERENCE_GAS_PER_INPUT_ELEMENT,
  INFERENCE_GAS_PER_MODEL_MICRO,
  MAX_DECIMALS,
  MAX_INPUT_ELEMENTS,
  MAX_MODEL_GAS,
  MAX_REQUESTS_PER_TX,
  MAX_SIMULATION_ROUNDS,
  ZK_PROOF_GAS,
} from './params.ts'
import type { RegistryKeeper } from './registry/keeper.ts'
import { registryQueries } from './registry/queryServer.ts'

/** The numbers of params.ts that every validator applies, as `Params` answers them. */
export const PARAMS: Params = {
  baseGas: INFERENCE_BASE_GAS,
  gasPerInputElement: INFERENCE_GAS_PER_INPUT_ELEMENT,
  gasPerModelMicro: INFERENCE_GAS_PER_MODEL_MICRO,
  maxModelGas: MAX_MODEL_GAS,
  maxInputElements: MAX_INPUT_ELEMENTS,
  maxDecimals: MAX_DECIMALS,
  floatOutputDecimals: FLOAT_OUTPUT_DECIMALS,
  maxRequestsPerTx: MAX_REQUESTS_PER_TX,
  maxSimulationRounds: MAX_SIMULATION_ROUNDS,
  zkProofGas: ZK_PROOF_GAS,
}

/**
 * Every query of the inference module (`/pipe.inference.v1.Query/…`): `Params`, the records'
 * (block/queryServer.ts) and the registry's (registry/queryServer.ts).
 */
export function inferenceQueries(parts: { keeper: InferenceKeeper; registry: RegistryKeeper; proofs: ProofSource }): QueryMethod[] {
  return [
    queryMethod('/pipe.inference.v1.Query/Params', QueryParamsRequest, QueryParamsResponse, async () => ({ params: PARAMS })),
    ...recordQueries(parts.keeper, parts.proofs),
    ...registryQueries(parts.registry),
  ]
}
