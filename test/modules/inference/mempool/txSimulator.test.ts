import assert from 'node:assert/strict'
import fs from 'node:fs'
import { test } from 'node:test'
import { type Abi, encodeDeployData, encodeFunctionData, getContractAddress, type Hex } from 'viem'
import { modelCid } from '../../../../app/modelHub/cid.ts'
import { ErrUnknownModel } from '../../../../app/modules/inference/errors.ts'
import { WARM_UP_RUNS } from '../../../../app/modules/inference/mempool/simulationWarmUp.ts'
import { TxSimulator } from '../../../../app/modules/inference/mempool/txSimulator.ts'
import { INFERENCE_PRECOMPILE_ADDRESS } from '../../../../app/modules/inference/precompile/abi.ts'
import { compileFixture } from '../../../support/contracts.ts'
import { precompileCall, row } from '../../../support/inference.ts'
import { devKeys, openInProcessApp, signedTx } from '../../../support/inProcessApp.ts'
import { waitFor } from '../../../support/rpc.ts'

/**
 * TxSimulator on its worker threads, against a real in-process app (LevelDB state, the hub):
 * what a simulation reports, and the consistent view — a simulation reads the committed state
 * it started on, even when a block is committed while it runs.
 */
test('simulation threads: requests, reads and answers; a simulation started before a commit reads the state it started on', async () => {
  const a = await openInProcessApp()
  const simulator = new TxSimulator(a.app.evm, a.app.inference.modes, a.app.inference.hub, 2)
  try {
    await a.block([])
    const cid = (await a.app.inference.hub.put(fs.readFileSync('models/risk-scorer.onnx'))).metadata.cid
    const c = compileFixture('StateInput.sol', 'StateInput')
    const abi = c.abi as Abi
    const contract = getContractAddress({ from: devKeys[1]!.address as Hex, nonce: 0n })
    const set = (nonce: bigint, v: bigint) =>
      signedTx(1, nonce, { to: contract, data: encodeFunctionData({ abi, functionName: 'set', args: [v] }) })
    assert.deepEqual(
      (await a.block([signedTx(1, 0n, { data: encodeDeployData({ abi, bytecode: c.bytecode }) }), set(1n, 5n)])).codes,
      [0, 0],
    )
    const infer = (model: string, nonce = 0n) =>
      a.app.evm.txCache.decode(
        signedTx(2, nonce, { to: contract, data: encodeFunctionData({ abi, functionName: 'infer', args: [model] }) }),
      )
    const feature = (sim: Awaited<ReturnType<TxSimulator['simulate']>>) => sim.calls[0]?.request.input.numbers[0]?.values[0]?.value

    const eth = infer(cid)
    const head = a.app.evm.head()!.header.number
    const first = await simulator.simulate(eth, { kind: 'simulation', results: new Map() })
    assert.equal(first.height, head)
    assert.equal(first.calls.length, 1)
    assert.equal(first.calls[0]!.outcome, 'placeholder', 'not computed yet: the simulation output')
    assert.equal(feature(first), 5n)
    assert.ok(
      [...first.reads].some((k) => k.startsWith('s')),
      'the stored feature was read',
    )
    assert.equal(first.used.size, 0)

    // Answered from the results sent with the task; a block run without them reports it missing.
    const result = await a.app.inference.results.compute(first.calls[0]!.request, 20_000)
    const answered = await simulator.simulate(eth, { kind: 'simulation', results: new Map([[result.keyHex, result]]) })
    assert.equal(answered.calls[0]!.outcome, 'answered')
    assert.deepEqual(answered.calls[0]!.output, result.output)
    assert.deepEqual([...answered.used.keys()], [result.keyHex])
    const missing = await simulator.simulate(eth, { kind: 'block', results: new Map() })
    assert.equal(missing.calls[0]!.outcome, 'missing')
    // A block's result set goes to each thread once and is named afterwards; a thread keeps the
    // last few, so a set used again after others is sent again.
    const blockResults = new Map([[result.keyHex, result]])
    const others = Array.from({ length: 6 }, () => new Map([[result.keyHex, result]]))
    for (const results of [blockResults, blockResults, blockResults, ...others, blockResults, blockResults]) {
      const runs = await Promise.all([0, 1, 2].map(() => simulator.simulate(eth, { kind: 'block', results })))
      for (const r of runs) assert.equal(r.calls[0]!.outcome, 'answered')
    }

    // Started on the head where feature = 5, held while a block that sets 9 is committed: a
    // fresh simulator whose node reads the test releases only after that commit.
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const { evm } = a.app
    const nodes = {
      get: async (key: string) => {
        await gate
        return evm.state.nodes.get(key)
      },
    }
    const held = { head: () => evm.head(), simulationHead: () => evm.simulationHead(), blocks: evm.blocks, state: { nodes } as never }
    const gated = new TxSimulator(held, a.app.inference.modes, a.app.inference.hub, 1)
    try {
      const during = gated.simulate(eth, { kind: 'simulation', results: new Map() })
      assert.deepEqual((await a.block([set(2n, 9n)])).codes, [0])
      release()
      const sim = await during
      assert.equal(sim.height, head, 'it ran on the head it started on')
      assert.equal(feature(sim), 5n, "and read that head's state, though the node now holds feature = 9")
    } finally {
      await gated.close()
    }
    const after = await simulator.simulate(eth, { kind: 'simulation', results: new Map() })
    assert.equal(after.height, head + 1n)
    assert.equal(feature(after), 9n)

    // With a compute function, a mempool run waits for the result it needs and ends answered.
    const computing = new TxSimulator(a.app.evm, a.app.inference.modes, a.app.inference.hub, 1, (r) =>
      a.app.inference.results.compute(r, 20_000),
    )
    try {
      let waited = 0
      const fresh = infer(cid, 4n)
      const once = await computing.simulate(fresh, { kind: 'simulation', results: new Map(), onCompute: () => waited++ })
      assert.equal(once.calls[0]!.outcome, 'answered')
      assert.equal(waited, 1, 'it told the caller it waited for a model')
      const got = once.used.get(once.calls[0]!.request.keyHex)
      assert.ok(got)
      assert.deepEqual(once.calls[0]!.output, got.output)
    } finally {
      await computing.close()
    }

    // Many at once over both threads: each gets its own answer.
    const unknownCid = await modelCid(new TextEncoder().encode('not uploaded'))
    const txs = [infer(cid), infer(unknownCid, 1n), infer(cid, 2n), infer(unknownCid, 3n)]
    const sims = await Promise.all(txs.map((t) => simulator.simulate(t, { kind: 'simulation', results: new Map() })))
    sims.forEach((s, i) => {
      if (i % 2 === 0) assert.equal(s.refused.length, 0, `tx ${i}`)
      else assert.ok(ErrUnknownModel.is(s.refused[0]), `tx ${i}: ${s.refused[0]?.message}`)
    })
  } finally {
    await simulator.close()
    await a.close()
  }
  await assert.rejects(simulator.simulate({} as never, { kind: 'simulation', results: new Map() }), /the simulator is closed/)
})

