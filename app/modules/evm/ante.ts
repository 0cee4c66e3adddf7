import { getCalldataFloorGas } from '@ethereumjs/tx'
import type { Account } from '@ethereumjs/util'
import { KECCAK256_NULL, equalsBytes } from '@ethereumjs/util'
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
  /** Nonce the next tx of this sender must carry. */
  nextNonce: bigint
  /** Sum of {@link maxCost} of the sender's queued txs. */
  reserved: bigint
}

/**
 * Checks against the committed account plus what the mempool already holds for the sender.
 * CometBFT's mempool is FIFO and never reorders, so a tx must carry exactly the next nonce.
 */
export function validateTxAgainstAccount(eth: EthTx, account: Account | undefined, pending: PendingSpend, baseFee: bigint): void {
  const { tx } = eth
  const onChainNonce = account?.nonce ?? 0n
  if (tx.nonce < onChainNonce) {
    throw ErrNonceTooLow.with(`tx nonce ${tx.nonce}, account ${eth.sender} is at nonce ${onChainNonce}`)
  }
  if (tx.nonce < pending.nextNonce) {
    throw ErrNonceTooLow.with(`nonce ${tx.nonce} is already used by a pending tx of ${eth.sender}; next is ${pending.nextNonce} (replacing pending txs is not supported)`)
  }
  if (tx.nonce > pending.nextNonce) {
    throw ErrNonceTooHigh.with(`tx nonce ${tx.nonce}, next expected nonce of ${eth.sender} is ${pending.nextNonce}; send the missing nonces first`)
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
