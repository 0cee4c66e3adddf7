import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { ErrRunFailed, ErrRunInput } from '../../app/executor/errors.ts'
import { InferenceExecutor } from '../../app/executor/inferenceExecutor.ts'
import type { TensorData } from '../../app/executor/tensorData.ts'
import { costModelSpecFor } from '../../scripts/models/modelFactory.ts'
import { floatRows, GATHER_ROWS, plain, runDirect, type TestModels, writeTestModels } from './testModels.ts'

let models: TestModels

before(async () => {
  models = await writeTestModels(['mlp', 'gather', 'costly'])
})

after(() => models.remove())

test('many concurrent single-row requests share far fewer session runs, and each gets its own rows', async () => {
  const executor = new InferenceExecutor(models.source, { workers: 2 })
  try {
    const inputs = Array.from({ length: 300 }, (_, i) => floatRows(1000 + i, 1, 16))
    const results = await Promise.all(inputs.map((x) => executor.run({ modelCid: models.cid.mlp, inputs: { x } })))
    const stats = executor.stats()
    assert.ok(stats.batches <= 30, `300 requests took ${stats.batches} session runs`)
    assert.ok(results.filter((r) => r.batchSize > 1).length >= 270, 'nearly every request was batched')
    assert.ok(
      results.every((r) => r.batchSize <= 256),
      'no batch over maxBatch (default 256)',
    )
    for (const [i, x] of inputs.entries())
      assert.deepEqual(plain(results[i]!.outputs), plain(await runDirect(models.path.mlp, { x })), `request ${i}`)
  } finally {
    await executor.close()
  }
})

test('rows of a model timed as costly run one per session run, spread over the workers, even though the model can batch', async () => {
  // Every row above 0 µs counts as costly here, so the policy does not depend on this machine's speed.
  const executor = new InferenceExecutor(models.source, { workers: 2, soloRowMicros: 0 })
  try {
    const n = costModelSpecFor({ targetMs: 10 }).size
    await executor.run({ modelCid: models.cid.costly, inputs: { x: floatRows(1, 1, n) } }) // times the model
    const before = executor.stats().batches
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => executor.run({ modelCid: models.cid.costly, inputs: { x: floatRows(10 + i, 1, n) } })),
    )
    assert.deepEqual(
      results.map((r) => r.batchSize),
      [1, 1, 1, 1, 1, 1],
    )
    assert.equal(executor.stats().batches - before, 6)
  } finally {
    await executor.close()
  }
})

test('a full batch goes at once; requests of several rows are cut back by their own row counts', async () => {
  // maxWaitMs is far longer than the test: only full batches can run.
  const executor = new InferenceExecutor(models.source, { workers: 1, maxBatch: 8, maxWaitMs: 600_000 })
  try {
    const rows = [1, 3, 4, 2, 2, 1, 1, 2] // 8 + 8 rows, in arrival order: two full batches
    const inputs = rows.map((r, i) => floatRows(2000 + i, r, 16))
    const results = await Promise.all(inputs.map((x) => executor.run({ modelCid: models.cid.mlp, inputs: { x } })))
    assert.deepEqual(
      results.map((r) => r.batchSize),
      [3, 3, 3, 5, 5, 5, 5, 5],
    )
    assert.equal(executor.stats().batches, 2)
    for (const [i, x] of inputs.entries()) {
      assert.deepEqual(results[i]!.outputs.y!.dims, [rows[i], 1])
      assert.deepEqual(plain(results[i]!.outputs), plain(await runDirect(models.path.mlp, { x })), `request ${i}`)
    }
  } finally {
    await executor.close()
  }
})

test('one request that makes onnxruntime fail (Gather index out of range) fails alone; the rest of its batch succeeds', async () => {
  const executor = new InferenceExecutor(models.source, { workers: 1, maxBatch: 8, maxWaitMs: 600_000 })
  try {
    const idx = (i: number): TensorData => ({ type: 'int64', dims: [1, 1], data: new BigInt64Array([BigInt(i)]) })
    const indices = [0, 3, 9, 99, 1, 2, 5, 7] // 99 is out of range
    const settled = await Promise.allSettled(indices.map((i) => executor.run({ modelCid: models.cid.gather, inputs: { idx: idx(i) } })))
    for (const [k, s] of settled.entries()) {
      const i = indices[k]!
      if (i < GATHER_ROWS) {
        assert.equal(s.status, 'fulfilled', `index ${i}`)
        if (s.status === 'fulfilled') {
          assert.deepEqual(plain(s.value.outputs), plain(await runDirect(models.path.gather, { idx: idx(i) })))
          assert.deepEqual([...(s.value.outputs.y!.data as Float32Array)], [i, i + 0.25, i + 0.5, i + 0.75])
        }
      } else {
        assert.equal(s.status, 'rejected')
        if (s.status === 'rejected') {
          assert.ok(ErrRunFailed.is(s.reason), String(s.reason))
          assert.match(
            s.reason.message,
            new RegExp(`^model ${models.cid.gather} failed: .*idx=99 must be within the inclusive range \\[-10,9\\]`),
          )
        }
      }
    }
    // One batch run that failed, then each of its 8 requests alone.
    assert.equal(executor.stats().batches, 9)
    assert.equal(executor.stats().failed, 1)
    assert.equal(executor.stats().completed, 7)
  } finally {
    await executor.close()
  }
})

test('a request with the wrong shape does not join (and break) the batch of well-formed ones', async () => {
  const executor = new InferenceExecutor(models.source, { workers: 1, maxBatch: 4, maxWaitMs: 600_000 })
  try {
    const good = [1, 2, 3, 4].map((i) => executor.run({ modelCid: models.cid.mlp, inputs: { x: floatRows(3000 + i, 1, 16) } }))
    const bad = executor.run({ modelCid: models.cid.mlp, inputs: { x: floatRows(3009, 4, 15) } }) // 4 rows: a full batch on its own
    const results = await Promise.all(good)
    assert.ok(results.every((r) => r.batchSize === 4))
    await assert.rejects(bad, (err: Error) => {
      assert.ok(ErrRunInput.is(err), String(err))
      assert.match(
        err.message,
        /input "x" \(got float32 \[4, 15\], the model takes float32 \[batch, 16\]\): Got invalid dimensions for input: x/,
      )
      return true
    })
  } finally {
    await executor.close()
  }
})
