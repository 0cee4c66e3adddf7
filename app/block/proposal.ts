import type { BlockTx, PipeApp } from '../pipeApp.ts'
import { AppError, toAppError } from '../errors.ts'
import type { EthTx } from '../modules/evm/ethTx.ts'
import { ErrResultsTx } from '../modules/inference/errors.ts'
import { checkProposalResults } from '../modules/inference/block/proposalCheck.ts'
import { decodeResultsTx, encodeResultsTx, isResultsTx, type KeyedResult } from '../modules/inference/block/resultsTx.ts'

/**
 * Building and checking block proposals: the EVM's tx selection plus the inference results tx
 * the proposer injects at index 0, carrying exactly the results the selected txs need.
 */

/** PrepareProposal: ready txs only, and their results; never waits for inference. */
export async function buildProposal(app: PipeApp, offered: Uint8Array[], maxTxBytes: bigint): Promise<Uint8Array[]> {
  const userTxs: BlockTx[] = []
  for (const raw of offered) {
    if (isResultsTx(raw)) continue
    const tx = app.decodeBlockTx(raw)
    if (!(tx instanceof AppError)) userTxs.push(tx)
  }
  if (app.inference.strategy === 'inline') {
    return (await app.mempool.selectForProposal(userTxs, maxTxBytes)).map((e) => e.raw)
  }
  const inference = app.inference.mempool
  // Cosmos txs call no model: they are always ready.
  const selected = await app.mempool.selectForProposal(userTxs, maxTxBytes, (tx) => tx.kind === 'cosmos' || inference.isReady(tx))
  for (;;) {
    const entries = inference.resultsFor(selected.filter(isEthTx))
    const resultsTx = entries.length > 0 ? encodeResultsTx(entries) : undefined
    const size = selected.reduce((n, e) => n + e.raw.length, resultsTx?.length ?? 0)
    // The results tx counts against max_tx_bytes: drop txs from the end until it fits (the last
    // selected tx is the last of its sender, so no nonce gap appears).
    if (BigInt(size) <= maxTxBytes || selected.length === 0) {
      return resultsTx ? [resultsTx, ...selected.map((e) => e.raw)] : selected.map((e) => e.raw)
    }
    selected.pop()
  }
}

/** A block's txs split into the results tx's entries and the user txs. */
export interface SplitBlock {
  results: KeyedResult[]
  userTxs: Uint8Array[]
  /** Why the results tx is unusable, if it is. */
  resultsError?: AppError
  hasResultsTx: boolean
}

export function splitBlock(txs: Uint8Array[]): SplitBlock {
  if (txs.length === 0 || !isResultsTx(txs[0])) return { results: [], userTxs: txs, hasResultsTx: false }
  try {
    return { results: decodeResultsTxOnce(txs[0]), userTxs: txs.slice(1), hasResultsTx: true }
  } catch (err) {
    return { results: [], userTxs: txs.slice(1), resultsError: toAppError(err), hasResultsTx: true }
  }
}

/** Results txs decoded lately, newest first: ProcessProposal and FinalizeBlock see the same bytes. */
const recentlyDecoded: { raw: Uint8Array; results: KeyedResult[] }[] = []
const RECENTLY_DECODED = 4

/** {@link decodeResultsTx}, remembering the last few: a block's results tx is decoded once. */
function decodeResultsTxOnce(raw: Uint8Array): KeyedResult[] {
  const hit = recentlyDecoded.find((d) => d.raw.length === raw.length && Buffer.compare(d.raw, raw) === 0)
  if (hit) return hit.results
  const results = decodeResultsTx(raw)
  recentlyDecoded.unshift({ raw, results })
  recentlyDecoded.length = Math.min(recentlyDecoded.length, RECENTLY_DECODED)
  return results
}

/**
 * ProcessProposal: a results tx only at index 0 and well formed; user txs pass the stateless
 * checks within the gas limit; every result needed by some tx and every tx's results present.
 * Deterministic: depends only on the proposal and committed state.
 */
export async function checkProposal(app: PipeApp, txs: Uint8Array[]): Promise<AppError | undefined> {
  const split = splitBlock(txs)
  if (split.resultsError) return split.resultsError
  const stray = split.userTxs.findIndex((raw) => isResultsTx(raw))
  if (stray !== -1) return ErrResultsTx.with(`a results tx at index ${stray + (split.hasResultsTx ? 1 : 0)}; it belongs at index 0, once`)
  if (app.inference.strategy === 'inline' && split.hasResultsTx) return ErrResultsTx.with('this chain computes inference inline and takes no results tx')
  const decoded = split.userTxs.map((raw) => app.decodeBlockTx(raw))
  const problem = app.mempool.verifyProposal(decoded)
  if (problem) return problem
  if (app.inference.strategy === 'inline') return undefined
  const eths = (decoded as BlockTx[]).filter(isEthTx)
  return checkProposalResults(eths, split.results, app.inference.mempool, app.inference.simulator)
}

function isEthTx(tx: BlockTx): tx is EthTx {
  return tx.kind === 'ethereum'
}
