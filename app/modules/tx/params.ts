/**
 * Gas of Cosmos txs. Every number a validator must agree on lives here. Gas is a pure function
 * of the tx (no store-access metering), so CheckTx knows exactly what a tx will use and refuses
 * a gas limit below it before the tx can waste a block's space.
 */

/** Reading and writing the signer's account: fee, sequence, public key. */
export const TX_BASE_GAS = 10_000n
/** Per byte of the tx as CometBFT carries it (the SDK's `tx_size_cost_per_byte`). */
export const TX_SIZE_GAS_PER_BYTE = 10n
/** Checking the signature (the SDK's `sig_verify_cost_secp256k1`). */
export const SIG_VERIFY_GAS = { secp256k1: 1_000n, ethsecp256k1: 1_000n } as const
/**
 * Simulate is asked about unsigned txs (cosmjs leaves the signature empty): it counts this many
 * signature bytes, the most either key type sends, so its estimate covers the signed tx.
 */
export const SIMULATED_SIGNATURE_BYTES = 65

/** `/cosmos.bank.v1beta1.MsgSend`: two account writes. */
export const MSG_SEND_GAS = 20_000n
/** A registration (model or inference node): one registry write … */
export const REGISTRATION_GAS = 50_000n
/** … plus this per byte of the message (attestation documents run to kilobytes). */
export const REGISTRATION_GAS_PER_BYTE = 20n

/** Most messages one tx may carry. */
export const MAX_MSGS_PER_TX = 64
