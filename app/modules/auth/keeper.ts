import { RLP } from '@ethereumjs/rlp'
import { type Address, bigIntToUnpaddedBytes, bytesToBigInt } from '@ethereumjs/util'
import { Any } from 'cosmjs-types/google/protobuf/any'
import { ChainedKeeper, ChainedStore } from '../../store/chainedStore.ts'
import type { KvStore, WriteSet } from '../../store/kvStore.ts'
import { ACCOUNT_NUMBER_PREFIX, NEXT_NUMBER_KEY, PUBKEY_PREFIX, prefixed, ROOT_KEY } from './keys.ts'

/** An account's number and the height it was assigned at (0: genesis). */
export interface AccountNumber {
  number: bigint
  height: bigint
}

/**
 * The auth module's keeper: what a Cosmos account has beyond its EVM balance and nonce — its
 * account number (signed into every Cosmos tx, so a signature cannot be replayed on another
 * account) and the public key it signs with.
 *
 * Every account in EVM state gets a number, whichever way it appeared (genesis, an ETH
 * transfer, a bank send, a contract creation): at the end of each block, the accounts the block
 * wrote that exist and have none are numbered in address order. Numbers never change.
 */
export class AuthKeeper extends ChainedKeeper {
  private constructor(store: ChainedStore) {
    super(store)
  }

  static async open(kv: KvStore): Promise<AuthKeeper> {
    return new AuthKeeper(await ChainedStore.open(kv, ROOT_KEY))
  }

  /** Numbers the genesis accounts 0, 1, … in genesis order. */
  async initGenesis(addresses: Address[], ws: WriteSet): Promise<Uint8Array> {
    await this.assignNumbers(addresses, 0n)
    return this.store.endGenesis(ws)
  }

  /** The account's number as block execution sees it (this block's assignments included). */
  async accountNumber(address: Address): Promise<AccountNumber | undefined> {
    return decodeNumber(await this.store.get(prefixed(ACCOUNT_NUMBER_PREFIX, address.bytes)))
  }

  /** The account's number as committed (CheckTx, queries). */
  async committedAccountNumber(address: Address): Promise<AccountNumber | undefined> {
    return decodeNumber(await this.store.getCommitted(prefixed(ACCOUNT_NUMBER_PREFIX, address.bytes)))
  }

  /** The committed public key of the account, if it ever signed a Cosmos tx. */
  async committedPubKey(address: Address): Promise<Any | undefined> {
    const bytes = await this.store.getCommitted(prefixed(PUBKEY_PREFIX, address.bytes))
    return bytes ? Any.decode(bytes) : undefined
  }

  /** Records the key an account signed with, on its first Cosmos tx (as the SDK's ante does). */
  async setPubKeyIfMissing(address: Address, pubKey: Any): Promise<void> {
    const key = prefixed(PUBKEY_PREFIX, address.bytes)
    if (await this.store.get(key)) return
    this.store.put(key, Any.encode(pubKey).finish())
  }

  /**
   * Numbers the accounts in `candidates` that have none, in the order given (callers pass
   * them sorted). `exists` says whether the account is in the EVM state after the block.
   */
  async assignNumbers(candidates: Address[], height: bigint, exists: (a: Address) => Promise<boolean> = async () => true): Promise<void> {
    let next: bigint | undefined
    for (const address of candidates) {
      const key = prefixed(ACCOUNT_NUMBER_PREFIX, address.bytes)
      if (await this.store.get(key)) continue
      if (!(await exists(address))) continue
      next ??= bytesToBigInt((await this.store.get(NEXT_NUMBER_KEY)) ?? new Uint8Array(0))
      this.store.put(key, RLP.encode([bigIntToUnpaddedBytes(next), bigIntToUnpaddedBytes(height)]))
      next++
    }
    if (next !== undefined) this.store.put(NEXT_NUMBER_KEY, bigIntToUnpaddedBytes(next))
  }
}

function decodeNumber(bytes: Uint8Array | undefined): AccountNumber | undefined {
  if (!bytes) return undefined
  const [number, height] = RLP.decode(bytes) as Uint8Array[]
  if (!number || !height) throw new Error('stored account number is not an RLP list of [number, height]')
  return { number: bytesToBigInt(number), height: bytesToBigInt(height) }
}
