import type { Coin } from 'cosmjs-types/cosmos/base/v1beta1/coin'
import { ErrSdkInvalidCoins } from '../../sdkErrors.ts'
import { DENOM } from './params.ts'

/** Largest amount a coin may carry: a uint256, as an EVM balance. */
const MAX_AMOUNT = (1n << 256n) - 1n

/**
 * The apipe amount of a list of coins (a MsgSend amount, a fee). Only `apipe` exists; amounts
 * are decimal integers; each denom once. An empty list is 0 (allowed for fees only).
 * @example coinsAmount([{ denom: 'apipe', amount: '1000' }], 'amount') // 1000n
 */
export function coinsAmount(coins: Coin[], field: string, opts: { positive: boolean }): bigint {
  if (coins.length === 0) {
    if (opts.positive) throw ErrSdkInvalidCoins.with(`${field} is empty`)
    return 0n
  }
  if (coins.length > 1) throw ErrSdkInvalidCoins.with(`${field} lists ${coins.length} coins; the only denom is ${DENOM}`)
  const coin = coins[0]!
  if (coin.denom !== DENOM)
    throw ErrSdkInvalidCoins.with(`${field} denom "${coin.denom}" does not exist; the only denom is ${DENOM} (18 decimals)`)
  if (!/^[0-9]+$/.test(coin.amount)) throw ErrSdkInvalidCoins.with(`${field} amount "${coin.amount}" is not a non-negative integer`)
  const amount = BigInt(coin.amount)
  if (amount > MAX_AMOUNT) throw ErrSdkInvalidCoins.with(`${field} amount ${coin.amount} is larger than 2^256 - 1`)
  if (opts.positive && amount === 0n) throw ErrSdkInvalidCoins.with(`${field} must be positive, got 0${DENOM}`)
  return amount
}

/** `1000apipe`, as SDK events spell amounts. */
export function formatAmount(amount: bigint): string {
  return `${amount}${DENOM}`
}
