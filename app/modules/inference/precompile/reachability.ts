import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { bytesToHex } from '@ethereumjs/util'
import { LRUCache } from 'lru-cache'
import type { EthTx } from '../../evm/ethTx.ts'
import { INFERENCE_PRECOMPILE_ADDRESS } from './abi.ts'

const PRECOMPILE = INFERENCE_PRECOMPILE_ADDRESS.toLowerCase()
const CALL_OPCODES = new Set([0xf1, 0xf2, 0xf4, 0xfa])

/**
 * Whether EVM bytecode can call another contract: it contains CALL, CALLCODE, DELEGATECALL or
 * STATICCALL outside PUSH data. Code that cannot call out cannot reach the inference
 * precompile, so txs to it need no simulation (the storage-and-log contract of the EVM
 * benchmark, token transfers of simple tokens, every EOA).
 */
export function mayCallOut(code: Uint8Array): boolean {
  for (let i = 0; i < code.length; i++) {
    const op = code[i] as number
    if (CALL_OPCODES.has(op)) return true
    if (op >= 0x60 && op <= 0x7f) i += op - 0x5f // skip PUSH1..PUSH32 immediates
  }
  return false
}

/** Whether a tx calls the precompile itself (then no code can read the output). */
export function isDirectCall(eth: EthTx): boolean {
  return eth.tx.to?.toString() === PRECOMPILE
}

/**
 * Which txs can reach the inference precompile, judged on a state: a tx that calls it directly,
 * creates a contract, or calls code that can call out. Everything else (transfers to EOAs,
 * simple contracts) is plain. The verdict on code is a pure function of the code, kept by code
 * hash.
 */
export class PrecompileReach {
  private readonly verdicts = new LRUCache<string, boolean>({ max: 10_000 })

  async mayReach(eth: EthTx, state: MerkleStateManager): Promise<boolean> {
    const to = eth.tx.to
    if (!to || isDirectCall(eth)) return true
    const account = await state.getAccount(to)
    if (!account?.isContract()) return false
    const codeHash = bytesToHex(account.codeHash)
    let verdict = this.verdicts.get(codeHash)
    if (verdict === undefined) {
      verdict = mayCallOut(await state.getCode(to))
      this.verdicts.set(codeHash, verdict)
    }
    return verdict
  }
}
