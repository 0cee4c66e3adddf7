/**
 * The tx module's LevelDB keys; only its keeper (txIndex.ts) uses them. The index is not
 * consensus state (like CometBFT's own tx index, it is not in the app hash).
 */
const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

/** sha256 tx hash (32) → TxResponse (protobuf) of an executed Cosmos tx. */
export const TX_RESPONSE_PREFIX = enc('tx/h/')
