import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { InferenceExecutor } from '../../app/executor/inferenceExecutor.ts'
import type { TensorData } from '../../app/executor/tensorData.ts'
import { floatRows, plain, runDirect, type TestModels, writeTestModels } from './testModels.ts'

// Results through the executor (worker threads, batching, dedup) must be exactly what
// onnxruntime gives for the same inputs when driven directly.

let models: TestModels
let executor: InferenceExecutor

before(async () => {
  models = await writeTestModels(['mlp', 'fixed', 'int64', 'strings'])
  executor = new InferenceExecutor(models.source, { workers: 2 })
})

after(async () => {
  await executor.close()
  models.remove()
})

test('float32 MLP: single-row and multi-row requests equal direct onnxruntime runs', async () => {
  const requests = [floatRows(1, 1, 16), floatRows(2, 1, 16), floatRows(3, 5, 16), floatRows(4, 1, 16)]
  const results = await Promise.all(requests.map((x) => executor.run({ modelCid: models.cid.mlp, inputs: { x } })))
  for (const [i, x] of requests.entries()) {
    const direct = await runDirect(models.path.mlp, { x })
    assert.deepEqual(plain(results[i]!.outputs), plain(direct), `request ${i}`)
    assert.deepEqual(results[i]!.outputs.y!.dims, [x.dims[0], 1])
    assert.ok(results[i]!.outputs.y!.data instanceof Float32Array)
  }
  // Distinct inputs give distinct outputs: the comparison above is not comparing constants.
  assert.notDeepEqual(plain(results[0]!.outputs), plain(results[1]!.outputs))
})

test('int64 model: sums, scaled values and argmax equal direct runs, as BigInt64Arrays', async () => {
  const inputs: TensorData[] = [
    { type: 'int64', dims: [1, 4], data: new BigInt64Array([1n, 7n, -3n, 2n]) },
    { type: 'int64', dims: [2, 4], data: new BigInt64Array([9007199254740993n, 1n, 0n, -5n, 4n, 4n, 40n, 3n]) },
    { type: 'int64', dims: [1, 4], data: new BigInt64Array([-1n, -2n, -3n, -4n]) },
  ]
  const results = await Promise.all(inputs.map((ids) => executor.run({ modelCid: models.cid.int64, inputs: { ids } })))
  for (const [i, ids] of inputs.entries()) {
    assert.deepEqual(plain(results[i]!.outputs), plain(await runDirect(models.path.int64, { ids })), `request ${i}`)
  }
  assert.ok(results[1]!.outputs.sum!.data instanceof BigInt64Array)
  // Checked by hand too: beyond 2^53, so the int64 path does not go through doubles.
  assert.deepEqual([...results[1]!.outputs.scaled!.data].slice(0, 2), [27021597764222979n, 3n])
  assert.deepEqual([...results[1]!.outputs.sum!.data][1], 51n)
  assert.deepEqual([...results[1]!.outputs.argmax!.data], [0n, 2n])
})

test('string model: string tensors go in and come out (batched along dim 0 too)', async () => {
  const reqs = [
    { a: ['x'], b: ['p', 'q'] },
    { a: ['héllo'], b: ['', 'wörld 🌍'] },
    { a: ['1'], b: ['2', '3'] },
  ]
  const results = await Promise.all(
    reqs.map((r) =>
      executor.run({
        modelCid: models.cid.strings,
        inputs: { a: { type: 'string', dims: [1, 1], data: r.a }, b: { type: 'string', dims: [1, 2], data: r.b } },
      }),
    ),
  )
  for (const [i, r] of reqs.entries()) {
    assert.deepEqual(results[i]!.outputs.c, { type: 'string', dims: [1, 3], data: [...r.a, ...r.b] })
  }
  assert.ok(
    results.some((r) => r.batchSize > 1),
    'the three string requests were batched',
  )
})

test('non-batchable model: every request runs alone and equals its direct run', async () => {
  const before = executor.stats().batches
  const inputs = Array.from({ length: 6 }, (_, i) => floatRows(100 + i, 1, 8))
  const results = await Promise.all(inputs.map((x) => executor.run({ modelCid: models.cid.fixed, inputs: { x } })))
  for (const [i, x] of inputs.entries()) {
    assert.equal(results[i]!.batchSize, 1)
    assert.deepEqual(plain(results[i]!.outputs), plain(await runDirect(models.path.fixed, { x })))
  }
  assert.equal(executor.stats().batches - before, 6)
})

test('a result reports the session run time and leaves nothing queued or running', async () => {
  const r = await executor.run({ modelCid: models.cid.mlp, inputs: { x: floatRows(77, 1, 16) } })
  assert.ok(Number.isInteger(r.micros) && r.micros >= 0)
  const s = executor.stats()
  assert.equal(s.queued, 0)
  assert.equal(s.running, 0)
  assert.deepEqual(s.perModel, {})
  assert.equal(s.failed, 0)
})
