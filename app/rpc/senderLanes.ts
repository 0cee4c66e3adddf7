/**
 * Runs tasks of one key (a tx sender) one after another, in the order they were queued, while
 * tasks of different keys run concurrently. eth_sendRawTransaction broadcasts through it, so a
 * sender's txs reach CheckTx in the order the client sent them even inside one HTTP batch.
 */
export class SenderLanes {
  private readonly tails = new Map<string, Promise<unknown>>()

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve()
    const result = previous.then(task, task)
    const tail = result.catch(() => {})
    this.tails.set(key, tail)
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key)
    })
    return result
  }

  get busy(): number {
    return this.tails.size
  }
}
