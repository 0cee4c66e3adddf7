import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import {
  ErrExecutorClosed,
  ErrModelMissing,
  ErrModelSource,
  ErrRunInput,
  ErrRunTimeout,
  ErrSessionCreate,
  ErrWorkerCrashed,
} from '../../app/executor/errors.ts'
import { InferenceExecutor } from '../../app/executor/inferenceExecutor.ts'
import type { ModelSource } from '../../app/executor/modelSource.ts'
import type { TensorData } from '../../app/executor/tensorData.ts'
import { FileModelSource } from '../support/fileModelSource.ts'
import { CRASH_CID } from './crashingWorker.ts'
import { HELD_PREFIX } from './heldWorker.ts'
import { floatRows, plain, runDirect, type TestModels, writeTestModels } from './testModels.ts'

let models: TestModels
let executor: InferenceExecutor

before(async () => {
  models = await writeTestModels(['mlp', 'garbage'])
  executor = new InferenceExecutor(models.source, { workers: 2 })
})

after(async () => {
  await executor.close()
  models.remove()
})

/** Resolves once the executor has `n` requests running (a worker took them). */
async function untilRunning(ex: InferenceExecutor, n: number): Promise<void> {
  while (ex.stats().running < n) await new Promise((r) => setTimeout(r, 5))
}

test('unknown model: ErrModelMissing "unknown model <cid>"', async () => {
  const cid = 'bafkreiaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
  await assert.rejects(executor.run({ modelCid: cid, inputs: { x: floatRows(1, 1, 16) } }), (err: Error) => {
    assert.ok(ErrModelMissing.is(err))
    assert.equal(err.message, `unknown model ${cid}`)
    assert.ok(ErrModelMissing.is(err), String(err))
    return true
  })
})

test('a model source that throws: ErrModelSource with its message', async () => {
  const broken: ModelSource = {
    path: async () => {
      throw new Error('model store offline')
    },
    batchable: async () => true,
  }
  const ex = new InferenceExecutor(broken, { workers: 1 })
  try {
    await assert.rejects(ex.run({ modelCid: 'm', inputs: { x: floatRows(1, 1, 16) } }), (err: Error) => {
      assert.ok(ErrModelSource.is(err))
      assert.equal(err.message, 'cannot look up model m: model store offline')
      return true
    })
  } finally {
    await ex.close()
  }
})

test('a file onnxruntime cannot load: ErrSessionCreate with its path and onnxruntime’s message, every time', async () => {
  for (let i = 0; i < 2; i++) {
    await assert.rejects(executor.run({ modelCid: models.cid.garbage, inputs: { x: floatRows(i, 1, 16) } }), (err: Error) => {
      assert.ok(ErrSessionCreate.is(err), String(err))
      assert.ok(
        err.message.startsWith(`cannot create an onnxruntime session for model ${models.cid.garbage} from ${models.path.garbage}: `),
        err.message,
      )
      assert.match(err.message, /protobuf parsing failed|Load model/i)
      return true
    })
  }
})

test('wrong input name, element type or shape: onnxruntime’s error, with the input named', async () => {
  const cid = models.cid.mlp
  const cases: { inputs: Record<string, TensorData>; message: RegExp }[] = [
    {
      inputs: { features: floatRows(1, 1, 16) },
      message:
        /^model \S+: input "features" \(the model has no such input; it takes x: float32 \[batch, 16\]\): input 'x' is missing in 'feeds'/,
    },
    {
      inputs: { x: { type: 'float64', dims: [1, 16], data: new Float64Array(16) } },
      message: /^model \S+: input "x" \(got float64 \[1, 16\], the model takes float32 \[batch, 16\]\): Unexpected input data type/,
    },
    {
      inputs: { x: floatRows(1, 1, 17) },
      message:
        /^model \S+: input "x" \(got float32 \[1, 17\], the model takes float32 \[batch, 16\]\): Got invalid dimensions for input: x/,
    },
    {
      inputs: { x: { type: 'float32', dims: [16], data: new Float32Array(16) } },
      message: /^model \S+: input "x" \(got float32 \[16\], the model takes float32 \[batch, 16\]\): Invalid rank for input: x/,
    },
  ]
  for (const c of cases) {
    await assert.rejects(executor.run({ modelCid: cid, inputs: c.inputs }), (err: Error) => {
      assert.ok(ErrRunInput.is(err), String(err))
      assert.match(err.message, c.message)
      return true
    })
  }
})

