import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { PrecompileInput } from '@ethereumjs/evm'
import { hexToBytes } from '@ethereumjs/util'
import type { Hex } from 'viem'
import { initCrypto } from '../../../../app/crypto.ts'
import { modelCid } from '../../../../app/modelHub/cid.ts'
import { createChainCommon } from '../../../../app/modules/evm/chainConfig.ts'
import { decodeEthTx, type EthTx } from '../../../../app/modules/evm/ethTx.ts'
import { type CommittedState, checkProposalResults, type ProvenRequests } from '../../../../app/modules/inference/block/proposalCheck.ts'
import { ErrResultsTx } from '../../../../app/modules/inference/errors.ts'
import { decodeModelOutput } from '../../../../app/modules/inference/precompile/abiDecoder.ts'
import { encodeModelOutput } from '../../../../app/modules/inference/precompile/abiEncoder.ts'
import { VANILLA_ONLY } from '../../../../app/modules/inference/precompile/inferenceCalls.ts'
import { inferencePrecompile } from '../../../../app/modules/inference/precompile/precompile.ts'
import { inferenceRequest } from '../../../../app/modules/inference/types/request.ts'
import { type InferenceResult, resultOf } from '../../../../app/modules/inference/types/result.ts'
import { fakeSimulationRun, precompileCall, row } from '../../../support/inference.ts'
import { signedTx } from '../../../support/inProcessApp.ts'

/**
 * ProcessProposal's inference check with a fake committed state: each tx's "code" runs against
 * the real precompile with the proposal's results as block answers.
 */
await initCrypto()
const common = createChainCommon()
const CID = await modelCid(new TextEncoder().encode('a model'))
const out = (v: bigint) =>
  encodeModelOutput({
    numbers: [{ name: 'y', values: [{ value: v, decimals: 0n }], shape: [1, 1] }],
    strings: [],
    jsons: [],
    is_simulation_result: false,
  })
const req = (x: bigint) => inferenceRequest(0, CID, { numbers: [row('x', [x])], strings: [] })
const res = (x: bigint, y = x + 1n): InferenceResult => resultOf(req(x), out(y), 1000n)

/** The tx's code: calls the model with 1, then with its answer + 10 (the second request depends on the first output). */
type Program = 'chained' | 'none'

function committed(programs: Map<string, Program>, plain = new Set<string>()): CommittedState & { simulated: string[] } {
  const simulated: string[] = []
  return {
    simulated,
    state: {} as never,
    reach: { mayReach: async (eth: EthTx) => !plain.has(eth.hashHex) } as never,
    modes: VANILLA_ONLY,
    verify: async () => undefined,
    simulate: async (eth, answers) => {
      simulated.push(eth.hashHex)
      const run = fakeSimulationRun(eth, answers, { modes: VANILLA_ONLY })
      const calls = run.calls
      const precompile = inferencePrecompile(() => calls)
      const call = (x: bigint) =>
        precompile.function({ data: hexToBytes(precompileCall(CID, [row('x', [x])])), gasLimit: 10_000_000n } as PrecompileInput)
      if (programs.get(eth.hashHex) === 'chained') {
        const first = await call(1n)
        if (!first.exceptionError) await call((decodeModelOutput(first.returnValue).numbers[0]?.values[0]?.value as bigint) + 10n)
      }
      return run.end({ height: 1n, reads: new Set(), readsBlockContext: false })
    },
  }
}

function tx(from: number): EthTx {
  return decodeEthTx(signedTx(from, 0n, { to: `0x${'c0'.repeat(20)}` as Hex, data: '0x' }), common)
}

test('a proposal carrying exactly the results its txs need is accepted; the second request follows the carried first output', async () => {
  const a = tx(1)
  const state = committed(new Map([[a.hashHex, 'chained']]))
  assert.equal(await checkProposalResults([a], [res(1n), res(12n)], state), undefined)
  assert.deepEqual(state.simulated, [a.hashHex])
})

test('a missing result, a result no tx needs, or a first output that makes the tx ask for another second request: rejected', async () => {
  const a = tx(1)
  const state = committed(new Map([[a.hashHex, 'chained']]))
  const missing = await checkProposalResults([a], [res(1n)], state)
  assert.ok(ErrResultsTx.is(missing))
  assert.match(missing.message, new RegExp(`needs the result of model ${CID} request 0x[0-9a-f]{64}, which the block does not carry`))
  const extra = await checkProposalResults([a], [res(1n), res(12n), res(99n)], state)
  assert.match(String(extra?.message), /is needed by no tx of the block/)
  // A forged first output (41): the tx now asks for 51, which the block does not carry.
  assert.match(String((await checkProposalResults([a], [res(1n, 41n), res(12n)], state))?.message), /does not carry/)
  assert.equal(
    await checkProposalResults([a], [res(1n, 41n), res(51n)], state),
    undefined,
    'consistent with the forged output, it is accepted by a node that did not compute the request (checkVanilla)',
  )
})

test('txs that cannot reach the precompile are not simulated; a results tx with no inference txs is refused', async () => {
  const a = tx(1)
  const state = committed(new Map(), new Set([a.hashHex]))
  assert.equal(await checkProposalResults([a], [], state), undefined)
  assert.deepEqual(state.simulated, [])
  assert.match(String((await checkProposalResults([a], [res(1n)], state))?.message), /needed by no tx/)
})

test('a proven verdict spares the simulation and gives the same verdict; one that is not proven is simulated', async () => {
  const a = tx(1)
  const b = tx(2)
  const programs = new Map<string, Program>([
    [a.hashHex, 'chained'],
    [b.hashHex, 'chained'],
  ])
  const proven: ProvenRequests = { provenRequests: (eth) => (eth.hashHex === a.hashHex ? [req(1n), req(12n)] : undefined) }
  for (const results of [[res(1n), res(12n)], [res(1n)], [res(1n), res(12n), res(7n)]]) {
    const withShortcut = committed(programs)
    const without = committed(programs)
    assert.deepEqual(
      await checkProposalResults([a, b], results, withShortcut, proven),
      await checkProposalResults([a, b], results, without),
    )
    assert.ok(!withShortcut.simulated.includes(a.hashHex), 'the proven tx was not simulated')
  }
})

test("every carried result's verification starts before any tx's simulation ends, and the verdict is still the request's", async () => {
  const a = tx(1)
  const events: string[] = []
  const base = committed(new Map([[a.hashHex, 'chained']]))
  const state: CommittedState = {
    ...base,
    startVerifying: (r) => events.push(`start ${r.keyHex}`),
    verify: async (r, request) => {
      events.push(`verify ${r.keyHex}`)
      return r.keyHex === request.keyHex ? undefined : ErrResultsTx.with('not its request')
    },
    simulate: async (eth, answers) => {
      const s = await base.simulate(eth, answers)
      events.push('simulated')
      return s
    },
  }
  const results = [res(1n), res(12n)]
  assert.equal(await checkProposalResults([a], results, state), undefined)
  const simulated = events.indexOf('simulated')
  for (const r of results) {
    assert.ok(events.indexOf(`start ${r.keyHex}`) < simulated, `${r.keyHex} started before the simulation ended: ${events.join(', ')}`)
    assert.ok(events.indexOf(`verify ${r.keyHex}`) > simulated, 'checked against its request once the request is known')
  }
  // A result no tx needs is started too (its verdict is never asked for), and the proposal is still refused for it.
  events.length = 0
  assert.match(String((await checkProposalResults([a], [...results, res(99n)], state))?.message), /needed by no tx/)
  assert.ok(events.includes(`start ${res(99n).keyHex}`))
})
