/**
 * The inference module's LevelDB key prefixes; only its keeper reads or writes them.
 */
import { keyPrefix as enc } from '../../store/keys.ts'

export { prefixed } from '../../store/keys.ts'

/** request key (32) → recorded result (from a block's results tx). */
export const RESULT_PREFIX = enc('inference/res/')
/** inference id (32) → inference record. */
export const RECORD_PREFIX = enc('inference/rec/')
/** tx hash (32) → ids of the tx's inference records, in call order. */
export const TX_RECORDS_PREFIX = enc('inference/tx/')
/**
 * sha256 of a proof artefact (32) → the artefact. Outside the module's state commitment (state
 * holds the hash, in results and records); written with the block that carried it.
 */
export const PROOF_PREFIX = enc('inference/proof/')
/** The module's state commitment (a hash chain over every block's inference content). */
export const ROOT_KEY = enc('inference/root')

/** Registry: model CID (utf-8) → Model (protobuf, proto/pipe/inference/v1/types.proto). */
export const MODEL_PREFIX = enc('inference/reg/model/')
/** Registry: node key (33) → InferenceNode (protobuf). */
export const NODE_PREFIX = enc('inference/reg/node/')
/** Registry: the TEE attestation policy from genesis (JSON, see genesis.ts); absent: no TEE nodes. */
export const TEE_POLICY_KEY = enc('inference/reg/tee-policy')
/** The registry's state commitment (a hash chain over every block's registrations). */
export const REGISTRY_ROOT_KEY = enc('inference/reg/root')
