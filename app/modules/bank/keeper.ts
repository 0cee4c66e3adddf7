import { Account, type Address } from '@ethereumjs/util'
import { ErrSdkInsufficientFunds } from '../../sdkErrors.ts'
import { toBech32Address } from '../auth/address.ts'
import { formatAmount } from './coins.ts'
import type { EvmAccounts } from './expectedKeepers.ts'

/**
 * The bank module's keeper. Balances are not stored here: an account's `apipe` balance is its
 * EVM balance, read and written through the EVM accounts it is given (the block's working
 * state, so a bank send and the EVM txs around it see each other's effects in order).
 */
export class BankKeeper {
  async balance(accounts: EvmAccounts, address: Address): Promise<bigint> {
    return (await accounts.getAccount(address))?.balance ?? 0n
  }

  /** Takes `amount` from `address`; throws ErrSdkInsufficientFunds and changes nothing if it lacks it. */
  async debit(accounts: EvmAccounts, address: Address, amount: bigint): Promise<void> {
    if (amount === 0n) return
    const account = await accounts.getAccount(address)
    const balance = account?.balance ?? 0n
    if (!account || balance < amount) {
      throw ErrSdkInsufficientFunds.with(
        `spendable balance ${formatAmount(balance)} of ${toBech32Address(address)} is smaller than ${formatAmount(amount)}`,
      )
    }
    await accounts.putAccount(address, new Account(account.nonce, balance - amount, account.storageRoot, account.codeHash))
  }

  /** Adds `amount` to `address`, creating the account if it is new. */
  async credit(accounts: EvmAccounts, address: Address, amount: bigint): Promise<void> {
    if (amount === 0n) return
    const account = await accounts.getAccount(address)
    await accounts.putAccount(
      address,
      account ? new Account(account.nonce, account.balance + amount, account.storageRoot, account.codeHash) : new Account(0n, amount),
    )
  }

  /** Moves `amount` between two accounts (to itself: a no-op that still needs the funds). */
  async send(accounts: EvmAccounts, from: Address, to: Address, amount: bigint): Promise<void> {
    await this.debit(accounts, from, amount)
    await this.credit(accounts, to, amount)
  }
}
