import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { createEVM } from '@ethereumjs/evm'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { Account, Address, bytesToHex, createAddressFromString, hexToBytes } from '@ethereumjs/util'
import { initCrypto } from '../../../app/crypto.ts'
import { createChainCommon } from '../../../app/modules/evm/chainConfig.ts'
import { installFastInterpreter, stockFingerprints, uninstallFastInterpreter } from '../../../app/modules/evm/fastInterpreter.ts'
import { loadContract } from '../../support/contracts.ts'

/**
 * The EVM's fast path (fastInterpreter.ts) against ethereumjs' own interpreter: random programs
 * heavy in what it replaces (memory opcodes and their gas, jumps, the jump analysis cache) and the
 * project's contracts give the same result, gas, logs, return data, error and state either way.
 */
before(initCrypto)

const CONTRACT = createAddressFromString('0x00000000000000000000000000000000000c0de0')
const CALLEE = createAddressFromString('0x00000000000000000000000000000000000c0de1')
const CALLER = createAddressFromString('0x00000000000000000000000000000000000ca11e')

interface Outcome {
  gas: string
  refund: string
  error: string | undefined
  returned: string
  logs: string
  stateRoot: string
}

/** Runs `data` against `code` (deployed at CONTRACT, with `callee` at CALLEE) on a fresh EVM. */
async function run(fast: boolean, code: Uint8Array, data: Uint8Array, gasLimit: bigint, callee = code): Promise<Outcome> {
  if (fast) assert.equal(installFastInterpreter().installed, true)
  else uninstallFastInterpreter()
  const stateManager = new MerkleStateManager({ common: createChainCommon() })
  const evm = await createEVM({ common: createChainCommon(), stateManager })
  await stateManager.putAccount(CALLER, new Account(0n, 10n ** 20n))
  await stateManager.putAccount(CONTRACT, new Account())
  await stateManager.putCode(CONTRACT, code)
  await stateManager.putAccount(CALLEE, new Account())
  await stateManager.putCode(CALLEE, callee)
  await stateManager.checkpoint()
  const r = await evm.runCall({ caller: CALLER, to: CONTRACT, data, gasLimit })
  await stateManager.commit()
  return {
    gas: String(r.execResult.executionGasUsed),
    refund: String(r.execResult.gasRefund),
    error: r.execResult.exceptionError?.error,
    returned: bytesToHex(r.execResult.returnValue),
    logs: JSON.stringify((r.execResult.logs ?? []).map(([a, t, d]) => [bytesToHex(a), t.map((x) => bytesToHex(x)), bytesToHex(d)])),
    stateRoot: bytesToHex(await stateManager.getStateRoot()),
  }
}

async function same(code: Uint8Array, data: Uint8Array, gasLimit: bigint, what: string, callee?: Uint8Array): Promise<Outcome> {
  const stock = await run(false, code, data, gasLimit, callee)
  const fast = await run(true, code, data, gasLimit, callee)
  assert.deepEqual(fast, stock, what)
  return fast
}

let seed = 0x9e3779b9
/** mulberry32: a seeded generator, so a failure names a program that can be run again. */
const rand = (n: number) => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return (((t ^ (t >>> 14)) >>> 0) % n) as number
}
const hex = (bytes: number) => Array.from({ length: bytes }, () => rand(256).toString(16).padStart(2, '0')).join('')
const push = (bytes: number, value: string) => `${(0x5f + bytes).toString(16)}${value.padStart(bytes * 2, '0').slice(-bytes * 2)}`

/** A word: zero, small, around 2^64, 2^128, 2^192 or 2^256, or random, as PUSH32. */
function word(): string {
  switch (rand(8)) {
    case 0:
      return push(32, '0')
    case 1:
      return push(32, rand(1000).toString(16))
    case 2:
    case 3:
    case 4: {
      const bit = [64n, 128n, 192n][rand(3)]!
      return push(32, (2n ** bit - 2n + BigInt(rand(4))).toString(16))
    }
    case 5:
      return push(32, (2n ** 256n - 1n - BigInt(rand(3))).toString(16))
    default:
      return push(32, hex(1 + rand(32)))
  }
}

/** Offsets used so far: reads and writes go back to them, next to them and across word edges. */
let used: number[] = []
function offset(): string {
  if (rand(300) === 0) return push(8, hex(5)) // more memory than the gas pays for
  const last = used.length > 0 ? used[rand(used.length)]! : 0
  const o = [last, last + 31, last + 32, last + 1, Math.max(0, last - 1), rand(3000), rand(100) * 32 + 31][rand(7)]!
  used.push(o)
  return push(2, o.toString(16))
}

