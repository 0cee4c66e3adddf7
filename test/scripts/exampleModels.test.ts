import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { test } from 'node:test'
import * as ort from 'onnxruntime-node'
import { parseOnnxModel } from '../../app/modelHub/onnxModel.ts'
import {
  buildFailsAtRuntime,
  buildRiskAdjuster,
  buildRiskScorer,
  buildSlow,
  buildTypesEcho,
  EXAMPLE_MODELS,
  FAILS_AT_RUNTIME_TABLE,
  RISK_ADJUSTER,
  RISK_SCORER_SPEC,
  SLOW_MATMULS,
} from '../../scripts/models/exampleModels.ts'
import {
  buildCostModel,
  buildMlp,
  costModelMacs,
  costModelSpecFor,
  MEASURED_MACS_PER_MS,
  mlpLayers,
  seededValues,
} from '../../scripts/models/modelFactory.ts'

const MODELS_DIR = new URL('../../models/', import.meta.url)
const ONE_THREAD = { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 4 } as const

async function session(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, ONE_THREAD)
}

/** Names, types and shapes as onnxruntime reports them. */
function signature(s: ort.InferenceSession): { inputs: unknown[]; outputs: unknown[] } {
  const strip = (m: readonly ort.InferenceSession.ValueMetadata[]): unknown[] =>
    m.map((v) => (v.isTensor ? { name: v.name, type: v.type, shape: v.shape } : { name: v.name, isTensor: false }))
  return { inputs: strip(s.inputMetadata), outputs: strip(s.outputMetadata) }
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z))

test('the files in models/ are exactly what the builders make, and building twice gives the same bytes', async () => {
  assert.deepEqual(Object.keys(EXAMPLE_MODELS).sort(), [
    'fails-at-runtime.onnx',
    'risk-adjuster.onnx',
    'risk-scorer.onnx',
    'slow.onnx',
    'types-echo.onnx',
  ])
  for (const [file, build] of Object.entries(EXAMPLE_MODELS)) {
    const built = build()
    assert.deepEqual(build(), built, `${file}: two builds differ`)
    const onDisk = new Uint8Array(await readFile(new URL(file, MODELS_DIR)))
    assert.deepEqual(onDisk, built, `models/${file} is stale: run node --import tsx scripts/models/buildModels.ts`)
    assert.ok(built.length < 20_000, `${file} is ${built.length} bytes; example models stay small`)
  }
})

test('risk-scorer: features [batch, 4] → score [batch, 1] in (0, 1), equal to the MLP computed by hand', async () => {
  const s = await session(buildRiskScorer())
  assert.deepEqual(signature(s), {
    inputs: [{ name: 'features', type: 'float32', shape: ['batch', 4] }],
    outputs: [{ name: 'score', type: 'float32', shape: ['batch', 1] }],
  })
  const rows = [
    [0.5, -1.25, 2, 0.75],
    [0, 0, 0, 0],
    [10, 10, -10, 3],
    [-3, 4, 1, -2],
  ]
  const out = await s.run({ features: new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, 4]) })
  assert.deepEqual(out.score!.dims, [rows.length, 1])
  const scores = [...(out.score!.data as Float32Array)]
  for (const v of scores) assert.ok(v > 0 && v < 1, `score ${v} is not in (0, 1)`)
  assert.ok(new Set(scores).size > 1, 'different features should give different scores')

  // By hand, in doubles, from the same weights: 4 → 16 (ReLU) → 1 (Sigmoid).
  const [l1, l2] = mlpLayers(RISK_SCORER_SPEC)
  assert.equal(l1!.rows, 4)
  assert.equal(l1!.cols, 16)
  assert.equal(l2!.cols, 1)
  const x = rows[0]!
  const hidden = Array.from({ length: 16 }, (_, j) =>
    Math.max(
      0,
      x.reduce((acc, xi, i) => acc + xi * l1!.weight[i * 16 + j]!, l1!.bias[j]!),
    ),
  )
  const expected = sigmoid(hidden.reduce((acc, h, j) => acc + h * l2!.weight[j]!, l2!.bias[0]!))
  assert.ok(Math.abs(scores[0]! - expected) < 1e-6, `score ${scores[0]} ≠ hand-computed ${expected}`)
})

