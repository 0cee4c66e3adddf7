import type { OnnxValueInfo } from '../../app/modelHub/onnxModel.ts'
import { seededValues } from '../models/modelFactory.ts'
import { ZkSetupError } from './zkSetupError.ts'

/**
 * The data EZKL calibrates a circuit on, in EZKL's input format: `input_data` holds one flat
 * list per model input (in the model's input order), `samples` times the input's element
 * count long, sample after sample. Calibration picks the fixed-point scales and lookup ranges
 * from it, so a request whose values lie far outside it may fail to prove later.
 * @example { input_data: [[0.5, -0.25, 1, 0, /* second sample: *\/ 0.75, 0.125, -1, 0.5]] } // 2 samples of a [1, 4] input
 */
export interface CalibrationData {
  input_data: number[][]
}

/** What the circuit is built for: each input's shape with symbolic dims set, and those dims. */
export interface CircuitShape {
  /** Each input's concrete shape (symbolic dims replaced by `SYMBOLIC_DIM_VALUE`). */
  inputs: { name: string; type: OnnxValueInfo['type']; shape: number[]; size: number }[]
  /** Every symbolic dim name and the value the circuit fixes it to (EZKL's `variables`). */
  variables: [name: string, value: number][]
}

/** A circuit has fixed shapes: every symbolic dim (e.g. `batch`) is 1, so a proof covers one row. */
export const SYMBOLIC_DIM_VALUE = 1

/** Samples of the generated calibration data. */
export const GENERATED_SAMPLES = 8

/** Element types EZKL circuits take (numbers; strings have no field encoding). */
const NUMERIC = new Set<OnnxValueInfo['type']>([
  'float32',
  'float64',
  'float16',
  'bfloat16',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'bool',
])

/**
 * The circuit's shapes: symbolic dims fixed to 1. Throws ZkSetupError (`unsupportedInput`) for
 * an input of unknown dim (no name, so EZKL cannot be told its size) or a non-numeric type.
 * @example circuitShape([{ name: 'features', type: 'float32', shape: ['batch', 4] }]) // { inputs: [{ …, shape: [1, 4], size: 4 }], variables: [['batch', 1]] }
 */
export function circuitShape(inputs: readonly OnnxValueInfo[]): CircuitShape {
  if (inputs.length === 0) throw new ZkSetupError('unsupportedInput', 'the model has no inputs; a ZK proof binds a model run to its inputs')
  const variables = new Map<string, number>()
  const shaped = inputs.map((input) => {
    if (!NUMERIC.has(input.type)) {
      throw new ZkSetupError('unsupportedInput', `input "${input.name}" is ${input.type}; EZKL circuits take numeric tensors only`)
    }
    const shape = input.shape.map((d, i) => {
      if (typeof d === 'string') {
        variables.set(d, SYMBOLIC_DIM_VALUE)
        return SYMBOLIC_DIM_VALUE
      }
      if (d < 0) {
        throw new ZkSetupError(
          'unsupportedInput',
          `input "${input.name}" has an unknown dim ${i} (no size, no name); a circuit needs fixed or named dims (e.g. "batch")`,
        )
      }
      return d
    })
    return { name: input.name, type: input.type, shape, size: shape.reduce((a, b) => a * b, 1) }
  })
  return { inputs: shaped, variables: [...variables] }
}

/**
 * Deterministic calibration data for a circuit: `GENERATED_SAMPLES` samples of every input, the
 * same on every run and machine (seeded, never Math.random). Floats lie in [-1, 1], in steps
 * of 1/1024 (exact in float32); signed integers in [-8, 8]; unsigned integers in [0, 8]; bools
 * 0 or 1. Models whose real inputs lie elsewhere should be calibrated on a file of their own
 * (`--calibration`).
 */
export function generatedCalibration(shape: CircuitShape, samples = GENERATED_SAMPLES): CalibrationData {
  return {
    input_data: shape.inputs.map((input, i) => {
      const values = Array.from(seededValues(7919 + i, input.size * samples, 1))
      if (input.type.startsWith('float') || input.type === 'bfloat16') return values
      if (input.type === 'bool') return values.map((v) => (v > 0 ? 1 : 0))
      if (input.type.startsWith('uint')) return values.map((v) => Math.round(Math.abs(v) * 8))
      return values.map((v) => Math.round(v * 8))
    }),
  }
}

/** The first sample of calibration data: what the setup's self-check proves. */
export function firstSample(data: CalibrationData, shape: CircuitShape): CalibrationData {
  return { input_data: data.input_data.map((values, i) => values.slice(0, shape.inputs[i]!.size)) }
}

/**
 * Checks calibration data a user gives (`--calibration file.json`) against the circuit: EZKL's
 * format, one list per input, each a non-empty whole number of samples of finite numbers.
 * Throws ZkSetupError (`badCalibration`) naming what is wrong; `source` names the file.
 */
export function parseCalibration(text: string, shape: CircuitShape, source: string): CalibrationData {
  const bad = (why: string): ZkSetupError => new ZkSetupError('badCalibration', `${source}: ${why}`)
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw bad(`not JSON (${(err as Error).message})`)
  }
  const expected = `{"input_data": [${shape.inputs.map((i) => `[…${i.size}·n numbers for "${i.name}"…]`).join(', ')}]}`
  if (typeof data !== 'object' || data === null || !Array.isArray((data as CalibrationData).input_data)) {
    throw bad(`expected EZKL's input format ${expected}`)
  }
  const lists = (data as CalibrationData).input_data
  if (lists.length !== shape.inputs.length) {
    throw bad(
      `input_data has ${lists.length} lists, the model has ${shape.inputs.length} inputs (${shape.inputs.map((i) => i.name).join(', ')})`,
    )
  }
  lists.forEach((values, i) => {
    const input = shape.inputs[i]!
    if (!Array.isArray(values) || values.length === 0) throw bad(`input_data[${i}] ("${input.name}") must be a non-empty list of numbers`)
    const at = values.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v))
    if (at >= 0) throw bad(`input_data[${i}][${at}] ("${input.name}") is ${JSON.stringify(values[at])}, not a finite number`)
    if (values.length % input.size !== 0) {
      throw bad(
        `input_data[${i}] ("${input.name}", shape [${input.shape.join(', ')}]) has ${values.length} numbers, ` +
          `not a whole number of samples of ${input.size}`,
      )
    }
  })
  const samples = lists.map((v, i) => v.length / shape.inputs[i]!.size)
  if (samples.some((n) => n !== samples[0])) throw bad(`the inputs have different numbers of samples (${samples.join(', ')})`)
  return { input_data: lists }
}
