import type { OnnxValueInfo } from '../../../modelHub/onnxModel.ts'
import { ErrInvalidInput, ErrZkProof } from '../errors.ts'
import type { ModelInput, ModelOutput, NumberTensor } from '../precompile/abi.ts'
import { toOnnxInputs } from '../precompile/tensors.ts'
import { feltFromInt, intFromFelt, quantize } from './fieldElement.ts'

/**
 * What a proof of one model run must look like, read from the circuit's EZKL settings: the
 * scale each input is quantised at and each output is rescaled by, and the shapes of the public
 * instances (the inputs, then the outputs, flattened into one column).
 */
export interface ZkCircuitLayout {
  logrows: number
  inputScales: number[]
  outputScales: number[]
  inputShapes: number[][]
  outputShapes: number[][]
}

/** The layout in an EZKL settings.json; throws ErrZkProof when it is not one this chain can use. */
export function parseCircuitLayout(settingsJson: Uint8Array): ZkCircuitLayout {
  let s: {
    run_args?: { logrows?: number; input_visibility?: string; output_visibility?: string; param_visibility?: string }
    model_instance_shapes?: number[][]
    model_input_scales?: number[]
    model_output_scales?: number[]
  }
  try {
    s = JSON.parse(new TextDecoder().decode(settingsJson))
  } catch (err) {
    throw ErrZkProof.with(`the circuit settings are not JSON: ${(err as Error).message}`)
  }
  const inputScales = s.model_input_scales ?? []
  const outputScales = s.model_output_scales ?? []
  const shapes = s.model_instance_shapes ?? []
  const ra = s.run_args ?? {}
  if (ra.input_visibility !== 'Public' || ra.output_visibility !== 'Public') {
    throw ErrZkProof.with(
      `the circuit's inputs and outputs must be public instances (settings say inputs ${ra.input_visibility}, outputs ${ra.output_visibility})`,
    )
  }
  if (ra.param_visibility !== 'Fixed') throw ErrZkProof.with(`the circuit's parameters must be fixed (settings say ${ra.param_visibility})`)
  if (shapes.length !== inputScales.length + outputScales.length || typeof ra.logrows !== 'number') {
    throw ErrZkProof.with('the circuit settings lack instance shapes, scales or logrows')
  }
  return {
    logrows: ra.logrows,
    inputScales,
    outputScales,
    inputShapes: shapes.slice(0, inputScales.length),
    outputShapes: shapes.slice(inputScales.length),
  }
}

const count = (shape: readonly number[]): number => shape.reduce((n, d) => n * d, 1)

/**
 * A request's inputs as the circuit takes them: the values in the model's input order, as
 * the model sees them (float32 inputs rounded to float32, as onnxruntime gets them), for EZKL's
 * witness generator (`input_data`), and quantised into the public instances a proof of this
 * request must carry. Throws ErrInvalidInput (bad input) or ErrZkProof (input the circuit
 * was not built for).
 */
export function circuitInputs(
  input: ModelInput,
  declared: OnnxValueInfo[],
  layout: ZkCircuitLayout,
): { inputData: number[][]; instances: Uint8Array[] } {
  const feeds = toOnnxInputs(input, declared)
  if (declared.length !== layout.inputScales.length) {
    throw ErrZkProof.with(`the circuit has ${layout.inputScales.length} inputs, the model ${declared.length}`)
  }
  const inputData: number[][] = []
  const instances: Uint8Array[] = []
  declared.forEach((spec, i) => {
    const feed = feeds[spec.name]!
    if (feed.type === 'string') throw ErrZkProof.with(`input "${spec.name}" is a string tensor; ZKML circuits take numbers only`)
    const want = layout.inputShapes[i]!
    if (feed.dims.length !== want.length || feed.dims.some((d, j) => d !== want[j])) {
      throw ErrZkProof.with(
        `input "${spec.name}" has shape [${feed.dims.join(', ')}]; the model's ZK circuit was built for [${want.join(', ')}]`,
      )
    }
    const values = Array.from(feed.data as ArrayLike<number | bigint>, Number)
    inputData.push(values)
    const scale = layout.inputScales[i]!
    values.forEach((v, j) => {
      let q: bigint
      try {
        q = quantize(v, scale)
      } catch {
        throw ErrInvalidInput.with(
          `input "${spec.name}" value ${j} (${v}) is too large for the model's ZK circuit (fixed point at 2^-${scale})`,
        )
      }
      instances.push(feltFromInt(q))
    })
  })
  return { inputData, instances }
}

/**
 * The ModelOutput a proof's public outputs stand for: each output element q at scale s is the
 * exact number q / 2^s, carried as value q·5^s with s decimals. `instances` are the proof's
 * whole instance column; the outputs follow the inputs.
 */
export function outputFromInstances(instances: readonly Uint8Array[], declared: OnnxValueInfo[], layout: ZkCircuitLayout): ModelOutput {
  const inputCount = layout.inputShapes.reduce((n, s) => n + count(s), 0)
  const outputCount = layout.outputShapes.reduce((n, s) => n + count(s), 0)
  if (instances.length !== inputCount + outputCount) {
    throw ErrZkProof.with(`the proof has ${instances.length} public instances; the circuit has ${inputCount + outputCount}`)
  }
  if (declared.length !== layout.outputShapes.length) {
    throw ErrZkProof.with(`the circuit has ${layout.outputShapes.length} outputs, the model ${declared.length}`)
  }
  let at = inputCount
  const numbers: NumberTensor[] = declared.map((spec, i) => {
    const shape = layout.outputShapes[i]!
    const scale = layout.outputScales[i]!
    const values = instances.slice(at, at + count(shape)).map((felt) => rescaled(intFromFelt(felt), scale))
    at += count(shape)
    return { name: spec.name, values, shape }
  })
  return { numbers, strings: [], jsons: [], is_simulation_result: false }
}

function rescaled(q: bigint, scale: number): { value: bigint; decimals: bigint } {
  if (scale <= 0) return { value: q * 2n ** BigInt(-scale), decimals: 0n }
  return { value: q * 5n ** BigInt(scale), decimals: BigInt(scale) }
}
