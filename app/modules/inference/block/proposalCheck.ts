import type { AppError } from '../../../errors.ts'
import { equalsBytes } from '@ethereumjs/util'
import type { EthTx } from '../../evm/ethTx.ts'
import { ErrResultsTx } from '../errors.ts'
import { newContext, type KnownResult } from '../precompile/inferenceCalls.ts'
import type { InferenceMempool } from '../mempool/inferenceMempool.ts'
import type { KeyedResult } from './resultsTx.ts'
import type { TxSimulator } from '../mempool/txSimulator.ts'

/**
 * ProcessProposal's inference check: every request a block tx makes must have its result in the
 * block, and every result must be needed by some tx. A tx's requests are found by simulating it
 * on the committed state with the block's results (deterministic: committed state + proposal);
 * a tx this node already found ready, with byte-identical results, is not simulated again.
 * @returns the first problem, or undefined to accept.
 */
export async function checkProposalResults(
  txs: EthTx[],
  results: KeyedResult[],
  mempool: InferenceMempool,
  simulator: TxSimulator,
): Promise<AppError | undefined> {
  const byKey = new Map<string, KnownResult & KeyedResult>(results.map((r) => [r.keyHex, r]))
  const needed = new Set<string>()
  for (const eth of txs) {
    if (!(await mempool.mayReachPrecompile(eth))) continue
    const known = mempool.isReady(eth) ? mempool.requestsOf(eth) : undefined
    const reusable =
      known !== undefined &&
      known.every((r) => {
        const mine = mempool.results.get(r.keyHex)
        const theirs = byKey.get(r.keyHex)
        return mine !== undefined && theirs !== undefined && equalsBytes(mine.output, theirs.output)
      })
    if (reusable) {
      for (const r of known) needed.add(r.keyHex)
      continue
    }
    const ctx = newContext('verify', byKey)
    await simulator.simulate(eth, ctx)
    for (const s of ctx.served) {
      if (!byKey.has(s.request.keyHex)) {
        return ErrResultsTx.with(`tx ${eth.hashHex} needs the result of model ${s.request.modelCid} request ${s.request.keyHex}, which the block does not carry`)
      }
      needed.add(s.request.keyHex)
    }
  }
  const extra = results.find((r) => !needed.has(r.keyHex))
  if (extra) return ErrResultsTx.with(`result ${extra.keyHex} (model ${extra.modelCid}) is needed by no tx of the block`)
  return undefined
}
