/**
 * Where the executor finds models. The model hub implements it; the executor calls it on the
 * main thread and hands only the path to its workers.
 */
export interface ModelSource {
  /** Path of the model's .onnx file, or undefined when this node does not have the model. */
  path(cid: string): Promise<string | undefined>
  /** True when every input and output has a symbolic first dim, so requests can be stacked along it. */
  batchable(cid: string): Promise<boolean>
}