test('risk-adjuster: score [batch, 1] → adjusted = sigmoid(4·score − 2), chained after the risk scorer', async () => {
  const scorer = await session(buildRiskScorer())
  const adjuster = await session(buildRiskAdjuster())
  assert.deepEqual(signature(adjuster), {
    inputs: [{ name: 'score', type: 'float32', shape: ['batch', 1] }],
    outputs: [{ name: 'adjusted', type: 'float32', shape: ['batch', 1] }],
  })
  const { score } = await scorer.run({ features: new ort.Tensor('float32', new Float32Array([1, 2, 3, 4, -1, 0.5, 0, 2]), [2, 4]) })
  const { adjusted } = await adjuster.run({ score: score! })
  assert.deepEqual(adjusted!.dims, [2, 1])
  ;[...(score!.data as Float32Array)].forEach((v, i) => {
    const expected = sigmoid(RISK_ADJUSTER.scale * v + RISK_ADJUSTER.shift)
    assert.ok(Math.abs((adjusted!.data as Float32Array)[i]! - expected) < 1e-6)
  })
})

test('types-echo: every supported element type round-trips exactly', async () => {
  const s = await session(buildTypesEcho())
  const types = { f32: 'float32', f64: 'float64', i32: 'int32', i64: 'int64', s: 'string' } as const
  assert.deepEqual(signature(s), {
    inputs: Object.entries(types).map(([name, type]) => ({ name, type, shape: [2] })),
    outputs: Object.entries(types).map(([name, type]) => ({ name: `${name}_out`, type, shape: [2] })),
  })
  const feeds = {
    f32: new ort.Tensor('float32', new Float32Array([-0, 3.4028234663852886e38]), [2]),
    f64: new ort.Tensor('float64', new Float64Array([Math.PI, -Number.MIN_VALUE]), [2]),
    i32: new ort.Tensor('int32', new Int32Array([-2147483648, 2147483647]), [2]),
    i64: new ort.Tensor('int64', new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]), [2]),
    s: new ort.Tensor('string', ['', 'risk ✓ 风险'], [2]),
  }
  const out = await s.run(feeds)
  for (const name of Object.keys(types) as (keyof typeof types)[]) {
    const o = out[`${name}_out`]!
    assert.equal(o.type, feeds[name].type)
    assert.deepEqual(o.dims, [2])
    assert.deepEqual(Array.from(o.data as ArrayLike<unknown>), Array.from(feeds[name].data as ArrayLike<unknown>), name)
  }
  assert.ok(Object.is((out.f32_out!.data as Float32Array)[0], -0), 'float32 -0 keeps its sign')
})

test('fails-at-runtime: loads, answers for index 0..2, and onnxruntime throws for index 7', async () => {
  const s = await session(buildFailsAtRuntime())
  assert.deepEqual(signature(s), {
    inputs: [{ name: 'index', type: 'int64', shape: [1] }],
    outputs: [{ name: 'value', type: 'float32', shape: [1] }],
  })
  for (const i of [0, 1, 2]) {
    const { value } = await s.run({ index: new ort.Tensor('int64', new BigInt64Array([BigInt(i)]), [1]) })
    assert.deepEqual([...(value!.data as Float32Array)], [FAILS_AT_RUNTIME_TABLE[i]])
  }
  await assert.rejects(
    s.run({ index: new ort.Tensor('int64', new BigInt64Array([7n]), [1]) }, { logSeverityLevel: 4 }),
    /indices|out of bounds/i,
  )
})

