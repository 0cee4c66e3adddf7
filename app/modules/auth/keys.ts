/**
 * The auth module's LevelDB keys; only its keeper reads or writes them. Balances and sequences
 * are not here: they are the EVM account's balance and nonce.
 */
import { keyPrefix as enc } from '../../store/keys.ts'

/** address (20) → RLP([account number, height it was assigned at]). */
export const ACCOUNT_NUMBER_PREFIX = enc('auth/num/')
/** address (20) → the public key Any the account first signed a Cosmos tx with. */
export const PUBKEY_PREFIX = enc('auth/pk/')
/** The next account number to assign. */
export const NEXT_NUMBER_KEY = enc('auth/next')
/** The module's state commitment (a hash chain over every block's writes). */
export const ROOT_KEY = enc('auth/root')

export { prefixed } from '../../store/keys.ts'
