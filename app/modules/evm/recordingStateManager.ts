import type { AccountFields } from '@ethereumjs/common'
import { MerkleStateManager, type MerkleStateManagerOpts } from '@ethereumjs/statemanager'
import type { Account, Address } from '@ethereumjs/util'

/**
 * What a state manager's users read or wrote, as keys: `a<address>` for an account (balance,
 * nonce, code), `s<address><slot>` for one storage slot, `c<address>` for the whole storage of
 * an account (cleared, or the account deleted; every slot read also reads it). A tx whose reads
 * share no key with a block's writes sees the same state before and after that block.
 */
export interface StateAccess {
  reads: Set<string>
  writes: Set<string>
}

/**
 * A MerkleStateManager that keeps a record of the state its users (the EVM, the VM, the Cosmos
 * tx runner) read and write. It overrides the methods of ethereumjs' StateManagerInterface, the
 * only way the EVM reaches state, so the record is complete; `override` makes the compiler
 * refuse an ethereumjs upgrade that renames or retypes one of them. Writes are always recorded
 * (which accounts a block touched: the auth module numbers new ones, the inference mempool
 * re-simulates the txs that read them); reads only while `recordReads` is on, which the inference
 * mempool's simulation turns on for the EVM's execution of a tx (ExecutionReads) — block
 * execution does not pay for them.
 */
export class RecordingStateManager extends MerkleStateManager {
  private access: StateAccess = { reads: new Set(), writes: new Set() }
  /** Whether reads are being recorded. */
  recordReads = false
  /** An account key whose next getAccount is not recorded as a read (see ExecutionReads). */
  unrecordedRead: string | undefined
  /** The account whose storage root ethereumjs is updating (its putAccount is no `a` write). */
  private storageRootOf: string | undefined

  constructor(opts: MerkleStateManagerOpts) {
    super(opts)
  }

  /** What was recorded since the last call, which starts a new record. */
  takeAccess(): StateAccess {
    const taken = this.access
    this.access = { reads: new Set(), writes: new Set() }
    return taken
  }

  override getAccount(address: Address): Promise<Account | undefined> {
    if (this.recordReads) {
      const key = accountKey(address)
      if (key === this.unrecordedRead) this.unrecordedRead = undefined
      else this.access.reads.add(key)
    }
    return super.getAccount(address)
  }

  override getCode(address: Address): Promise<Uint8Array> {
    if (this.recordReads) this.access.reads.add(accountKey(address))
    return super.getCode(address)
  }

  override getCodeSize(address: Address): Promise<number> {
    if (this.recordReads) this.access.reads.add(accountKey(address))
    return super.getCodeSize(address)
  }

  override getStorage(address: Address, key: Uint8Array): Promise<Uint8Array> {
    if (this.recordReads) {
      this.access.reads.add(storageKey(address))
      this.access.reads.add(slotKey(address, key))
    }
    return super.getStorage(address, key)
  }

  override putAccount(address: Address, account: Account | undefined): Promise<void> {
    const key = accountKey(address)
    if (key !== this.storageRootOf) this.access.writes.add(key)
    return super.putAccount(address, account)
  }

  /**
   * ethereumjs writes a slot (and clears a storage) through here, then puts the account back
   * with its new storage root. That put changes no balance, nonce or code — what an `a` key
   * stands for — and the slot's own key is recorded: were it an `a` write, a block storing one
   * slot of a contract would count as a change to everything that called the contract, and the
   * inference mempool would re-simulate every pending tx that calls it (a RiskScorer workload:
   * each tx, after every block).
   */
  protected override async _modifyContractStorage(
    address: Address,
    account: Account,
    modifyTrie: Parameters<MerkleStateManager['_modifyContractStorage']>[2],
  ): Promise<void> {
    this.storageRootOf = accountKey(address)
    try {
      await super._modifyContractStorage(address, account, modifyTrie)
    } finally {
      this.storageRootOf = undefined
    }
  }

  override modifyAccountFields(address: Address, fields: AccountFields): Promise<void> {
    this.access.writes.add(accountKey(address))
    return super.modifyAccountFields(address, fields)
  }

  override putCode(address: Address, value: Uint8Array): Promise<void> {
    this.access.writes.add(accountKey(address))
    return super.putCode(address, value)
  }

  override putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    this.access.writes.add(slotKey(address, key))
    return super.putStorage(address, key, value)
  }

  override clearStorage(address: Address): Promise<void> {
    this.access.writes.add(storageKey(address))
    return super.clearStorage(address)
  }

  override deleteAccount(address: Address): Promise<void> {
    this.access.writes.add(accountKey(address))
    this.access.writes.add(storageKey(address))
    return super.deleteAccount(address)
  }
}

export function accountKey(a: Address): string {
  return `a${hex(a.bytes)}`
}

/** The accounts among recorded keys, in address order. */
export function accountsIn(keys: Iterable<string>): `0x${string}`[] {
  const out: `0x${string}`[] = []
  for (const k of keys) if (k.startsWith('a')) out.push(`0x${k.slice(1)}`)
  return out.sort()
}

function storageKey(a: Address): string {
  return `c${hex(a.bytes)}`
}

function slotKey(a: Address, slot: Uint8Array): string {
  return `s${hex(a.bytes)}${hex(slot)}`
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex')
}

/** Whether any key of `reads` is in `writes`. */
export function overlaps(reads: ReadonlySet<string>, writes: ReadonlySet<string>): boolean {
  const [small, large] = reads.size <= writes.size ? [reads, writes] : [writes, reads]
  for (const k of small) if (large.has(k)) return true
  return false
}
