import { register } from '../../errors.ts'

/** EVM module errors. Codes are stable: clients and tests match on them. */
const CODESPACE = 'evm'

export const ErrTxDecode = register(CODESPACE, 2, 'invalid transaction encoding')
export const ErrWrongChainId = register(CODESPACE, 3, 'wrong chain id')
export const ErrUnprotectedTx = register(CODESPACE, 4, 'only replay-protected (EIP-155) transactions are accepted')
export const ErrInvalidSignature = register(CODESPACE, 5, 'invalid transaction signature')
export const ErrNonceTooLow = register(CODESPACE, 6, 'nonce too low')
export const ErrNonceTooHigh = register(CODESPACE, 7, 'nonce too high')
export const ErrInsufficientFunds = register(CODESPACE, 8, 'insufficient funds for gas * price + value')
export const ErrIntrinsicGas = register(CODESPACE, 9, 'intrinsic gas too low')
export const ErrGasLimitExceedsBlock = register(CODESPACE, 10, 'gas limit exceeds the block gas limit')
export const ErrTxTooLarge = register(CODESPACE, 11, 'transaction too large')
export const ErrFeeTooLow = register(CODESPACE, 12, 'max fee per gas less than block base fee')
export const ErrUnsupportedTxType = register(CODESPACE, 13, 'unsupported transaction type')
export const ErrTxNotExecutable = register(CODESPACE, 14, 'transaction could not be executed')
export const ErrSenderQueueFull = register(CODESPACE, 15, 'too many pending transactions from this sender')
export const ErrSenderHasCode = register(CODESPACE, 16, 'sender is a contract (EIP-3607)')
