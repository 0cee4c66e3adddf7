import { bytesToHex, privateToAddress, toChecksumAddress } from '@ethereumjs/util'
import { HDKey } from '@scure/bip32'
import { mnemonicToSeedSync } from '@scure/bip39'

/** The mnemonic Hardhat and Anvil use for their dev accounts. Public: never use it for real funds. */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk'

export interface DevAccount {
  /** Checksummed 0x address. */
  address: `0x${string}`
  /** 0x-prefixed 32-byte private key. */
  privateKey: `0x${string}`
}

/**
 * Derives accounts m/44'/60'/0'/0/i of a BIP-39 mnemonic (the Hardhat / Anvil dev accounts).
 * @example devAccounts(2)[0].address // '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
 */
export function devAccounts(count = 10, mnemonic = DEV_MNEMONIC): DevAccount[] {
  const root = HDKey.fromMasterSeed(mnemonicToSeedSync(mnemonic))
  return Array.from({ length: count }, (_, i) => {
    const key = root.derive(`m/44'/60'/0'/0/${i}`).privateKey
    if (!key) throw new Error(`no private key at index ${i}`)
    const address = toChecksumAddress(bytesToHex(privateToAddress(key))) as `0x${string}`
    return { address, privateKey: bytesToHex(key) as `0x${string}` }
  })
}
