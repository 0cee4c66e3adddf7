import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { ErrQueueFull } from '../../app/executor/errors.ts'
import { InferenceExecutor } from '../../app/executor/inferenceExecutor.ts'
import type { ModelRunOutput } from '../../app/executor/modelRun.ts'
import { floatRows, type TestModels, writeTestModels } from './testModels.ts'

let models: TestModels

before(async () => {
  models = await writeTestModels(['mlp', 'int64'])
})

after(() => models.remove())

/** How a promise stands right now: an already-settled promise wins the race against an already-resolved one listed after it. */
async function state(p: Promise<unknown>): Promise<'fulfilled' | 'rejected' | 'pending'> {
  const pending = Symbol('pending')
  return Promise.race([p, Promise.resolve(pending)]).then(
    (v) => (v === pending ? 'pending' : 'fulfilled'),
    () => 'rejected',
  )
}

test('over maxQueuePerModel waiting requests, run rejects at once with ErrQueueFull naming the model', async () => {
  const executor = new InferenceExecutor(models.source, { workers: 1, maxQueuePerModel: 4 })
  try {
    const accepted = [1, 2, 3, 4].map((i) => executor.run({ modelCid: models.cid.mlp, inputs: { x: floatRows(i, 1, 16) } }))
    assert.deepEqual(executor.stats().perModel, { [models.cid.mlp]: { queued: 4 } })
    const refused = executor.run({ modelCid: models.cid.mlp, inputs: { x: floatRows(5, 1, 16) } })
    assert.equal(await state(refused), 'rejected')
    await assert.rejects(refused, (err: Error) => {
      assert.ok(ErrQueueFull.is(err))
      assert.equal(err.message, `inference queue for model ${models.cid.mlp} is full (4 waiting); try again later`)
      return true
    })
    // Another model has its own queue.
    const other = executor.run({ modelCid: models.cid.int64, inputs: { ids: { type: 'int64', dims: [1, 4], data: new BigInt64Array(4) } } })
    const results: ModelRunOutput[] = await Promise.all([...accepted, other])
    assert.equal(results.length, 5)
    assert.equal(executor.stats().failed, 1)
    // Once the queue has drained, the model takes requests again.
    await executor.run({ modelCid: models.cid.mlp, inputs: { x: floatRows(5, 1, 16) } })
  } finally {
    await executor.close()
  }
})

test('over maxQueued waiting requests in total, run rejects at once with ErrQueueFull', async () => {
  const executor = new InferenceExecutor(models.source, { workers: 1, maxQueued: 3 })
  try {
    const accepted = [
      executor.run({ modelCid: models.cid.mlp, inputs: { x: floatRows(1, 1, 16) } }),
      executor.run({ modelCid: models.cid.mlp, inputs: { x: floatRows(2, 1, 16) } }),
      executor.run({ modelCid: models.cid.int64, inputs: { ids: { type: 'int64', dims: [1, 4], data: new BigInt64Array(4) } } }),
    ]
    const refused = executor.run({
      modelCid: models.cid.int64,
      inputs: { ids: { type: 'int64', dims: [1, 4], data: new BigInt64Array(4).fill(1n) } },
    })
    assert.equal(await state(refused), 'rejected')
    await assert.rejects(refused, (err: Error) => {
      assert.ok(ErrQueueFull.is(err))
      assert.equal(err.message, 'inference queue is full (3 waiting for all models); try again later')
      return true
    })
    await Promise.all(accepted)
    assert.equal(executor.stats().queued, 0)
  } finally {
    await executor.close()
  }
})
