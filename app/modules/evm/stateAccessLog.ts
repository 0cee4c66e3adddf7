import type { MerkleStateManager } from '@ethereumjs/statemanager'
import type { Address } from '@ethereumjs/util'

/**
 * What a state manager's user read or wrote, as keys: `a<address>` for an account (balance,
 * nonce, code), `s<address><slot>` for one storage slot, `c<address>` for the whole storage of
 * an account (cleared, or the account deleted; every slot read also reads it). A tx whose reads
 * share no key with a block's writes sees the same state before and after that block.
 */
export class StateAccessLog {
  reads = new Set<string>()
  writes = new Set<string>()

  private constructor() {}

  /**
   * Starts logging the accesses made through `state`'s public methods (the ones the EVM and the
   * VM call). Reads are logged only if asked: block execution needs writes, simulation reads.
   */
  static attach(state: MerkleStateManager, opts: { reads: boolean }): StateAccessLog {
    const log = new StateAccessLog()
    const read = (key: string) => log.reads.add(key)
    const write = (key: string) => log.writes.add(key)
    const wrap = <K extends keyof MerkleStateManager>(name: K, before: (...args: never[]) => void) => {
      const original = (state[name] as (...args: unknown[]) => unknown).bind(state)
      Object.defineProperty(state, name, {
        value: (...args: unknown[]) => {
          ;(before as (...a: unknown[]) => void)(...args)
          return original(...args)
        },
        configurable: true,
        writable: true,
      })
    }
    // Block execution does not pay for read logging: the read methods stay as they are.
    if (opts.reads) {
      wrap('getAccount', (a: Address) => read(accountKey(a)))
      wrap('getCode', (a: Address) => read(accountKey(a)))
      wrap('getCodeSize', (a: Address) => read(accountKey(a)))
      wrap('getStorage', (a: Address, slot: Uint8Array) => {
        read(storageKey(a))
        read(slotKey(a, slot))
      })
    }
    wrap('putAccount', (a: Address) => write(accountKey(a)))
    wrap('modifyAccountFields', (a: Address) => write(accountKey(a)))
    wrap('putCode', (a: Address) => write(accountKey(a)))
    wrap('putStorage', (a: Address, slot: Uint8Array) => write(slotKey(a, slot)))
    wrap('clearStorage', (a: Address) => write(storageKey(a)))
    wrap('deleteAccount', (a: Address) => {
      write(accountKey(a))
      write(storageKey(a))
    })
    return log
  }

  /** Forgets what was logged so far and returns it. */
  take(): { reads: Set<string>; writes: Set<string> } {
    const taken = { reads: this.reads, writes: this.writes }
    this.reads = new Set()
    this.writes = new Set()
    return taken
  }
}

export function accountKey(a: Address): string {
  return 'a' + hex(a.bytes)
}

function storageKey(a: Address): string {
  return 'c' + hex(a.bytes)
}

function slotKey(a: Address, slot: Uint8Array): string {
  return 's' + hex(a.bytes) + hex(slot)
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
