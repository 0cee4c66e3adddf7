import { defaultEvmGenesis, type EvmGenesis, parseEvmGenesis } from './modules/evm/genesis.ts'
import { type InferenceGenesis, parseInferenceGenesis } from './modules/inference/genesis.ts'

/**
 * CometBFT `app_state`: one entry per module, as in a Cosmos SDK genesis.json.
 * @example JSON.stringify(defaultAppGenesis()) // {"evm":{"accounts":[...]}}
 */
export interface AppGenesis {
  evm: EvmGenesis
  /** The TEE attestation policy; absent, the chain accepts no TEE inference nodes. */
  inference?: InferenceGenesis
}

/** The localnet default: the 10 dev accounts funded. */
export function defaultAppGenesis(): AppGenesis {
  return { evm: defaultEvmGenesis() }
}

/** Parses `app_state_bytes` from InitChain. Empty bytes mean the default genesis. */
export function parseAppGenesis(bytes: Uint8Array): AppGenesis {
  if (bytes.length === 0) return defaultAppGenesis()
  const raw = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>
  return { evm: parseEvmGenesis(raw.evm), inference: parseInferenceGenesis(raw.inference) }
}
