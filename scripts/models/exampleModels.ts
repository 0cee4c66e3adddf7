import { buildCostModel, buildMlp, FACTORY_OPSET, type MlpSpec } from './modelFactory.ts'
import { OnnxBuilder } from './onnxBuilder.ts'

/**
 * The example models kept in `models/` (written by `scripts/models/buildModels.ts`). Each builder
 * is deterministic, so regenerating the files gives the same bytes and the same CIDs.
 */

/** The risk scorer's architecture and seed: a test recomputes the model from it by hand. */
export const RISK_SCORER_SPEC: MlpSpec = {
  inputs: 4,
  hidden: 16,
  outputs: 1,
  seed: 7,
  inputName: 'features',
  outputName: 'score',
  outputActivation: 'sigmoid',
}

/** `features` float32 [batch, 4] → `score` float32 [batch, 1]: MLP 4→16→1, ReLU then Sigmoid. */
export function buildRiskScorer(): Uint8Array {
  return buildMlp(RISK_SCORER_SPEC)
}

/** `adjusted = sigmoid(RISK_ADJUSTER.scale · score + RISK_ADJUSTER.shift)`. */
export const RISK_ADJUSTER = { scale: 4, shift: -2 } as const

/**
 * `score` float32 [batch, 1] → `adjusted` float32 [batch, 1]: the second model of a chained call,
 * so a contract can feed the risk scorer's output straight into it.
 */
export function buildRiskAdjuster(): Uint8Array {
  const m = new OnnxBuilder({ opset: FACTORY_OPSET, graphName: 'risk_adjuster' })
  m.input('score', 'float32', ['batch', 1]).output('adjusted', 'float32', ['batch', 1])
  m.initializer('scale', [1], [RISK_ADJUSTER.scale])
  m.initializer('shift', [1], [RISK_ADJUSTER.shift])
  m.node('Mul', ['score', 'scale'], ['scaled']).node('Add', ['scaled', 'shift'], ['logit']).node('Sigmoid', ['logit'], ['adjusted'])
  return m.build()
}

/** Inputs of `types-echo.onnx`, each passed through to `<name>_out` with the same type and shape. */
export const TYPES_ECHO_INPUTS = [
  { name: 'f32', type: 'float32' },
  { name: 'f64', type: 'float64' },
  { name: 'i32', type: 'int32' },
  { name: 'i64', type: 'int64' },
  { name: 's', type: 'string' },
] as const

/** One input per supported element type, each echoed by an Identity node: tests tensor conversion. */
export function buildTypesEcho(): Uint8Array {
  const m = new OnnxBuilder({ opset: FACTORY_OPSET, graphName: 'types_echo' })
  for (const { name, type } of TYPES_ECHO_INPUTS) {
    m.input(name, type, [2]).output(`${name}_out`, type, [2])
    m.node('Identity', [name], [`${name}_out`])
  }
  return m.build()
}

/** The table `fails-at-runtime.onnx` looks up: `value = FAILS_AT_RUNTIME_TABLE[index]`. */
export const FAILS_AT_RUNTIME_TABLE = [0.25, 0.5, 0.75] as const

/**
 * `index` int64 [1] → `value` float32 [1] by `Gather` from a 3-element table: loads and runs for
 * index 0..2, and onnxruntime throws at run time for any other index (e.g. 7). Exercises an
 * inference that fails after the model was accepted.
 */
export function buildFailsAtRuntime(): Uint8Array {
  const m = new OnnxBuilder({ opset: FACTORY_OPSET, graphName: 'fails_at_runtime' })
  m.input('index', 'int64', [1]).output('value', 'float32', [1])
  m.initializer('table', [FAILS_AT_RUNTIME_TABLE.length], FAILS_AT_RUNTIME_TABLE)
  m.node('Gather', ['table', 'index'], ['value'], { axis: 0 })
  return m.build()
}

/**
 * MatMuls in `slow.onnx`. Measured with onnxruntime-node 1.30, intraOpNumThreads = 1, on the
 * 2-core development machine (load ≈1 from other work): one [1, 512, 512]·[512, 512] MatMul takes
 * ≈3 ms, and 330 of them took 988–1074 ms per inference (5 runs); the upload probe measured
 * costMicros ≈ 1,065,000. The example-models test only checks a loose lower bound (≥ 500 ms).
 */
export const SLOW_MATMULS = 330

/** `x` float32 [1, 512] → `y` float32 [1, 512], ≈1 s per inference on one thread; a ~12 kB file. */
export function buildSlow(): Uint8Array {
  return buildCostModel({ size: 512, matmuls: SLOW_MATMULS, batch: 1 })
}

/** File name in `models/` → builder. */
export const EXAMPLE_MODELS: Readonly<Record<string, () => Uint8Array>> = {
  'risk-scorer.onnx': buildRiskScorer,
  'risk-adjuster.onnx': buildRiskAdjuster,
  'types-echo.onnx': buildTypesEcho,
  'fails-at-runtime.onnx': buildFailsAtRuntime,
  'slow.onnx': buildSlow,
}
