/** The auth module's constants. */

/** Human-readable part of every account address: `pipe1…` (the same 20 bytes as its 0x form). */
export const BECH32_PREFIX = 'pipe'

/** Longest memo a Cosmos tx may carry, in characters (the SDK's default `max_memo_characters`). */
export const MAX_MEMO_CHARACTERS = 256
