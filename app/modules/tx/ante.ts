import type { Account } from '@ethereumjs/util'
import {
  ErrSdkInsufficientFee,
  ErrSdkInsufficientFunds,
  ErrSdkInvalidGasLimit,
  ErrSdkTxTimeoutHeight,
  ErrSdkUnauthorized,
  ErrSdkUnknownAddress,
  ErrSdkWrongSequence,
} from '../../sdkErrors.ts'
import type { AccountNumber } from '../auth/keeper.ts'
import { verifySignature } from '../auth/pubkey.ts'
import { formatAmount } from '../bank/coins.ts'
import { COSMOS_CHAIN_ID } from '../evm/params.ts'
import { type CosmosTx, signBytes } from './cosmosTx.ts'
import type { MsgContext } from './msgHandler.ts'

/**
 * The checks of a Cosmos tx against state (the SDK's ante decorators), shared by CheckTx,
 * Simulate and block execution so the three agree. Each throws the SDK's error.
 */

/**
 * The signer must have an account: a number (every account in the EVM state gets one at the end
 * of the block it appears in) and an EVM account. Returns both.
 */
export function signerAccount(
  tx: CosmosTx,
  account: Account | undefined,
  number: AccountNumber | undefined,
): { account: Account; number: bigint } {
  if (!number || !account) {
    throw ErrSdkUnknownAddress.with(
      `account ${tx.senderBech32} does not exist on chain; send it funds first (to its 0x address ${tx.sender} from an Ethereum wallet works too)`,
    )
  }
  return { account, number: number.number }
}

/** The messages' admission checks (CheckTx, Simulate) against committed state. */
export async function admitMsgs(tx: CosmosTx, ctx: MsgContext): Promise<void> {
  for (const m of tx.msgs) await m.handler.admit(m.msg, ctx)
}

/** The signer's sequence must be the account's next one (its EVM nonce, plus its queued txs in CheckTx). */
export function checkSequence(tx: CosmosTx, expected: bigint): void {
  if (tx.nonce !== expected) throw ErrSdkWrongSequence.with(`account sequence mismatch, expected ${expected}, got ${tx.nonce}`)
}

/**
 * The SIGN_MODE_DIRECT signature over (body, auth info, chain id, account number). A wrong
 * chain id or account number shows up here, so the message names both.
 */
export function checkSignature(tx: CosmosTx, accountNumber: bigint): void {
  if (tx.verifiedFor === accountNumber) return
  if (!tx.pubKey || !verifySignature(tx.pubKey, signBytes(tx, COSMOS_CHAIN_ID, accountNumber), tx.signature)) {
    throw ErrSdkUnauthorized.with(
      `signature verification failed; please verify account number (${accountNumber}), sequence (${tx.nonce}) and chain-id (${COSMOS_CHAIN_ID})`,
    )
  }
  tx.verifiedFor = accountNumber
}

/** A non-zero timeout height is the last height the tx may be included at. */
export function checkTimeout(tx: CosmosTx, height: bigint): void {
  if (tx.timeoutHeight !== 0n && height > tx.timeoutHeight) {
    throw ErrSdkTxTimeoutHeight.with(`block height ${height} is past the tx's timeout height ${tx.timeoutHeight}`)
  }
}

/** The tx must fit a block. */
export function checkGasLimit(tx: CosmosTx, blockGasLimit: bigint): void {
  if (tx.gasLimit > blockGasLimit) throw ErrSdkInvalidGasLimit.with(`gas limit ${tx.gasLimit} exceeds the block gas limit ${blockGasLimit}`)
}

/** The fee pays for the whole gas limit at the EVM's base fee: one fee market for both kinds of tx. */
export function checkFee(tx: CosmosTx, baseFee: bigint): void {
  const required = tx.gasLimit * baseFee
  if (tx.fee < required) {
    throw ErrSdkInsufficientFee.with(
      `insufficient fee; got: ${formatAmount(tx.fee)} required: ${formatAmount(required)} (gas limit ${tx.gasLimit} × base fee ${formatAmount(baseFee)})`,
    )
  }
}

/**
 * The signer must hold the fee and what its messages send beyond what is already reserved
 * (`feeOnly`: just the fee, as a block checks before its messages run).
 */
export function checkFunds(tx: CosmosTx, balance: bigint, opts: { reserved?: bigint; feeOnly?: boolean } = {}): void {
  const reserved = opts.reserved ?? 0n
  const needed = opts.feeOnly ? tx.fee : tx.fee + tx.spend
  const available = balance - reserved
  if (available < needed) {
    const pending = reserved > 0n ? ` (${formatAmount(available < 0n ? 0n : available)} after its pending txs)` : ''
    throw ErrSdkInsufficientFunds.with(
      `spendable balance ${formatAmount(balance)} of ${tx.senderBech32}${pending} is smaller than ${formatAmount(needed)} (fee ${formatAmount(tx.fee)}${opts.feeOnly ? '' : ` + sent ${formatAmount(tx.spend)}`})`,
    )
  }
}
