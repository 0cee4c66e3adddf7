/**
 * Chain constants and the EVM module's parameters. Every number a validator must agree on
 * lives here (gas numbers of later precompiles go to their own module's params file).
 */

/** Cosmos chain id (CometBFT `chain_id`). The EVM chain id is its number before the dash. */
export const COSMOS_CHAIN_ID = 'pipe_1337-1'
/** EIP-155 chain id. */
export const EVM_CHAIN_ID = 1337n

/** Default block gas limit when CometBFT's consensus params leave `block.max_gas` at -1. */
export const DEFAULT_BLOCK_GAS_LIMIT = 100_000_000n

/** EIP-1559 fee market. Initial base fee as Hardhat and Anvil use: 1 gwei. */
export const INITIAL_BASE_FEE = 1_000_000_000n
/**
 * The base fee never falls below this floor (Ethermint's `min_gas_price` idea): an idle chain
 * would otherwise decay to 7 wei and make spam free.
 */
export const MIN_BASE_FEE = 100_000_000n
/** EIP-1559 constants: the base fee moves by at most 1/8 per block toward gasLimit / 2. */
export const BASE_FEE_MAX_CHANGE_DENOMINATOR = 8n
export const ELASTICITY_MULTIPLIER = 2n

/** Largest tx CheckTx accepts, in bytes (geth's txMaxSize is 128 KiB). */
export const MAX_TX_BYTES = 128 * 1024

/**
 * How many txs of one sender may wait in the mempool: geth's pending pool size (4,096 slots),
 * so one busy account — a bot, a dapp's relayer — can keep a second of blocks' worth of txs
 * waiting at more than 1,000 tx/s (the localnet mempool holds 10,000 txs in all).
 */
export const MAX_PENDING_PER_SENDER = 4096

/**
 * How far past its next contiguous nonce a sender's tx may be: clients that send several txs
 * at once (HTTP batches, parallel sends) deliver them out of order. Gapped txs wait in the
 * mempool; PrepareProposal includes a sender's txs only in nonce order and without gaps.
 */
export const MAX_NONCE_AHEAD = 64n

/** Balance of each genesis dev account: 10,000 ETH, as Hardhat and Anvil give. */
export const DEV_ACCOUNT_BALANCE = 10_000n * 10n ** 18n
