/**
 * What a localnet validator's CometBFT home contains beyond `cometbft init`'s defaults:
 * config.toml pointed at 127.0.0.1 ports and the other validators, and one genesis.json
 * shared by every validator.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LOCALNET_HOST, type NodePorts } from './ports.ts'
import { setTomlKey, type TomlValue } from './toml.ts'

/** Block gas limit written to consensus_params.block.max_gas (the EVM's block gas limit). */
export const LOCALNET_MAX_GAS = '100000000'

/** Voting power of every localnet validator (equal powers: any 2/3+ of them make blocks). */
export const LOCALNET_VALIDATOR_POWER = '10'

/** Mempool capacity in txs; CometBFT's default of 5000 is tight for load tests. */
export const LOCALNET_MEMPOOL_SIZE = 10_000

/** One validator's place in the localnet, as config.toml needs it. */
export interface NodeConfigInput {
  moniker: string
  ports: NodePorts
  /** `<nodeid>@127.0.0.1:<p2p>` of every OTHER validator. */
  persistentPeers: string[]
  /** CometBFT duration string, e.g. "1s" or "500ms". */
  blockTime: string
}

/** The (section, key, value) edits applied to CometBFT 0.38's config.toml template. */
export function configEdits(input: NodeConfigInput): Array<[section: string, key: string, value: TomlValue]> {
  const { ports } = input
  const h = LOCALNET_HOST
  return [
    ['', 'moniker', input.moniker],
    ['', 'proxy_app', `tcp://${h}:${ports.abci}`],
    ['rpc', 'laddr', `tcp://${h}:${ports.cometRpc}`],
    ['p2p', 'laddr', `tcp://${h}:${ports.p2p}`],
    ['p2p', 'persistent_peers', input.persistentPeers.join(',')],
    // All validators share 127.0.0.1: CometBFT would otherwise refuse them as non-routable / duplicate.
    ['p2p', 'addr_book_strict', false],
    ['p2p', 'allow_duplicate_ip', true],
    ['consensus', 'timeout_commit', input.blockTime],
    ['instrumentation', 'prometheus', true],
    ['instrumentation', 'prometheus_listen_addr', `${h}:${ports.prometheus}`],
    ['mempool', 'size', LOCALNET_MEMPOOL_SIZE],
    // Already the default; pinned because tx search (eth_getTransactionReceipt fallbacks, cosmjs) needs it.
    ['tx_index', 'indexer', 'kv'],
  ]
}

/** config.toml text with the localnet edits applied. */
export function applyConfigEdits(toml: string, input: NodeConfigInput): string {
  return configEdits(input).reduce((text, [section, key, value]) => setTomlKey(text, section, key, value), toml)
}

/**
 * Rewrites `<cometHome>/config/config.toml` in place. Writes only when something changed,
 * so re-applying to a running node's home is harmless.
 * @returns whether the file changed.
 */
export function writeNodeConfig(cometHome: string, input: NodeConfigInput): boolean {
  const path = join(cometHome, 'config', 'config.toml')
  const before = readFileSync(path, 'utf8')
  const after = applyConfigEdits(before, input)
  if (after === before) return false
  writeFileSync(path, after)
  return true
}

/** The fields of `config/priv_validator_key.json` the genesis needs. */
export interface ValidatorKey {
  address: string
  pub_key: { type: string; value: string }
}

/** Reads a CometBFT home's validator key (the public half only). */
export function readValidatorKey(cometHome: string): ValidatorKey {
  const raw = JSON.parse(readFileSync(join(cometHome, 'config', 'priv_validator_key.json'), 'utf8')) as ValidatorKey
  return { address: raw.address, pub_key: raw.pub_key }
}

/** A CometBFT genesis document (the fields the localnet writes). */
export interface GenesisDoc {
  genesis_time: string
  chain_id: string
  initial_height: string
  consensus_params: Record<string, unknown> & { block?: Record<string, unknown> }
  validators: Array<{ address: string; pub_key: { type: string; value: string }; power: string; name: string }>
  app_hash: string
  app_state: unknown
}

export interface GenesisInput {
  chainId: string
  /** RFC 3339 time; every validator must get the same one. */
  genesisTime: string
  /** consensus_params from a `cometbft init` genesis: CometBFT's defaults, kept as they are except max_gas. */
  defaultConsensusParams: Record<string, unknown>
  /** In validator order; validator i is named node<i>. */
  validators: ValidatorKey[]
  appState: unknown
}

/** The shared genesis document (pure: same input, same output). */
export function buildGenesis(input: GenesisInput): GenesisDoc {
  const params = input.defaultConsensusParams as GenesisDoc['consensus_params']
  return {
    genesis_time: input.genesisTime,
    chain_id: input.chainId,
    initial_height: '1',
    consensus_params: { ...params, block: { ...(params.block ?? {}), max_gas: LOCALNET_MAX_GAS } },
    validators: input.validators.map((v, i) => ({
      address: v.address,
      pub_key: v.pub_key,
      power: LOCALNET_VALIDATOR_POWER,
      name: `node${i}`,
    })),
    app_hash: '',
    app_state: input.appState,
  }
}

/** CometBFT's default consensus params, read from the genesis `cometbft init` wrote in a home. */
export function readDefaultConsensusParams(cometHome: string): Record<string, unknown> {
  const doc = JSON.parse(readFileSync(join(cometHome, 'config', 'genesis.json'), 'utf8')) as { consensus_params?: Record<string, unknown> }
  if (!doc.consensus_params) throw new Error(`${cometHome}/config/genesis.json has no consensus_params`)
  return doc.consensus_params
}

/** Writes the genesis to `<cometHome>/config/genesis.json`. */
export function writeGenesis(cometHome: string, genesis: GenesisDoc): void {
  writeFileSync(join(cometHome, 'config', 'genesis.json'), `${JSON.stringify(genesis, null, 2)}\n`)
}

/** The persistent_peers entry of a validator: `<nodeid>@127.0.0.1:<p2p>`. */
export function peerAddress(nodeId: string, ports: NodePorts): string {
  return `${nodeId}@${LOCALNET_HOST}:${ports.p2p}`
}
