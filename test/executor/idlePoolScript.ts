import { InferenceExecutor } from '../../app/executor/inferenceExecutor.ts'
import { FileModelSource } from '../support/fileModelSource.ts'
import { floatRows } from './testModels.ts'

/**
 * Run by scheduling.test.ts as its own process: answers a few requests with the model at
 * argv[2] and never closes the executor. The process must still exit on its own.
 */
const source = new FileModelSource({ model: process.argv[2]! })
const executor = new InferenceExecutor(source, { workers: 2 })
const results = await Promise.all([1, 2, 3].map((i) => executor.run({ modelCid: 'model', inputs: { x: floatRows(i, 1, 16) } })))
console.log(`answered ${results.length} requests, y[0] = ${(results[0]!.outputs.y!.data as Float32Array)[0]}`)
