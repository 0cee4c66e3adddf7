import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CheckTxOutcomes } from '../../app/abci/checkTxOutcomes.ts'
import { type BroadcastResult, type CometClient, CometRpcError } from '../../app/rpc/cometClient.ts'
import { TxIntake } from '../../app/rpc/txIntake.ts'

/**
 * rpc/txIntake.ts with an in-process stand-in for CometBFT that enqueues like broadcast_tx_async
 * and runs CheckTx later, in the order it took the txs (the real path is covered by
 * test/integration/checkTx.test.ts).
 */
class AsyncComet {
  readonly taken: number[] = []
  private readonly cache = new Set<number>()
  constructor(private readonly outcomes: CheckTxOutcomes) {}

  broadcastTxAsync(tx: Uint8Array): Promise<BroadcastResult> {
    const id = tx[0]!
    if (this.cache.has(id)) return Promise.reject(new CometRpcError('tx already exists in cache'))
    this.cache.add(id)
    this.taken.push(id)
    // CheckTx runs a few turns later; odd ids are refused.
    setTimeout(
      () => this.outcomes.settle(tx, id % 2 ? { code: 5, codespace: 'evm', log: `odd ${id}` } : { code: 0, codespace: '', log: '' }),
      5,
    )
    return Promise.resolve({ code: 0, codespace: '', log: '', hash: '' })
  }
}

function delayed<T>(ms: number, value: T, fail = false): Promise<T> {
  return new Promise((resolve, reject) => setTimeout(() => (fail ? reject(new Error(`decode ${value}`)) : resolve(value)), ms))
}

function setup() {
  const outcomes = new CheckTxOutcomes()
  const comet = new AsyncComet(outcomes)
  return { outcomes, comet, intake: new TxIntake(comet as unknown as CometClient, outcomes) }
}

test('txs reach CometBFT in arrival order even when later ones finish decoding first; each gets its own CheckTx answer', async () => {
  const { comet, intake, outcomes } = setup()
  const results = await Promise.all([0, 1, 2, 3, 4, 5].map((id) => intake.submit(Uint8Array.of(id, 9, 9), delayed(30 - id * 5, id))))
  assert.deepEqual(comet.taken, [0, 1, 2, 3, 4, 5])
  assert.deepEqual(
    results.map((r) => r.code),
    [0, 5, 0, 5, 0, 5],
  )
  assert.equal(results[3]!.log, 'odd 3')
  assert.equal(outcomes.pending, 0)
})

test('a tx that does not decode is never sent and does not hold back the txs after it', async () => {
  const { comet, intake } = setup()
  const bad = intake.submit(Uint8Array.of(7), delayed(5, 7, true))
  const good = intake.submit(Uint8Array.of(8), delayed(1, 8))
  await assert.rejects(bad, /decode 7/)
  assert.equal((await good).code, 0)
  assert.deepEqual(comet.taken, [8])
})

test("CometBFT's own refusal rejects the submission and leaves no waiter behind", async () => {
  const { intake, outcomes } = setup()
  await intake.submit(Uint8Array.of(2), Promise.resolve())
  await assert.rejects(intake.submit(Uint8Array.of(2), Promise.resolve()), /already exists in cache/)
  assert.equal(outcomes.pending, 0)
})

test('CheckTxOutcomes: a CheckTx nobody here waits for is ignored; identical bytes settle oldest first; a missing answer times out', async () => {
  const outcomes = new CheckTxOutcomes()
  outcomes.settle(Uint8Array.of(1, 2), { code: 0, codespace: '', log: 'peer' })
  const a = outcomes.expect(Uint8Array.of(1, 2))
  const b = outcomes.expect(Uint8Array.of(1, 2))
  // Same fingerprint (length and tail), different bytes: not a match.
  const other = outcomes.expect(Uint8Array.of(3, 2).subarray(0, 2))
  outcomes.settle(Uint8Array.of(1, 2), { code: 0, codespace: '', log: 'first' })
  assert.equal((await a.outcome).log, 'first')
  assert.equal(outcomes.pending, 2)
  b.cancel()
  other.cancel()
  assert.equal(outcomes.pending, 0)
  const lost = outcomes.expect(Uint8Array.of(9), 20)
  // The wait timer is unref'd (it must not keep a stopping node alive): hold the loop open.
  const hold = setTimeout(() => {}, 1000)
  await assert.rejects(lost.outcome, /CheckTx did not run within 0.02 s/)
  clearTimeout(hold)
  assert.equal(outcomes.pending, 0)
})