test('slow: x [1, 512] → y [1, 512], a small file holding 330 chained 512×512 MatMuls over 512 rows (44 GMAC) that depend on the input', async () => {
  const bytes = buildSlow()
  assert.ok(bytes.length < 20_000, `slow.onnx is ${bytes.length} bytes`)
  // Its cost is its work, not a duration: the MatMuls are in the graph, none folded into a constant.
  const info = parseOnnxModel(bytes)
  assert.equal(info.ops.filter((op) => op === 'MatMul').length, 1)
  assert.equal(info.nodeCount, SLOW_MATMULS + 4, 'the MatMuls, plus ConstantOfShape, Unsqueeze, Expand and ReduceMean')
  assert.equal(costModelMacs({ size: 512, matmuls: SLOW_MATMULS }), 330 * 512 ** 3)
  const s = await session(bytes)
  assert.deepEqual(signature(s), {
    inputs: [{ name: 'x', type: 'float32', shape: [1, 512] }],
    outputs: [{ name: 'y', type: 'float32', shape: [1, 512] }],
  })
  const x = new ort.Tensor(
    'float32',
    Float32Array.from({ length: 512 }, (_, i) => i / 512),
    [1, 512],
  )
  const { y } = await s.run({ x })
  // Every MatMul by the all-1/512 matrix maps each row to its mean, so y is the mean of x.
  const mean = (511 * 512) / 2 / 512 / 512
  for (const v of y!.data as Float32Array) assert.ok(Math.abs(v - mean) < 1e-4)
})

test('seededValues is a fixed formula: same seed same values, values on the 1/1024 grid within the scale', () => {
  const a = seededValues(3, 64, 0.5)
  assert.deepEqual(seededValues(3, 64, 0.5), a)
  assert.notDeepEqual(seededValues(4, 64, 0.5), a)
  for (const v of a) {
    assert.ok(Math.abs(v) <= 0.5)
    assert.ok(Number.isInteger((v / 0.5) * 1024))
  }
})

test('buildMlp makes a batchable 16→64→1 model; deeper MLPs have more layers', async () => {
  const s = await session(buildMlp({ inputs: 16, hidden: 64, outputs: 1 }))
  assert.deepEqual(signature(s), {
    inputs: [{ name: 'x', type: 'float32', shape: ['batch', 16] }],
    outputs: [{ name: 'y', type: 'float32', shape: ['batch', 1] }],
  })
  const { y } = await s.run({ x: new ort.Tensor('float32', new Float32Array(3 * 16).fill(0.25), [3, 16]) })
  assert.deepEqual(y!.dims, [3, 1])
  assert.equal(mlpLayers({ inputs: 16, hidden: 64, outputs: 1, layers: 3 }).length, 4)
  assert.throws(() => buildMlp({ inputs: 0, hidden: 4, outputs: 1 }), /MlpSpec.inputs must be an integer ≥ 1, got 0/)
})

test('buildCostModel: batchable, work set by its shape or a target time, tiny files', async () => {
  const cheap = { size: 256, rows: 1, matmuls: 1 }
  const dear = { size: 512, matmuls: 12 }
  assert.ok(buildCostModel(dear).length < 2_000, `${buildCostModel(dear).length} bytes`)
  const runs = async (spec: Parameters<typeof buildCostModel>[0], n: number, batch: number): Promise<void> => {
    const bytes = buildCostModel(spec)
    const s = await session(bytes)
    assert.deepEqual(signature(s).inputs, [{ name: 'x', type: 'float32', shape: ['batch', n] }])
    const { y } = await s.run({ x: new ort.Tensor('float32', new Float32Array(batch * n).fill(1), [batch, n]) })
    assert.deepEqual(y!.dims, [batch, n])
  }
  await runs(cheap, 256, 2)
  await runs(dear, 512, 1)
  // The work is the MatMuls' multiply-accumulates: ~1.6 G against 65 k.
  assert.equal(costModelMacs(cheap), 256 * 256)
  assert.equal(costModelMacs(dear), 12 * 512 ** 3)
  assert.equal(parseOnnxModel(buildCostModel(dear)).nodeCount, 12 + 4)

  assert.deepEqual(costModelSpecFor({ targetMs: 200, macsPerMs: 512 ** 3 }), { size: 512, rows: 512, matmuls: 200, batch: undefined })
  assert.deepEqual(costModelSpecFor({ targetMs: 1, macsPerMs: 256 * 256 * 10 }), { size: 256, rows: 10, matmuls: 1, batch: undefined })
  assert.throws(() => costModelSpecFor({ targetMs: 0 }), /targetMs must be > 0/)
  // A target time gives the shape of about that much work on the reference machine.
  const target = costModelSpecFor({ targetMs: 20 })
  await runs({ targetMs: 20 }, target.size, 1)
  assert.ok(Math.abs(costModelMacs(target) / MEASURED_MACS_PER_MS - 20) < 2, `${costModelMacs(target)} MACs`)
})
