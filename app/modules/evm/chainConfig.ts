import { type Common, createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common'
import { ecrecover, keccak256, sha256 } from '../../crypto.ts'
import { EVM_CHAIN_ID } from './params.ts'

/** The EVM rules PIPE runs: Prague (Pectra), without the beacon-chain system contracts. */
export const HARDFORK = Hardfork.Prague

/**
 * The ethereumjs `Common` for chain 1337 with native crypto plugged in. Txs copy it, so it is
 * created once per process. Requires `initCrypto()`.
 */
export function createChainCommon(): Common {
  return createCustomCommon({ chainId: Number(EVM_CHAIN_ID), name: 'pipe' }, Mainnet, {
    hardfork: HARDFORK,
    customCrypto: { keccak256, ecrecover, sha256 },
  })
}

/**
 * The Common every decoded tx shares. ethereumjs copies its Common and re-merges the tx
 * params in each tx constructor (~0.18 ms per tx, the largest CheckTx cost); txs only read it
 * (block execution runs them with `skipHardForkValidation`), so one shared instance is safe.
 */
export function createTxCommon(base: Common): Common {
  const shared = base.copy()
  const merged = new WeakSet<object>()
  const update = shared.updateParams.bind(shared)
  shared.copy = () => shared
  shared.updateParams = (params) => {
    if (merged.has(params)) return
    merged.add(params)
    update(params)
  }
  return shared
}
