/** The bank module's constants. */

/**
 * The one denom: the EVM's native token in its smallest unit (18 decimals, like wei), so an
 * account's `apipe` balance is exactly its `eth_getBalance`.
 */
export const DENOM = 'apipe'
/** Display denom and its exponent, for wallets. */
export const DISPLAY_DENOM = 'pipe'
export const DENOM_EXPONENT = 18
