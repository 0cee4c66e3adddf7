import { type Block, createBlock } from '@ethereumjs/block'
import { type AccessList, createFeeMarket1559Tx, createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { type Address, bytesToHex, createZeroAddress } from '@ethereumjs/util'
import { createVM, type RunTxResult, runTx } from '@ethereumjs/vm'
import { AppError, register } from '../../errors.ts'
import { BlockHashSource } from './blockHashes.ts'
import type { StoredBlock } from './blockStore.ts'
import { ErrInsufficientFunds } from './errors.ts'
import type { EvmKeeper } from './keeper.ts'

/** eth_call / eth_estimateGas input (the JSON-RPC "transaction call object"). */
export interface CallParams {
  from?: Address
  /** Absent for contract creation. */
  to?: Address
  gas?: bigint
  gasPrice?: bigint
  maxFeePerGas?: bigint
  maxPriorityFeePerGas?: bigint
  value?: bigint
  data?: Uint8Array
  accessList?: AccessList
}

export interface CallOutcome {
  /** Bytes returned (or revert data when `reverted`). */
  returnValue: Uint8Array
  gasUsed: bigint
  reverted: boolean
  /** The EVM's error when the call failed ("revert", "out of gas", "invalid opcode"…). */
  evmError: string | undefined
}

export const ErrCallFailed = register('evm', 20, 'call failed')
const ErrExecutionReverted = register('evm', 21, 'execution reverted')
export const ErrGasRequiredExceedsAllowance = register('evm', 22, 'gas required exceeds allowance')

/**
 * A reverted eth_call / eth_estimateGas. JSON-RPC answers it with code 3 and the revert data,
 * as geth does; the message decodes `Error(string)` and `Panic(uint256)`.
 */
export class RevertError extends AppError {
  constructor(readonly data: Uint8Array) {
    super(ErrExecutionReverted.codespace, ErrExecutionReverted.code, revertMessage(data))
  }
}

/** Gas of a plain value transfer. */
const TRANSFER_GAS = 21_000n

/** Highest gas eth_call and eth_estimateGas will spend, like geth's `--rpc.gascap`. */
export const RPC_GAS_CAP = 50_000_000n

/**
 * Runs calls on committed state without touching it: eth_call, and eth_estimateGas by binary
 * search over the gas limit (as geth does, since refunds and the 63/64 rule make "gas used"
 * lower than the limit a tx needs).
 */
export class CallSimulator {
  constructor(private readonly keeper: EvmKeeper) {}

  async call(p: CallParams, block: StoredBlock): Promise<CallOutcome> {
    const result = await this.run(p, block, await this.gasLimit(p, block))
    const err = result.execResult.exceptionError
    return {
      returnValue: result.execResult.returnValue,
      gasUsed: result.totalGasSpent,
      reverted: err?.error === 'revert',
      evmError: err?.error,
    }
  }

  async estimateGas(p: CallParams, block: StoredBlock): Promise<bigint> {
    let hi = await this.gasLimit(p, block)
    // A plain transfer to an account without code costs exactly 21000 (geth's shortcut).
    if ((p.data === undefined || p.data.length === 0) && p.to !== undefined && hi >= TRANSFER_GAS) {
      const code = await (await this.keeper.stateAt(block)).getCode(p.to)
      if (code.length === 0 && (await this.run(p, block, TRANSFER_GAS)).execResult.exceptionError === undefined) return TRANSFER_GAS
    }
    const first = await this.run(p, block, hi)
    const failure = first.execResult.exceptionError
    if (failure) {
      if (failure.error === 'revert') throw new RevertError(first.execResult.returnValue)
      if (failure.error === 'out of gas') throw ErrGasRequiredExceedsAllowance.with(`${hi}`)
      throw ErrCallFailed.with(failure.error)
    }
    let lo = first.totalGasSpent - 1n
    const refund = first.gasRefund ?? 0n
    const optimistic = ((first.totalGasSpent + refund + 2300n) * 64n) / 63n
    if (optimistic < hi) {
      if (await this.succeeds(p, block, optimistic)) hi = optimistic
      else lo = optimistic
    }
    while (lo + 1n < hi) {
      // Stop within 1.5% of the answer: each probe re-runs the whole call.
      if (((hi - lo) * 1000n) / hi < 15n) break
      const mid = (lo + hi) / 2n
      if (await this.succeeds(p, block, mid)) hi = mid
      else lo = mid
    }
    return hi
  }

  /**
   * The gas a run may use: the caller's `gas`, at most the block gas limit and the RPC cap; when
   * a fee is given, also at most what the sender's balance can pay after `value` (geth's
   * "gas allowance"), so a missing `gas` does not make a funded sender look broke.
   */
  private async gasLimit(p: CallParams, block: StoredBlock): Promise<bigint> {
    let cap = block.header.gasLimit < RPC_GAS_CAP ? block.header.gasLimit : RPC_GAS_CAP
    if (p.gas !== undefined) return p.gas < cap ? p.gas : cap
    const feeCap = p.maxFeePerGas ?? p.gasPrice ?? 0n
    if (feeCap > 0n) {
      const balance = (await (await this.keeper.stateAt(block)).getAccount(p.from ?? createZeroAddress()))?.balance ?? 0n
      const available = balance - (p.value ?? 0n)
      const allowance = available > 0n ? available / feeCap : 0n
      if (allowance < cap) cap = allowance
    }
    return cap
  }

  private async succeeds(p: CallParams, block: StoredBlock, gas: bigint): Promise<boolean> {
    try {
      const r = await this.run(p, block, gas)
      return r.execResult.exceptionError === undefined
    } catch {
      return false
    }
  }

  /** One run on a throw-away VM over the block's state. */
  private async run(p: CallParams, block: StoredBlock, gasLimit: bigint): Promise<RunTxResult> {
    const common = this.keeper.common
    const feesGiven = p.gasPrice !== undefined || p.maxFeePerGas !== undefined
    // Without fee fields the call is free (base fee 0), as geth's eth_call does.
    const baseFee = feesGiven ? (block.header.baseFeePerGas ?? 0n) : 0n
    const context: Block = createBlock(
      {
        header: {
          parentHash: block.header.parentHash,
          number: block.header.number,
          timestamp: block.header.timestamp,
          coinbase: block.header.coinbase,
          gasLimit: block.header.gasLimit,
          baseFeePerGas: baseFee,
          mixHash: block.header.mixHash,
        },
      },
      { common, skipConsensusFormatValidation: true },
    )
    const base = { to: p.to, value: p.value ?? 0n, data: p.data ?? new Uint8Array(0), gasLimit, nonce: 0n }
    const opts = { common: this.keeper.txCommon, freeze: false }
    const tx: TypedTransaction =
      p.maxFeePerGas !== undefined || p.maxPriorityFeePerGas !== undefined || p.accessList !== undefined
        ? createFeeMarket1559Tx(
            {
              ...base,
              maxFeePerGas: p.maxFeePerGas ?? baseFee + (p.maxPriorityFeePerGas ?? 0n),
              maxPriorityFeePerGas: p.maxPriorityFeePerGas ?? 0n,
              accessList: p.accessList,
            },
            opts,
          )
        : createLegacyTx({ ...base, gasPrice: p.gasPrice ?? 0n }, opts)
    const from = p.from ?? createZeroAddress()
    ;(tx as { getSenderAddress: () => Address }).getSenderAddress = () => from
    const state = await this.keeper.stateAt(block)
    // The EVM subscribes to its Common's events: each throw-away VM gets its own copy.
    const vm = await createVM({
      common: common.copy(),
      stateManager: state,
      blockchain: new BlockHashSource(this.keeper.blocks),
      evmOpts: { customPrecompiles: this.keeper.precompiles.call() },
    })
    try {
      // The balance is checked as geth does: value + gas × price must be affordable (price 0
      // without fee fields, so only the value counts).
      return await runTx(vm, { tx, block: context, skipNonce: true, skipHardForkValidation: true })
    } catch (err) {
      const message = (err as Error).message.replace(/\s*\((vm|block|tx) hf=.*$/s, '')
      if (/doesn't have enough funds/.test(message)) {
        throw ErrInsufficientFunds.with(`address ${from} cannot pay ${tx.getUpfrontCost(baseFee)} wei (value + gas × price)`)
      }
      throw ErrCallFailed.with(message)
    }
  }
}

const ERROR_SELECTOR = '0x08c379a0'
const PANIC_SELECTOR = '0x4e487b71'
const PANIC_REASONS: Record<number, string> = {
  1: 'assert(false)',
  17: 'arithmetic underflow or overflow',
  18: 'division or modulo by zero',
  33: 'enum overflow',
  34: 'invalid encoded storage byte array accessed',
  49: 'out-of-bounds array access; popping on an empty array',
  50: 'out-of-bounds access of an array or bytesN',
  65: 'out of memory',
  81: 'uninitialized function',
}

/** "execution reverted" plus the decoded reason, in geth's words. */
export function revertMessage(data: Uint8Array): string {
  const hex = bytesToHex(data)
  if (hex.startsWith(ERROR_SELECTOR) && data.length >= 68) {
    const len = Number(BigInt(bytesToHex(data.subarray(36, 68))))
    if (68 + len <= data.length) return `execution reverted: ${new TextDecoder().decode(data.subarray(68, 68 + len))}`
  }
  if (hex.startsWith(PANIC_SELECTOR) && data.length === 36) {
    const code = Number(BigInt(bytesToHex(data.subarray(4))))
    return `execution reverted: panic: ${PANIC_REASONS[code] ?? `code 0x${code.toString(16)}`}`
  }
  return 'execution reverted'
}