/** A random program of memory, arithmetic, jump, storage, log and call segments, returning its memory. */
function program(): string {
  used = []
  let code = ''
  const segments = 5 + rand(40)
  for (let i = 0; i < segments; i++) {
    switch (rand(15)) {
      case 0:
      case 1:
      case 2:
        code += `${word()}${offset()}52` // MSTORE
        break
      case 3:
        code += `${offset()}51${push(1, rand(4).toString(16))}55` // MLOAD, SSTORE it
        break
      case 4:
      case 5:
        code += `${offset()}51${offset()}52` // MLOAD, MSTORE it elsewhere
        break
      case 6:
        code += `${word()}${offset()}53` // MSTORE8
        break
      case 7:
        // MSTORE8 or MSTORE at the edge of memory: MSIZE - 1 (a byte inside the last word) or MSIZE + k
        code += `${word()}${rand(2) ? `59${push(1, '01')}9003` : `59${push(1, rand(40).toString(16))}01`}${rand(2) ? '53' : '52'}`
        break
      case 8:
        code += `${word()}${word()}${['01', '02', '03', '04', '0a', '1b', '1c', '1d', '16', '17', '18'][rand(11)]}${offset()}52`
        break
      case 9: {
        // a jump over a PUSH whose data holds a 5b (not a destination), to a real JUMPDEST
        const at = code.length / 2
        code += `${push(2, (at + 3 + 1 + 3).toString(16))}56${push(2, '5b5b')}5b`
        break
      }
      case 10:
        code += `${push(1, '20')}${offset()}20${offset()}52` // KECCAK256 of 32 bytes, MSTORE it
        break
      case 11:
        code += `${word()}${push(1, rand(4).toString(16))}55${push(1, rand(4).toString(16))}54${offset()}52` // SSTORE, SLOAD
        break
      case 12:
        code += `${word()}${push(1, '40')}${offset()}a1` // LOG1
        break
      case 13:
        code += `${push(1, '24')}${push(1, '00')}${offset()}37` // CALLDATACOPY
        break
      default:
        // CALL CALLEE with 64 bytes of memory in and 32 out
        code += `${push(1, '20')}${offset()}${push(1, '40')}${offset()}${push(1, '00')}${push(20, CALLEE.toString().slice(2))}${push(3, 'ffffff')}f150`
    }
    if (rand(300) === 0) code += ['fe', '00', '56', 'fd'][rand(4)]! // INVALID, STOP, a bad JUMP, REVERT with junk on the stack
  }
  return `${code}59${push(1, '00')}f3` // RETURN(0, MSIZE)
}

test('the fast path is installed over the ethereumjs it was derived from', () => {
  const installed = installFastInterpreter()
  assert.equal(
    installed.installed,
    true,
    `${installed.reason}. Re-derive app/modules/evm/fastInterpreter.ts from the new code, then update FINGERPRINTS: ${JSON.stringify(stockFingerprints())}`,
  )
})

test('random memory/jump/storage/call programs: fast path and ethereumjs agree on gas, errors, logs, return data and state', async () => {
  const outcomes = new Map<string, number>()
  for (let i = 0; i < 200; i++) {
    const code = hexToBytes(`0x${program()}`)
    const callee = hexToBytes(`0x${program()}`)
    const data = hexToBytes(`0x${hex(rand(80))}`)
    const gasLimit = BigInt([50_000, 300_000, 300_000, 1_000_000, 1_000_000][rand(5)]!) // some run out
    const out = await same(code, data, gasLimit, `program ${i}: ${bytesToHex(code)}`, callee)
    outcomes.set(out.error ?? 'ok', (outcomes.get(out.error ?? 'ok') ?? 0) + 1)
  }
  // Many programs run to their end (an error stops the rest of a program from being compared;
  // the seeded generator gives 89 of 200). Gas stays at most 1M: a program calls a callee that
  // calls itself, and at 3–10M gas the stock interpreter took ~10 minutes for the 200.
  assert.ok((outcomes.get('ok') ?? 0) > 80, JSON.stringify([...outcomes]))
})

test('the same code twice in one EVM (a cached jump analysis) and the contracts of contracts/', async () => {
  for (const name of ['RiskScorer', 'ChainedRiskScorer', 'SolidML', 'OGInference', 'TensorLib']) {
    const c = loadContract(name)
    const runtime = hexToBytes(c.deployedBytecode)
    // Calls with arbitrary calldata: selectors miss and revert, or decode garbage; either way both agree.
    for (let i = 0; i < 5; i++) await same(runtime, hexToBytes(`0x${hex(4 + rand(200))}`), 3_000_000n, `${name} call ${i}`)
    // Constructor code (initcode run as code): writes storage, returns the runtime.
    await same(hexToBytes(c.bytecode), new Uint8Array(0), 5_000_000n, `${name} initcode`)
  }
  // A contract that calls itself: one EVM, one code, many frames.
  const recurse = hexToBytes(`0x${program()}${'00'}`)
  const self = hexToBytes(
    `0x${push(1, '00')}${push(1, '00')}${push(1, '00')}${push(1, '00')}${push(1, '00')}${push(20, CONTRACT.toString().slice(2))}5af150${bytesToHex(recurse).slice(2)}`,
  )
  const out = await same(self, new Uint8Array(0), 2_000_000n, 'recursion')
  assert.notEqual(out.gas, '0')
  assert.ok(new Address(CONTRACT.bytes))
})
