import { readFile } from 'node:fs/promises'
import type { ModelSource } from '../../app/executor/modelSource.ts'
import { isBatchable } from '../../app/modelHub/modelMetadata.ts'
import { parseOnnxModel } from '../../app/modelHub/onnxModel.ts'

/**
 * A ModelSource over .onnx files whose CIDs the owner already knows (tests, benchmarks, a node
 * serving a fixed set of models). Batchability is read from the file's graph once per model.
 * @example const models = new FileModelSource({ [cid]: '/models/risk-scorer.onnx' })
 */
export class FileModelSource implements ModelSource {
  private readonly paths = new Map<string, string>()
  private readonly batchability = new Map<string, Promise<boolean>>()

  constructor(paths: Record<string, string> = {}) {
    for (const [cid, path] of Object.entries(paths)) this.add(cid, path)
  }

  add(cid: string, path: string): this {
    this.paths.set(cid, path)
    this.batchability.delete(cid)
    return this
  }

  async path(cid: string): Promise<string | undefined> {
    return this.paths.get(cid)
  }

  async batchable(cid: string): Promise<boolean> {
    const path = this.paths.get(cid)
    if (path === undefined) return false
    let b = this.batchability.get(cid)
    if (!b) {
      b = readFile(path).then((bytes) => {
        let info: ReturnType<typeof parseOnnxModel>
        try {
          info = parseOnnxModel(bytes)
        } catch {
          // Not a model we can read: let onnxruntime say what is wrong when it loads it.
          return false
        }
        return isBatchable(info.inputs, info.outputs)
      })
      this.batchability.set(cid, b)
      b.catch(() => this.batchability.delete(cid))
    }
    return b
  }
}
