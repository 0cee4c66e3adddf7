import type { ModelRun } from './modelRun.ts'

/** What the executor needs to know to batch a run with others. */
export interface BatchShape {
  /**
   * Equal when two runs of the same model can be stacked along dim 0: same input names,
   * element types and dims except the first.
   */
  signature: string
  /** The first dim all inputs share (the rows the run adds to a batch); undefined when they do not share one. */
  rows: number | undefined
}

/**
 * The batch signature and rows of a run. Inputs are taken in name order, so the order they are
 * listed in does not matter.
 * @example batchShape({ modelCid: 'bafk…', inputs: { x: { type: 'float32', dims: [3, 4], data } } }) // { signature: 'x\u0000float32\u00002\u00004', rows: 3 }
 */
export function batchShape(run: ModelRun): BatchShape {
  const names = Object.keys(run.inputs)
  if (names.length > 1) names.sort()
  let signature = ''
  let rows: number | undefined
  let stackable = names.length > 0
  for (const name of names) {
    const { type, dims } = run.inputs[name] as ModelRun['inputs'][string]
    signature += `${name}\u0000${type}\u0000${dims.length}`
    for (let i = 1; i < dims.length; i++) signature += `\u0000${dims[i]}`
    signature += '\u0001'
    if (dims.length === 0) stackable = false
    else if (rows === undefined) rows = dims[0]
    else if (rows !== dims[0]) stackable = false
  }
  return { signature, rows: stackable ? rows : undefined }
}
