import type { Account, Address } from '@ethereumjs/util'

/**
 * What the bank module needs of the EVM: its accounts, which hold the balances. A
 * MerkleStateManager (the block's working state, or a throw-away view) is one.
 */
export interface EvmAccounts {
  getAccount(address: Address): Promise<Account | undefined>
  putAccount(address: Address, account?: Account): Promise<void>
}
