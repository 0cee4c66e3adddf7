/**
 * Whether EVM bytecode can call another contract: it contains CALL, CALLCODE, DELEGATECALL or
 * STATICCALL outside PUSH data. Code that cannot call out cannot reach the inference
 * precompile, so txs to it need no simulation (the storage-and-log contract of the EVM
 * benchmark, token transfers of simple tokens, every EOA).
 */
const CALL_OPCODES = new Set([0xf1, 0xf2, 0xf4, 0xfa])

export function mayCallOut(code: Uint8Array): boolean {
  for (let i = 0; i < code.length; i++) {
    const op = code[i]
    if (CALL_OPCODES.has(op)) return true
    if (op >= 0x60 && op <= 0x7f) i += op - 0x5f // skip PUSH1..PUSH32 immediates
  }
  return false
}
