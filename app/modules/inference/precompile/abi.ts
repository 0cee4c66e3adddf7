import { parseAbi } from 'viem'

/**
 * OpenGradient's inference precompile ABI (../contracts/OGInference.sol), as viem types.
 * A test checks it against the ABI solc compiles from the Solidity interface.
 */
export const INFERENCE_PRECOMPILE_ADDRESS = '0x00000000000000000000000000000000000000F4' as const

const NUMBER = '(int128 value, int128 decimals)'
const NUMBER_TENSOR = `(string name, ${NUMBER}[] values, uint32[] shape)`
const STRING_TENSOR = '(string name, string[] values)'
const JSON_SCALAR = '(string name, string value)'
export const MODEL_INPUT = `(${NUMBER_TENSOR}[] numbers, ${STRING_TENSOR}[] strings)`
export const MODEL_OUTPUT = `(${NUMBER_TENSOR}[] numbers, ${STRING_TENSOR}[] strings, ${JSON_SCALAR}[] jsons, bool is_simulation_result)`

export const ogInferenceAbi = parseAbi([
  `function runModelInference((uint8 mode, string modelCID, ${MODEL_INPUT} input) request) returns (${MODEL_OUTPUT})`,
  'event ModelInferenceEvent(string inferenceID, uint8 mode, string modelCID)',
])

/** TensorLib.Number: value × 10^-decimals. */
export interface TensorNumber {
  value: bigint
  decimals: bigint
}
/** TensorLib.MultiDimensionalNumberTensor. */
export interface NumberTensor {
  name: string
  values: readonly TensorNumber[]
  shape: readonly number[]
}
/** TensorLib.StringTensor. */
export interface StringTensor {
  name: string
  values: readonly string[]
}
export interface JsonScalar {
  name: string
  value: string
}
export interface ModelInput {
  numbers: readonly NumberTensor[]
  strings: readonly StringTensor[]
}
export interface ModelInferenceRequest {
  mode: number
  modelCID: string
  input: ModelInput
}
export interface ModelOutput {
  numbers: NumberTensor[]
  strings: StringTensor[]
  jsons: JsonScalar[]
  is_simulation_result: boolean
}

/** The output a simulated call returns: empty, flagged as a simulation result. */
export const SIMULATION_OUTPUT: ModelOutput = { numbers: [], strings: [], jsons: [], is_simulation_result: true }

/** The ModelInput and ModelOutput tuples as ABI parameters (for hashing and encoding). */
export const modelInputParam = ogInferenceAbi[0].inputs[0].components[2]
export const modelOutputParam = ogInferenceAbi[0].outputs[0]
