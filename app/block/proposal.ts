import { AppError, toAppError } from '../errors.ts'
import type { EvmMempool } from '../modules/evm/mempool.ts'
import { isResultsTx } from '../modules/inference/block/resultsTx.ts'
import { ErrResultsTx } from '../modules/inference/errors.ts'
import type { InferenceModule } from '../modules/inference/module.ts'
import type { InferenceResult } from '../modules/inference/types/result.ts'
import { type BlockTx, type BlockTxDecoder, isEthTx } from './blockTx.ts'

/**
 * Building and checking block proposals: the mempool's tx selection plus the inference results
 * tx the proposer injects at index 0, carrying exactly the results the selected txs need.
 */

/** What proposals are built and checked with. */
export interface ProposalModules {
  blockTxs: BlockTxDecoder
  evmMempool: EvmMempool
  inference: InferenceModule
}

/** PrepareProposal: ready txs only, and their results; never waits for inference. */
export async function buildProposal(m: ProposalModules, offered: readonly Uint8Array[], maxTxBytes: bigint): Promise<Uint8Array[]> {
  const userTxs: BlockTx[] = []
  for (const raw of offered) {
    if (isResultsTx(raw)) continue
    const tx = m.blockTxs.decode(raw)
    if (!(tx instanceof AppError)) userTxs.push(tx)
  }
  // Cosmos txs call no model: they are always ready.
  const selected = await m.evmMempool.selectForProposal(userTxs, maxTxBytes, (tx) => !isEthTx(tx) || m.inference.isReady(tx))
  for (;;) {
    const resultsTx = m.inference.resultsTx(selected.filter(isEthTx))
    const size = selected.reduce((n, e) => n + e.raw.length, resultsTx?.length ?? 0)
    // The results tx counts against max_tx_bytes: drop txs from the end until it fits (the last
    // selected tx is the last of its sender, so no nonce gap appears).
    if (BigInt(size) <= maxTxBytes || selected.length === 0) {
      return resultsTx ? [resultsTx, ...selected.map((e) => e.raw)] : selected.map((e) => e.raw)
    }
    selected.pop()
  }
}

/** A block's txs split into the results tx's results and the user txs. */
export interface SplitBlock {
  results: InferenceResult[]
  userTxs: Uint8Array[]
  /** Why the results tx is unusable, if it is. */
  resultsError?: AppError
  hasResultsTx: boolean
}

export function splitBlock(inference: InferenceModule, txs: readonly Uint8Array[]): SplitBlock {
  const [first] = txs
  if (!first || !isResultsTx(first)) return { results: [], userTxs: [...txs], hasResultsTx: false }
  try {
    return { results: inference.decodeResultsTx(first), userTxs: txs.slice(1), hasResultsTx: true }
  } catch (err) {
    return { results: [], userTxs: txs.slice(1), resultsError: toAppError(err), hasResultsTx: true }
  }
}

/**
 * ProcessProposal: a results tx only at index 0 and well formed; user txs pass the stateless
 * checks within the gas limit; the inference module finds every result needed by some tx and
 * every tx's results present. A function of the proposal and committed state only.
 */
export async function checkProposal(m: ProposalModules, txs: readonly Uint8Array[]): Promise<AppError | undefined> {
  const split = splitBlock(m.inference, txs)
  if (split.resultsError) return split.resultsError
  const stray = split.userTxs.findIndex((raw) => isResultsTx(raw))
  if (stray !== -1) return ErrResultsTx.with(`a results tx at index ${stray + (split.hasResultsTx ? 1 : 0)}; it belongs at index 0, once`)
  const decoded = split.userTxs.map((raw) => m.blockTxs.decode(raw))
  const problem = m.evmMempool.verifyProposal(decoded)
  if (problem) return problem
  return m.inference.checkProposal((decoded as BlockTx[]).filter(isEthTx), split)
}
