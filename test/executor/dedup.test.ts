import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { InferenceExecutor } from '../../app/executor/inferenceExecutor.ts'
import { floatRows, plain, runDirect, writeTestModels, type TestModels } from './testModels.ts'

let models: TestModels
let executor: InferenceExecutor

before(async () => {
  models = await writeTestModels(['mlp'])
  executor = new InferenceExecutor(models.source, { workers: 2 })
})

after(async () => {
  await executor.close()
  models.remove()
})

test('N identical concurrent requests run the model once and all get the result', async () => {
  const x = floatRows(11, 1, 16)
  const before = executor.stats()
  // Each caller builds its own arrays: identity is by bytes, not by object.
  const results = await Promise.all(
    Array.from({ length: 25 }, () => executor.run({ modelCid: models.cid.mlp, inputs: { x: { ...x, data: x.data.slice() } } })),
  )
  const after = executor.stats()
  assert.equal(after.batches - before.batches, 1, 'one session run')
  assert.equal(after.deduplicated - before.deduplicated, 24)
  assert.equal(after.completed - before.completed, 25)
  const direct = plain(await runDirect(models.path.mlp, { x }))
  for (const r of results) assert.deepEqual(plain(r.outputs), direct)
})

test('a request identical to a recent one is answered from the result cache', async () => {
  const x = floatRows(12, 1, 16)
  const first = await executor.run({ modelCid: models.cid.mlp, inputs: { x } })
  const before = executor.stats()
  const again = await executor.run({ modelCid: models.cid.mlp, inputs: { x: floatRows(12, 1, 16) } })
  const after = executor.stats()
  assert.equal(after.batches, before.batches, 'no session run')
  assert.equal(after.deduplicated - before.deduplicated, 1)
  assert.deepEqual(plain(again.outputs), plain(first.outputs))
  assert.equal(again.micros, first.micros, 'the cached result reports the run that computed it')
})

test('callers sharing a result get their own copies', async () => {
  const x = floatRows(13, 1, 16)
  const [a, b] = await Promise.all([0, 1].map(() => executor.run({ modelCid: models.cid.mlp, inputs: { x } })))
  const expected = (b.outputs.y.data as Float32Array)[0]
  ;(a.outputs.y.data as Float32Array)[0] = 12345
  a.outputs.y.dims.push(7)
  assert.equal((b.outputs.y.data as Float32Array)[0], expected)
  const c = await executor.run({ modelCid: models.cid.mlp, inputs: { x } })
  assert.equal((c.outputs.y.data as Float32Array)[0], expected, 'the cache was not changed through a caller’s copy')
  assert.deepEqual(c.outputs.y.dims, [1, 1])
})

test('requests that differ in one byte, or only in dims, are not deduplicated', async () => {
  const x = floatRows(14, 2, 16)
  const y = { ...x, data: x.data.slice() }
  ;(y.data as Float32Array)[31] = Math.fround((y.data as Float32Array)[31] + 1 / 1024)
  const before = executor.stats()
  const [rx, ry] = await Promise.all([x, y].map((t) => executor.run({ modelCid: models.cid.mlp, inputs: { x: t } })))
  assert.equal(executor.stats().deduplicated, before.deduplicated)
  assert.notDeepEqual(plain(rx.outputs), plain(ry.outputs))
})

test('with the result cache off, a repeated request runs again', async () => {
  const ex = new InferenceExecutor(models.source, { workers: 1, resultCacheSize: 0 })
  try {
    const x = floatRows(15, 1, 16)
    await ex.run({ modelCid: models.cid.mlp, inputs: { x } })
    await ex.run({ modelCid: models.cid.mlp, inputs: { x } })
    assert.equal(ex.stats().batches, 2)
    assert.equal(ex.stats().deduplicated, 0)
  } finally {
    await ex.close()
  }
})