test('each simulation thread warms up when it starts, its placeholder and block-answer runs both reaching the precompile; a task sent meanwhile waits and is answered', async () => {
  const a = await openInProcessApp()
  const simulator = new TxSimulator(a.app.evm, a.app.inference.modes, a.app.inference.hub, 2)
  try {
    simulator.startThreads()
    const cid = (await a.app.inference.hub.put(fs.readFileSync('models/risk-scorer.onnx'))).metadata.cid
    // Sent at once: the thread is still warming up.
    const eth = signedTx(2, 0n, { to: INFERENCE_PRECOMPILE_ADDRESS, data: precompileCall(cid, [row('features', [1n, 2n, 3n, 4n])]) })
    const sim = await simulator.simulate(a.app.evm.txCache.decode(eth), { kind: 'simulation', results: new Map() })
    assert.equal(sim.calls[0]?.request.modelCid, cid)
    assert.equal(sim.calls[0]?.outcome, 'placeholder')
    assert.ok(simulator.warmUps().length >= 1, 'its answer comes after the warm-up report')
    await waitFor('both threads warmed up', async () => (simulator.warmUps().length === 2 ? true : undefined), 60_000)
    for (const w of simulator.warmUps()) {
      assert.equal(w.error, undefined)
      assert.equal(w.runs, WARM_UP_RUNS)
      assert.equal(w.placeholders, WARM_UP_RUNS / 2, 'mempool answers: the placeholder')
      assert.equal(w.answered, WARM_UP_RUNS / 2, "block answers: the block's result")
    }
  } finally {
    await simulator.close()
    await a.close()
  }
})
