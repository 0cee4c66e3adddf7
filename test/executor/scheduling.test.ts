import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { InferenceExecutor } from '../../app/executor/inferenceExecutor.ts'
import { FileModelSource } from '../support/fileModelSource.ts'
import { HELD_PREFIX } from './heldWorker.ts'
import { floatRows, plain, runDirect, type TestModels, writeTestModels } from './testModels.ts'

let models: TestModels

before(async () => {
  models = await writeTestModels(['mlp'])
})

after(() => models.remove())

test('on a 2-worker pool, a run that holds its worker does not hold up other models', async () => {
  // The "slow" run blocks its worker thread until the test releases it (heldWorker.ts).
  const release = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-held-')), 'release')
  const heldCid = `${HELD_PREFIX}${release}`
  const source = new FileModelSource({ [heldCid]: models.path.mlp, [models.cid.mlp]: models.path.mlp })
  const executor = new InferenceExecutor(source, { workers: 2, workerEntry: new URL('./heldWorker.ts', import.meta.url) })
  try {
    const finished: string[] = []
    const slow = executor.run({ modelCid: heldCid, inputs: { x: floatRows(1, 1, 16) } }).then(() => finished.push('slow'))
    // Fast requests one after another, each waiting for the previous, and a burst at once.
    for (let i = 0; i < 20; i++) {
      const x = floatRows(100 + i, 1, 16)
      const r = await executor.run({ modelCid: models.cid.mlp, inputs: { x } })
      assert.deepEqual(plain(r.outputs), plain(await runDirect(models.path.mlp, { x })))
      finished.push(`fast ${i}`)
    }
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        executor.run({ modelCid: models.cid.mlp, inputs: { x: floatRows(200 + i, 1, 16) } }).then(() => finished.push('burst')),
      ),
    )
    assert.equal(executor.stats().running, 1, 'the held run is still running')
    fs.writeFileSync(release, '')
    await slow
    assert.equal(finished.length, 71)
    assert.equal(finished.at(-1), 'slow', 'every fast request finished before the slow one')
  } finally {
    await executor.close()
  }
})

test('an idle pool does not keep the process alive (no close() needed to exit)', async () => {
  const script = fileURLToPath(new URL('./idlePoolScript.ts', import.meta.url))
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    // The time limit only stops a hung child; the test's assertion is that it exits by itself with its answer.
    const child = execFile(process.execPath, ['--import', 'tsx', script, models.path.mlp], { timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    )
    child.stdin?.end()
  })
  assert.equal(code, 0, stderr)
  assert.match(stdout, /^answered 3 requests, y\[0\] = -?\d/m)
})
