import { getCalldataFloorGas } from '@ethereumjs/tx'
import type { Account } from '@ethereumjs/util'
import { equalsBytes, KECCAK256_NULL } from '@ethereumjs/util'
import {
  ErrFeeTooLow,
  ErrGasLimitExceedsBlock,
  ErrInsufficientFunds,
  ErrIntrinsicGas,
  ErrNonceTooHigh,
  ErrNonceTooLow,
  ErrSenderHasCode,
} from './errors.ts'
import type { EthTx } from './ethTx.ts'
import { MAX_NONCE_AHEAD } from './params.ts'

/**
 * Checks that need no state: shared by CheckTx, PrepareProposal and ProcessProposal (decoding,
 * chain id and signature were checked when the tx was decoded).
 */
export function validateTxStateless(eth: EthTx, blockGasLimit: bigint): void {
  const { tx } = eth
  if (tx.gasLimit > blockGasLimit) {
    throw ErrGasLimitExceedsBlock.with(`tx gas limit ${tx.gasLimit} > block gas limit ${blockGasLimit}`)
  }
  const intrinsic = tx.getIntrinsicGas()
  const floor = getCalldataFloorGas(tx, eth.sender)
  const needed = intrinsic > floor ? intrinsic : floor
  if (tx.gasLimit < needed) {
    throw ErrIntrinsicGas.with(`tx gas limit ${tx.gasLimit} is below the ${needed} its data and type need`)
  }
}

/** The largest amount a tx can take from its sender: value + gas limit × max fee per gas. */
export function maxCost(eth: EthTx): bigint {
  const { tx } = eth
  const price = 'maxFeePerGas' in tx ? tx.maxFeePerGas : tx.gasPrice
  return tx.value + tx.gasLimit * price
}

/** What the sender already has queued in this node's mempool. */
export interface PendingSpend {
  /** The first nonce neither committed nor queued: the next tx that could be executed. */
  nextNonce: bigint
  /** Sum of {@link maxCost} of the sender's queued txs. */
  reserved: bigint
  /** Whether a queued tx already carries `nonce`. */
  has(nonce: bigint): boolean
}

/**
 * Checks against the committed account plus what the mempool already holds for the sender.
 * A nonce may run up to {@link MAX_NONCE_AHEAD} past the next contiguous one.
 */
export function validateTxAgainstAccount(eth: EthTx, account: Account | undefined, pending: PendingSpend, baseFee: bigint): void {
  const { tx } = eth
  const onChainNonce = account?.nonce ?? 0n
  if (tx.nonce < onChainNonce) {
    throw ErrNonceTooLow.with(`tx nonce ${tx.nonce}, account ${eth.sender} is at nonce ${onChainNonce}`)
  }
  if (pending.has(tx.nonce)) {
    throw ErrNonceTooLow.with(
      `nonce ${tx.nonce} is already used by a pending tx of ${eth.sender}; next free nonce is ${pending.nextNonce} (replacing pending txs is not supported)`,
    )
  }
  if (tx.nonce >= pending.nextNonce + MAX_NONCE_AHEAD) {
    throw ErrNonceTooHigh.with(
      `tx nonce ${tx.nonce}, next expected nonce of ${eth.sender} is ${pending.nextNonce}; at most ${MAX_NONCE_AHEAD} ahead can wait, send the missing nonces first`,
    )
  }
  if (account !== undefined && !equalsBytes(account.codeHash, KECCAK256_NULL)) {
    throw ErrSenderHasCode.with(eth.sender.toString())
  }
  const feeCap = 'maxFeePerGas' in tx ? tx.maxFeePerGas : tx.gasPrice
  if (feeCap < baseFee) {
    throw ErrFeeTooLow.with(`max fee per gas ${feeCap} < base fee ${baseFee}`)
  }
  const balance = account?.balance ?? 0n
  const available = balance - pending.reserved
  const cost = maxCost(eth)
  if (available < cost) {
    throw ErrInsufficientFunds.with(
      `address ${eth.sender} has ${balance} wei${pending.reserved > 0n ? ` (${available} after its pending txs)` : ''}, tx needs up to ${cost}`,
    )
  }
}
