import { devAccounts } from './devAccounts.ts'
import { DEV_ACCOUNT_BALANCE } from './params.ts'

/** One account in the EVM genesis state. Numbers are decimal strings (JSON-safe bigints). */
export interface GenesisAccount {
  address: `0x${string}`
  /** Balance in wei, decimal string. */
  balance: string
  nonce?: string
  /** Runtime bytecode, 0x hex. */
  code?: `0x${string}`
  /** Storage slot → value, both 0x hex 32-byte words. */
  storage?: Record<string, string>
}

/** The EVM module's part of CometBFT's `app_state`. */
export interface EvmGenesis {
  accounts: GenesisAccount[]
}

/** The first `count` dev accounts of the public test mnemonic, each with 10,000 ETH. */
export function defaultEvmGenesis(count = 10): EvmGenesis {
  return {
    accounts: devAccounts(count).map((a) => ({ address: a.address, balance: DEV_ACCOUNT_BALANCE.toString() })),
  }
}

/** Checks the shape of an EVM genesis read from JSON; throws with the offending path. */
export function parseEvmGenesis(raw: unknown): EvmGenesis {
  if (raw === undefined || raw === null) return { accounts: [] }
  if (typeof raw !== 'object' || !Array.isArray((raw as EvmGenesis).accounts)) {
    throw new Error('app_state.evm.accounts must be an array')
  }
  const accounts = (raw as EvmGenesis).accounts.map((a, i) => {
    if (typeof a.address !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(a.address)) {
      throw new Error(`app_state.evm.accounts[${i}].address is not a 20-byte hex address`)
    }
    if (typeof a.balance !== 'string' || !/^[0-9]+$/.test(a.balance)) {
      throw new Error(`app_state.evm.accounts[${i}].balance must be a decimal string`)
    }
    return a
  })
  return { accounts }
}
