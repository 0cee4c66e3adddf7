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
  const common = createCustomCommon({ chainId: Number(EVM_CHAIN_ID), name: 'pipe' }, Mainnet, {
    hardfork: HARDFORK,
    customCrypto: { keccak256, ecrecover, sha256 },
  })
  common.isActivatedEIP = isActivatedEIP
  return common
}

/** The EIPs a Common has active, as a Set per array ethereumjs builds (shared by its copies). */
const activeEips = new WeakMap<readonly number[], Set<number>>()

/**
 * Common.isActivatedEIP with a Set lookup instead of `Array.includes` over the ~80 EIPs Prague
 * activates: the interpreter asks it 3 times per opcode (0.37 ms of a RiskScorer tx's 3.4 ms
 * FinalizeBlock). ethereumjs replaces `_activatedEIPsCache` (never mutates it) when the hardfork
 * or the EIPs change, so a Set per array answers exactly what `includes` would. An own property,
 * so `copy()` (Object.assign) keeps it; it reads `this`, so each copy answers for itself.
 */
function isActivatedEIP(this: Common, eip: number): boolean {
  const list = (this as unknown as { _activatedEIPsCache: number[] })._activatedEIPsCache
  let set = activeEips.get(list)
  if (!set) {
    set = new Set(list)
    activeEips.set(list, set)
  }
  return set.has(eip)
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