test('a tensor that contradicts itself is refused before any worker sees it', async () => {
  const before = executor.stats().batches
  const bad = [
    [{ type: 'float32', dims: [1, 16], data: new Float32Array(15) }, /input "x" dims \[1, 16\] hold 16 elements but the data has 15/],
    [{ type: 'float32', dims: [1, 16], data: new Float64Array(16) }, /input "x" is float32: data must be a Float32Array, got Float64Array/],
    [{ type: 'float16', dims: [1], data: new Uint16Array(1) }, /input "x" has unsupported element type "float16"/],
    [{ type: 'float32', dims: [1.5], data: new Float32Array(1) }, /input "x" dims must be an array of non-negative integers/],
  ] as const
  for (const [x, message] of bad) {
    await assert.rejects(executor.run({ modelCid: models.cid.mlp, inputs: { x: x as never } }), (err: Error) => {
      assert.ok(ErrRunInput.is(err), String(err))
      assert.match(err.message, message)
      return true
    })
  }
  assert.equal(executor.stats().batches, before)
})

/** An executor of one worker whose runs of the returned CID hold the worker until `release()`. */
function heldExecutor(): { ex: InferenceExecutor; cid: string; release: () => void } {
  const flag = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-held-')), 'release')
  const cid = `${HELD_PREFIX}${flag}`
  const source = new FileModelSource({ [cid]: models.path.mlp, [models.cid.mlp]: models.path.mlp })
  const ex = new InferenceExecutor(source, { workers: 1, workerEntry: new URL('./heldWorker.ts', import.meta.url) })
  return { ex, cid, release: () => fs.writeFileSync(flag, '') }
}

test('timeout: the caller gets ErrRunTimeout naming the model and the limit; the run goes on and the executor stays usable', async () => {
  const { ex, cid, release } = heldExecutor()
  try {
    const x = floatRows(5, 1, 16)
    await ex.run({ modelCid: models.cid.mlp, inputs: { x } }) // the worker is up
    await assert.rejects(ex.run({ modelCid: cid, inputs: { x } }, { timeoutMs: 50 }), (err: Error) => {
      assert.ok(ErrRunTimeout.is(err), String(err))
      assert.equal(err.message, `inference on model ${cid} timed out after 50 ms`)
      return true
    })
    // The work goes on (a thread cannot be stopped inside onnxruntime); the next run waits for it.
    assert.equal(ex.stats().running, 1)
    const late = ex.run({ modelCid: models.cid.mlp, inputs: { x } })
    release()
    assert.deepEqual(plain((await late).outputs), plain(await runDirect(models.path.mlp, { x })))
    assert.equal(ex.stats().running, 0)
  } finally {
    await ex.close()
  }
})

test('a worker that crashes fails its in-flight requests with ErrWorkerCrashed and is replaced', async () => {
  // The real inference worker, made to exit abruptly when it is given work for CRASH_CID.
  const source = new FileModelSource({ [CRASH_CID]: models.path.mlp, [models.cid.mlp]: models.path.mlp })
  const ex = new InferenceExecutor(source, { workers: 1, workerEntry: new URL('./crashingWorker.ts', import.meta.url) })
  try {
    const inFlight = [1, 2, 3].map((i) => ex.run({ modelCid: CRASH_CID, inputs: { x: floatRows(i, 1, 16) } }))
    for (const p of inFlight) {
      await assert.rejects(p, (err: Error) => {
        assert.ok(ErrWorkerCrashed.is(err), String(err))
        assert.equal(
          err.message,
          `inference worker 0 crashed (exit code 70) while running model ${CRASH_CID}; the run was not completed, send it again`,
        )
        return true
      })
    }
    assert.equal(ex.stats().running, 0)
    // A new worker took the seat.
    const x = floatRows(7, 1, 16)
    const r = await ex.run({ modelCid: models.cid.mlp, inputs: { x } })
    assert.deepEqual(plain(r.outputs), plain(await runDirect(models.path.mlp, { x })))
  } finally {
    await ex.close()
  }
})

test('close() fails queued and running requests with ErrExecutorClosed, refuses new ones, and can be called twice', async () => {
  const { ex, cid, release } = heldExecutor()
  const running = ex.run({ modelCid: cid, inputs: { x: floatRows(8, 1, 16) } })
  await untilRunning(ex, 1)
  const queued = ex.run({ modelCid: models.cid.mlp, inputs: { x: floatRows(9, 1, 16) } })
  const outcomes = Promise.allSettled([running, queued])
  const closed = ex.close()
  release() // the worker exits once the held run ends
  await closed
  const after = ex.run({ modelCid: models.cid.mlp, inputs: { x: floatRows(10, 1, 16) } })
  for (const p of [...(await outcomes), ...(await Promise.allSettled([after]))]) {
    assert.equal(p.status, 'rejected')
    if (p.status === 'rejected') {
      assert.ok(ErrExecutorClosed.is(p.reason))
      assert.equal(p.reason.message, 'inference executor is closed')
    }
  }
  await ex.close()
  assert.deepEqual({ queued: ex.stats().queued, running: ex.stats().running }, { queued: 0, running: 0 })
})
