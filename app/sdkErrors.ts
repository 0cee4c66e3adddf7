import { register } from './errors.ts'

/**
 * The Cosmos SDK's root errors (codespace `sdk`, cosmos-sdk `types/errors/errors.go`), with
 * the SDK's numbers, so Cosmos clients and explorers that match on (codespace, code) read
 * PIPE's Cosmos-tx and query errors as they read any SDK chain's.
 */
const SDK = 'sdk'

export const ErrSdkTxDecode = register(SDK, 2, 'tx parse error')
export const ErrSdkUnauthorized = register(SDK, 4, 'unauthorized')
export const ErrSdkInsufficientFunds = register(SDK, 5, 'insufficient funds')
export const ErrSdkUnknownRequest = register(SDK, 6, 'unknown request')
export const ErrSdkInvalidAddress = register(SDK, 7, 'invalid address')
export const ErrSdkInvalidPubKey = register(SDK, 8, 'invalid pubkey')
export const ErrSdkUnknownAddress = register(SDK, 9, 'unknown address')
export const ErrSdkInvalidCoins = register(SDK, 10, 'invalid coins')
export const ErrSdkOutOfGas = register(SDK, 11, 'out of gas')
export const ErrSdkMemoTooLarge = register(SDK, 12, 'memo too large')
export const ErrSdkInsufficientFee = register(SDK, 13, 'insufficient fee')
export const ErrSdkTooManySignatures = register(SDK, 14, 'maximum number of signatures exceeded')
export const ErrSdkNoSignatures = register(SDK, 15, 'no signatures supplied')
export const ErrSdkInvalidRequest = register(SDK, 18, 'invalid request')
export const ErrSdkTxInMempoolCache = register(SDK, 19, 'tx already in mempool')
export const ErrSdkMempoolIsFull = register(SDK, 20, 'mempool is full')
export const ErrSdkTxTooLarge = register(SDK, 21, 'tx too large')
export const ErrSdkKeyNotFound = register(SDK, 22, 'key not found')
export const ErrSdkInvalidHeight = register(SDK, 26, 'invalid height')
export const ErrSdkTxTimeoutHeight = register(SDK, 30, 'tx timeout height')
export const ErrSdkUnknownExtensionOptions = register(SDK, 31, 'unknown extension options')
export const ErrSdkWrongSequence = register(SDK, 32, 'incorrect account sequence')
export const ErrSdkNotSupported = register(SDK, 37, 'feature not supported')
export const ErrSdkInvalidGasLimit = register(SDK, 41, 'invalid gas limit')
