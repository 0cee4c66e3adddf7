import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BatchQueue, type QueueItem } from '../../app/executor/batchQueue.ts'

const job = (cid: string, rows: number | undefined, signature = 's'): QueueItem & { name: string } => ({
  cid,
  rows,
  signature,
  enqueuedAt: performance.now(),
  name: `${cid}/${rows}/${signature}`,
})

const model = { path: '/m.onnx', batchable: true }

test('a group is ready when it holds maxBatch rows; a batch takes whole requests in order up to maxBatch rows', () => {
  let ready = 0
  const q = new BatchQueue<ReturnType<typeof job>>({ maxBatch: 4, maxWaitMs: 600_000, onReady: () => ready++ })
  try {
    q.add(job('m', 1), model)
    q.add(job('m', 2), model)
    assert.equal(q.take(), undefined, '3 rows: not full, not due')
    q.add(job('m', 2), model)
    assert.equal(ready, 1)
    const b = q.take()!
    assert.deepEqual(
      b.jobs.map((j) => j.rows),
      [1, 2],
    )
    assert.equal(b.path, '/m.onnx')
    assert.equal(q.size, 1)
    assert.equal(q.take(), undefined, 'the rest waits for company')
  } finally {
    q.drain()
  }
})

test('requests of other signatures, models, or of non-batchable models never share a batch', () => {
  const q = new BatchQueue<ReturnType<typeof job>>({ maxBatch: 2, maxWaitMs: 0, onReady: () => {} })
  q.add(job('m', 1, 'a'), model)
  q.add(job('m', 1, 'b'), model)
  q.add(job('n', 1, 'a'), model)
  q.add(job('f', 1, 'a'), { path: '/f.onnx', batchable: false })
  q.add(job('f', 1, 'a'), { path: '/f.onnx', batchable: false })
  q.add(job('m', undefined, 'a'), model) // unstackable inputs
  const batches = []
  for (let b = q.take(); b; b = q.take()) batches.push(b.jobs.map((j) => j.name))
  assert.deepEqual(batches, [['m/1/a'], ['m/1/b'], ['n/1/a'], ['f/1/a'], ['f/1/a'], ['m/undefined/a']])
  assert.equal(q.size, 0)
})

test('after maxWaitMs a partial batch becomes ready and onReady fires', async () => {
  const q = new BatchQueue<ReturnType<typeof job>>({ maxBatch: 64, maxWaitMs: 1, onReady: () => resolve() })
  let resolve!: () => void
  const fired = new Promise<void>((r) => (resolve = r))
  q.add(job('m', 1), model)
  q.add(job('m', 1), model)
  await fired
  assert.deepEqual(q.take()!.jobs.length, 2)
})
