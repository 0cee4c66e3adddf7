import { createCustomCommon, Hardfork, Mainnet, type Common } from '@ethereumjs/common'
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
