import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { InferenceExecutor } from '../../app/executor/inferenceExecutor.ts'
import { floatRows, writeTestModels, type TestModels } from './testModels.ts'

let models: TestModels
before(async () => {
  models = await writeTestModels(['mlp'])
})
after(() => models.remove())

/** Niceness of each thread of this process (field 19 of /proc/self/task/<tid>/stat). */
function threadNiceness(): number[] {
  return fs.readdirSync('/proc/self/task').map((tid) => {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[16]) // fields from the state (3rd) on: nice is the 19th
  })
}

test('inference worker threads lower their own priority; the main thread keeps its own', { skip: process.platform !== 'linux' }, async () => {
  const mainBefore = threadNiceness()
  assert.ok(mainBefore.every((n) => n === 0), 'nothing niced before the executor starts')
  const executor = new InferenceExecutor(models.source, { workers: 2, workerNiceness: 7 })
  try {
    await executor.run({ modelCid: models.cid.mlp, inputs: { x: floatRows(1, 1, 16) } })
    await executor.run({ modelCid: models.cid.mlp, inputs: { x: floatRows(2, 1, 16) } })
    const niced = threadNiceness().filter((n) => n === 7).length
    assert.ok(niced >= 2, `${niced} threads at niceness 7, expected the 2 workers`)
    const mainNice = Number(fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[16])
    assert.equal(mainNice, 0, 'the main thread is not niced')
  } finally {
    await executor.close()
  }
})
