import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Address } from '@ethereumjs/util'
import type { RunTxResult } from '@ethereumjs/vm'
import { BlockExecutor } from '../../app/block/blockExecutor.ts'
import type { BlockTx } from '../../app/block/blockTx.ts'
import { initCrypto } from '../../app/crypto.ts'
import { AppError } from '../../app/errors.ts'
import type { StoredTx } from '../../app/modules/evm/blockStore.ts'
import { createChainCommon } from '../../app/modules/evm/chainConfig.ts'
import { ErrGasLimitExceedsBlock, ErrTxNotExecutable } from '../../app/modules/evm/errors.ts'
import { decodeEthTx, type EthTx } from '../../app/modules/evm/ethTx.ts'
import type { BlockContext, EvmBlock, ExecutedBlock } from '../../app/modules/evm/evmBlock.ts'
import type { CosmosTx } from '../../app/modules/tx/cosmosTx.ts'
import { WriteSet } from '../../app/store/kvStore.ts'
import { transfer } from '../support/inProcessApp.ts'

/**
 * FinalizeBlock's tx loop with fake modules: which module runs which tx, what counts against the
 * block's gas, what each tx's outcome is, and that a failure of the loop itself keeps nothing.
 */
await initCrypto()
const common = createChainCommon()
const CTX: BlockContext = { height: 7n, timestamp: 1n, proposer: new Uint8Array(20), cometHash: new Uint8Array(32), gasLimit: 100_000n }

const eth = (from: number, gasLimit = 21_000n): EthTx => decodeEthTx(transfer(from, 0n, { gasLimit }), common)
const cosmos = (gasLimit: bigint): BlockTx => ({ kind: 'cosmos', gasLimit, nonce: 0n, raw: new Uint8Array([0x0a]) }) as unknown as CosmosTx

/** A fake EVM: runs each Ethereum tx as `run` says, using its gas limit as gas used. */
function fakes(run: (e: EthTx) => 'ok' | 'revert' | 'refuse' | 'throw') {
  const log: string[] = []
  let gasUsed = 0n
  const included: EthTx[] = []
  const block = {
    get gasUsed() {
      return gasUsed
    },
    baseFee: 7n,
    coinbase: new Address(new Uint8Array(20)),
    state: {} as never,
    async runTx(e: EthTx) {
      const what = run(e)
      log.push(`evm ${e.hashHex.slice(0, 6)} ${what}`)
      if (what === 'throw') throw new Error('the database went away')
      if (what === 'refuse') return { error: ErrTxNotExecutable.with('nonce too high') }
      gasUsed += e.gasLimit
      included.push(e)
      return {
        result: {
          totalGasSpent: e.gasLimit,
          execResult: { exceptionError: what === 'revert' ? { error: 'revert' } : undefined },
        } as unknown as RunTxResult,
      }
    },
    async abort() {
      log.push('abort')
    },
  } as unknown as EvmBlock
  const evm = {
    beginBlock: async () => block,
    endBlock: async (_b: EvmBlock, cosmosGasUsed: bigint): Promise<ExecutedBlock> => {
      log.push(`end cosmos gas ${cosmosGasUsed}`)
      return {
        block: {} as never,
        stateRoot: new Uint8Array(32),
        txs: included.map((e, index) => ({ hash: e.hash, index }) as unknown as StoredTx),
      }
    },
  }
  const runner = {
    run: async (tx: CosmosTx) => {
      log.push(`cosmos ${tx.gasLimit}`)
      return {
        result: { code: 0, codespace: '', log: '', data: new Uint8Array(0), gasWanted: tx.gasLimit, gasUsed: tx.gasLimit, events: [] },
      }
    },
  }
  const observer = {
    beforeTx: (e: EthTx) => log.push(`before ${e.hashHex.slice(0, 6)}`),
    afterTx: (e: EthTx, reverted: boolean) => log.push(`after ${e.hashHex.slice(0, 6)} ${reverted ? 'reverted' : 'ok'}`),
  }
  return { executor: new BlockExecutor(evm, runner, observer), log }
}

test('each tx goes to the module of its kind, in block order; outcomes come back in input order', async () => {
  const [a, b, c] = [eth(1), eth(2), eth(3)]
  const { executor, log } = fakes((e) => (e === b ? 'revert' : e === c ? 'refuse' : 'ok'))
  const bad = new AppError('evm', 1, 'did not decode')
  const { outcomes } = await executor.execute(CTX, [a as EthTx, cosmos(5_000n), bad, b as EthTx, c as EthTx], new WriteSet())
  assert.deepEqual(
    outcomes.map((o) => o.kind),
    ['ethereum', 'cosmos', 'excluded', 'ethereum', 'excluded'],
  )
  const [oa, , ob] = [outcomes[0], outcomes[1], outcomes[3]]
  assert.ok(oa?.kind === 'ethereum' && oa.tx.index === 0)
  assert.ok(ob?.kind === 'ethereum' && ob.tx.index === 1, 'included Ethereum txs are the Ethereum block, in order')
  assert.equal(outcomes[2]?.kind === 'excluded' && outcomes[2].error, bad)
  assert.ok(outcomes[4]?.kind === 'excluded' && ErrTxNotExecutable.is(outcomes[4].error))
  const h = (e: EthTx) => e.hashHex.slice(0, 6)
  assert.deepEqual(log, [
    `before ${h(a!)}`,
    `evm ${h(a!)} ok`,
    `after ${h(a!)} ok`,
    'cosmos 5000',
    `before ${h(b!)}`,
    `evm ${h(b!)} revert`,
    `after ${h(b!)} reverted`,
    `before ${h(c!)}`,
    `evm ${h(c!)} refuse`,
    `after ${h(c!)} reverted`,
    'end cosmos gas 5000',
  ])
})

test('the block gas limit bounds both kinds together; a tx that does not fit is left out and a smaller one after it still runs', async () => {
  const { executor } = fakes(() => 'ok')
  const { outcomes } = await executor.execute(CTX, [eth(1, 60_000n), cosmos(30_000n), eth(2, 21_000n), cosmos(9_000n)], new WriteSet())
  assert.deepEqual(
    outcomes.map((o) => o.kind),
    ['ethereum', 'cosmos', 'excluded', 'cosmos'],
  )
  const left = outcomes[2]
  assert.ok(left?.kind === 'excluded' && ErrGasLimitExceedsBlock.is(left.error))
  assert.match(left.error.message, /block has 10000 gas left, tx asks 21000/)
})

test('a failure of the loop itself (not of a tx) reverts the block and is thrown', async () => {
  const b = eth(2)
  const { executor, log } = fakes((e) => (e === b ? 'throw' : 'ok'))
  await assert.rejects(executor.execute(CTX, [eth(1), b], new WriteSet()), /the database went away/)
  assert.equal(log.at(-1), 'abort')
  assert.ok(!log.some((l) => l.startsWith('end')), 'nothing was finished')
})
