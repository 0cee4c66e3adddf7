/**
 * The tx module's LevelDB keys; only its keeper (txIndex.ts) uses them. The index is not
 * consensus state (like CometBFT's own tx index, it is not in the app hash).
 */
import { keyPrefix as enc } from '../../store/keys.ts'

/** sha256 tx hash (32) → TxResponse (protobuf) of an executed Cosmos tx. */
export const TX_RESPONSE_PREFIX = enc('tx/h/')
