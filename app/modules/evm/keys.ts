/**
 * The EVM module's LevelDB key prefixes. Only the EVM keeper and its stores use them
 * (cosmos-sdk x/bank/types/keys.go style): everything the module owns starts with `evm/`.
 */
import { keyPrefix as enc } from '../../store/keys.ts'

export { prefixed } from '../../store/keys.ts'

/** Merkle-Patricia trie nodes and contract code (content-addressed). */
export const TRIE_NODE_PREFIX = enc('evm/n/')
/** height (8-byte big-endian) → stored block. */
export const BLOCK_PREFIX = enc('evm/b/')
/** block hash (32 bytes) → height. */
export const BLOCK_HASH_PREFIX = enc('evm/h/')
/** tx hash (32 bytes) → stored tx with its location and receipt. */
export const TX_PREFIX = enc('evm/t/')
/** Module parameters fixed at genesis (block gas limit). */
export const PARAMS_KEY = enc('evm/params')
/** The latest committed block's height, hash, state root and next base fee. */
export const HEAD_KEY = enc('evm/head')

export function heightKey(height: bigint): Uint8Array {
  const out = new Uint8Array(BLOCK_PREFIX.length + 8)
  out.set(BLOCK_PREFIX, 0)
  new DataView(out.buffer).setBigUint64(BLOCK_PREFIX.length, height)
  return out
}
