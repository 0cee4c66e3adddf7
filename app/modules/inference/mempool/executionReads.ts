import type { Block } from '@ethereumjs/block'
import type { VM } from '@ethereumjs/vm'
import { accountKey, type RecordingStateManager } from '../../evm/recordingStateManager.ts'

/**
 * The block header fields that differ from one simulation block to the next (the next block's
 * number, its parent's timestamp and hash, and the randomness and gas limit the parent carries):
 * an execution that reads one of them may run differently on the next committed state even if
 * the state it read is unchanged. `prevRandao` is a getter over `mixHash`.
 */
const PER_BLOCK_FIELDS: ReadonlySet<string | symbol> = new Set([
  'number',
  'timestamp',
  'parentHash',
  'mixHash',
  'prevRandao',
  'difficulty',
  'gasLimit',
])

/** What the EVM's execution of one tx read. */
export interface ExecutionRead {
  /** State keys (recordingStateManager.ts). */
  state: Set<string>
  /** Whether it read a per-block header field (opcodes NUMBER, TIMESTAMP, BLOCKHASH, …). */
  blockContext: boolean
}

/**
 * Records what a simulated tx's EVM execution reads — from the outermost message's start to its
 * end (the EVM's `beforeMessage`/`afterMessage` events), not the VM's own reads around it (the
 * sender's nonce and fee, the coinbase's payment), and not the EVM's first read of the sender's
 * account in that message: the transfer of the tx's value, which a simulation always funds
 * (runTx's skipBalance). Recording those would make every block that moves a sender's balance
 * re-simulate all of that sender's txs. A contract that reads its caller's balance, or a call
 * back into the sender, reads the account again, and that read is recorded
 * (test/app/inferenceResimulation.test.ts shows both).
 *
 * Attach it once to a simulation VM; `observe` each block the simulations run in; `begin`
 * before each run, `end` after it.
 */
export class ExecutionReads {
  private depth = 0
  private blockContext = false

  constructor(
    vm: VM,
    private readonly state: RecordingStateManager,
  ) {
    const events = vm.evm.events
    if (!events) throw new Error('the simulation EVM has no events: its reads cannot be recorded')
    events.on('beforeMessage', (message) => {
      if (this.depth++ > 0) return
      this.state.recordReads = true
      this.state.unrecordedRead = accountKey(message.caller)
    })
    events.on('afterMessage', () => {
      if (--this.depth === 0) this.state.recordReads = false
    })
  }

  /**
   * `block`, which must be created unfrozen (`freeze: false`), with its header replaced by one
   * that reports reads of per-block fields, and frozen.
   */
  observe(block: Block): Block {
    const header = new Proxy(block.header, {
      get: (target, field, receiver) => {
        if (this.state.recordReads && PER_BLOCK_FIELDS.has(field)) this.blockContext = true
        return Reflect.get(target, field, receiver)
      },
    })
    Object.defineProperty(block, 'header', { value: header })
    Object.freeze(block)
    return block
  }

  /** Starts a new record (nothing is recorded until the EVM starts the tx's message). */
  begin(): void {
    this.depth = 0
    this.blockContext = false
    this.state.recordReads = false
    this.state.unrecordedRead = undefined
    this.state.takeAccess()
  }

  /** What the run since `begin` read. */
  end(): ExecutionRead {
    this.state.recordReads = false
    this.state.unrecordedRead = undefined
    return { state: this.state.takeAccess().reads, blockContext: this.blockContext }
  }
}
