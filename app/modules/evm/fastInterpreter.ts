import { createHash } from 'node:crypto'
import { EthereumJSErrorWithoutCode } from '@ethereumjs/util'
import { LRUCache } from 'lru-cache'

/**
 * A faster way through @ethereumjs/evm's interpreter, with exactly its results (gas, stack,
 * memory, errors, state access in the same order). A RiskScorer.score tx runs ~4,100 opcodes, and
 * ethereumjs spends most of its time around them rather than in them:
 * - `Interpreter.run` awaits an async `runStep` per opcode, and every memory opcode awaits an
 *   async gas function: two promises per opcode. Here the loop runs a step inline, awaiting only
 *   what is async (state-reading opcodes and gas functions); MLOAD, MSTORE and MSTORE8 get
 *   synchronous gas functions (the same arithmetic: `subMemUsage`, ethereumjs' own).
 * - the jump-destination analysis (a bigint per PUSH, an entry per byte) runs for every call
 *   frame: here it is cached per code (by its bytes, exactly) and per opcode table, and shared —
 *   nothing writes to it once made.
 * - MSTORE and MLOAD convert words through hex strings and spread arrays: here through a
 *   DataView, to the same bytes and values.
 * The inline step is a copy of `runStep` for the case the node runs — no `step` listener, no
 * debug logging, no profiler, no EOF code, none of EIPs 6800, 7864 and 7928 — and anything else
 * runs ethereumjs' own code. It is installed only over the exact ethereumjs code it was derived
 * from: the source of every function it replaces is checked against a fingerprint, and on any
 * difference (an upgrade) nothing is replaced and the stock interpreter runs (slower, the same
 * results). test/modules/evm/fastInterpreter.test.ts runs contracts both ways and compares.
 */

// ethereumjs' internal modules, as the package itself loads them (the same module instances):
// the interpreter and the opcode tables are not exported.
const evmEntry = import.meta.resolve('@ethereumjs/evm')
const load = (file: string) => import(new URL(file, evmEntry).href)
const { Interpreter } = await load('./interpreter.js')
const { EVMError, EVMErrorTypeString } = await load('./errors.js')
const { subMemUsage, jumpIsValid } = await load('./opcodes/util.js')
const { consumeEip7928PostTargetCallOog } = await load('./opcodes/EIP7928.js')
const { handlers: stockHandlers } = await load('./opcodes/functions.js')
const { dynamicGasHandlers: stockGas } = await load('./opcodes/gas.js')

interface OpInfo {
  code: number
  name: string
  feeBigInt: bigint
  dynamicGas: boolean
  isAsync: boolean
  isInvalid: boolean
}
interface OpEntry {
  opcodeInfo: OpInfo
  opHandler: (rs: RunState, common: unknown) => unknown
  gasHandler?: (rs: RunState, gas: bigint, common: unknown) => Promise<bigint>
  /** Set here: a synchronous gas function with the same result as `gasHandler`. */
  syncGas?: (rs: RunState, gas: bigint, common: unknown) => bigint
}
interface Memory {
  write(offset: number, size: number, value: Uint8Array): void
  read(offset: number, size: number, avoidCopy?: boolean): Uint8Array
}
interface Stack {
  pop(): bigint
  popN(n: number): bigint[]
  peek(n?: number): bigint[]
  push(v: bigint): void
}
interface RunState {
  programCounter: number
  opCode: number
  code: Uint8Array
  memory: Memory
  stack: Stack
  validJumps: Uint8Array
  cachedPushes: Record<number, bigint>
  shouldDoJumpAnalysis: boolean
  gasLeft: bigint
  env: { accessWitness?: { commit(): void; revert(): void } }
  eip8037BurnLeftoverAfterCreateHaltOntoAlive?: boolean
}
interface Evm {
  DEBUG: boolean
  events: { listenerCount(name: string): number }
  _opcodeMap: OpEntry[]
}
interface Common {
  isActivatedEIP(eip: number): boolean
}
interface InterpreterThis {
  _evm: Evm
  _runState: RunState
  common: Common
  profilerOpts?: { enabled?: boolean }
  useGas(amount: bigint, context: OpInfo): void
  lookupOpInfo(op: number): OpEntry
  runStep(entry?: OpEntry): Promise<void>
  _getValidJumpDestinations(code: Uint8Array): JumpAnalysis
}
interface JumpAnalysis {
  jumps: Uint8Array
  pushes: Record<number, bigint>
  opcodesCached: OpEntry[]
}

const proto = Interpreter.prototype as InterpreterThis & { run: (code: Uint8Array, opts?: { pc?: number }) => Promise<unknown> }
const stockRun = proto.run
const stockJumpDestinations = proto._getValidJumpDestinations

const MLOAD = 0x51
const MSTORE = 0x52
const MSTORE8 = 0x53

/**
 * sha256 of the source of every ethereumjs function replaced or copied here (@ethereumjs/evm
 * 10.1.3). Re-derive the copies before changing one.
 */
const FINGERPRINTS: Record<string, string> = {
  'Interpreter.run': '8e769d9b5ec21205c8c64ae416deb303b1bece964d69a1179dd14f94a0ae1412',
  'Interpreter.runStep': 'cc2ccda2341c2f427a6a856a7a742584963f55fab622482b7f32ebbd02f39601',
  'Interpreter._getValidJumpDestinations': 'a30ec99e04e322ecd7ce175e0f28dafc8287183084003b7ed2202d22da55632e',
  'handlers MLOAD': '273cfeaa15517b02ed6eafa0cedaf9765adf8941851834ac5733da577d10c217',
  'handlers MSTORE': '29edc93190b4e005fccbab2a60aaa94fe903c829eca4bbeaf4c228e781f326bb',
  'gas MLOAD': '160c132911371eb2b4ff17e3bbffae36cf3885d21f72bac6d617780a06ae6e5f',
  'gas MSTORE': '6ad9393e3de696fe06da6545652cda7f7cc7406a743694e10797e8c04c9353df',
  'gas MSTORE8': '50702563129d262a5c8dc3a32fa139df3a69343a27be01995f89e2e8f5380e2d',
  // the readers of a jump analysis (it is shared once cached: they must only read it)
  'handlers PUSH': 'c63cbb665a4b24d73cedfd8093942ba4a47fee14055aa126ba9b2319d0032e2e',
  jumpIsValid: '909054b72b7fcb9e24563d26e58918815dae885adb7349ca419ac0162338f4b3',
}

function sources(): Record<string, string> {
  return {
    'Interpreter.run': String(stockRun),
    'Interpreter.runStep': String(proto.runStep),
    'Interpreter._getValidJumpDestinations': String(stockJumpDestinations),
    'handlers MLOAD': String(stockHandlers.get(MLOAD)),
    'handlers MSTORE': String(stockHandlers.get(MSTORE)),
    'gas MLOAD': String(stockGas.get(MLOAD)),
    'gas MSTORE': String(stockGas.get(MSTORE)),
    'gas MSTORE8': String(stockGas.get(MSTORE8)),
    'handlers PUSH': String(stockHandlers.get(0x60)),
    jumpIsValid: String(jumpIsValid),
  }
}

/** The fingerprints of the installed ethereumjs (what FINGERPRINTS must hold). */
export function stockFingerprints(): Record<string, string> {
  return Object.fromEntries(Object.entries(sources()).map(([k, src]) => [k, createHash('sha256').update(src).digest('hex')]))
}

// ---------------------------------------------------------------- faster opcode functions

const scratch = new Uint8Array(32)
const scratchView = new DataView(scratch.buffer)
const U64 = 0xffff_ffff_ffff_ffffn

/** `setLengthLeft(bigIntToBytes(word), 32)` for 0 ≤ word < 2^256, into `scratch`. */
function wordToScratch(word: bigint): Uint8Array {
  if (word <= U64) {
    scratchView.setBigUint64(0, 0n)
    scratchView.setBigUint64(8, 0n)
    scratchView.setBigUint64(16, 0n)
    scratchView.setBigUint64(24, word)
  } else {
    // setBigUint64 takes its value modulo 2^64
    scratchView.setBigUint64(0, word >> 192n)
    scratchView.setBigUint64(8, word >> 128n)
    scratchView.setBigUint64(16, word >> 64n)
    scratchView.setBigUint64(24, word)
  }
  return scratch
}

/** `bytesToBigInt` of 32 bytes. */
function wordOf(bytes: Uint8Array): bigint {
  scratch.set(bytes)
  const a = scratchView.getBigUint64(0)
  const b = scratchView.getBigUint64(8)
  const c = scratchView.getBigUint64(16)
  const d = scratchView.getBigUint64(24)
  if (a === 0n && b === 0n && c === 0n) return d
  return (a << 192n) | (b << 128n) | (c << 64n) | d
}

const FAST_HANDLERS = new Map<number, OpEntry['opHandler']>([
  [
    MLOAD,
    (rs) => {
      const pos = rs.stack.pop()
      const word = rs.memory.read(Number(pos), 32, true)
      rs.stack.push(wordOf(word))
    },
  ],
  [
    MSTORE,
    (rs) => {
      const [offset, word] = rs.stack.popN(2) as [bigint, bigint]
      // Memory.write copies the bytes (Uint8Array.set): scratch can be reused.
      rs.memory.write(Number(offset), 32, wordToScratch(word))
    },
  ],
])

const SYNC_GAS = new Map<number, NonNullable<OpEntry['syncGas']>>([
  [MLOAD, (rs, gas, common) => gas + subMemUsage(rs, rs.stack.peek()[0], 32n, common)],
  [MSTORE, (rs, gas, common) => gas + subMemUsage(rs, rs.stack.peek()[0], 32n, common)],
  [MSTORE8, (rs, gas, common) => gas + subMemUsage(rs, rs.stack.peek()[0], 1n, common)],
])

/** Opcode tables (an EVM's `_opcodeMap`) already given the faster functions. */
const fastTables = new WeakSet<OpEntry[]>()

/** Gives an EVM's opcode table the faster functions, where it holds ethereumjs' own (not custom opcodes). */
function fastTable(evm: Evm): void {
  const table = evm._opcodeMap
  if (fastTables.has(table)) return
  for (let op = 0; op < table.length; op++) {
    const entry = table[op]
    if (!entry) continue
    const handler = FAST_HANDLERS.get(op)
    const gas = SYNC_GAS.get(op)
    const fastHandler = handler !== undefined && entry.opHandler === stockHandlers.get(op)
    const syncGas = gas !== undefined && entry.gasHandler !== undefined && entry.gasHandler === stockGas.get(op)
    if (fastHandler || syncGas) {
      table[op] = {
        ...entry,
        ...(fastHandler ? { opHandler: handler } : {}),
        ...(syncGas ? { syncGas: gas } : {}),
      }
    }
  }
  fastTables.add(table)
}

// ---------------------------------------------------------------- jump destinations, cached

/** Per opcode table: analyses by code bytes (latin1) and whether EIP-8024 was active. */
const analyses = new WeakMap<OpEntry[], LRUCache<string, JumpAnalysis>>()

function cachedJumpDestinations(this: InterpreterThis, code: Uint8Array): JumpAnalysis {
  const table = this._evm._opcodeMap
  let cache = analyses.get(table)
  if (!cache) {
    cache = new LRUCache({ max: 512 })
    analyses.set(table, cache)
  }
  const key = `${this.common.isActivatedEIP(8024) ? 1 : 0}${Buffer.from(code.buffer, code.byteOffset, code.length).toString('latin1')}`
  let analysis = cache.get(key)
  if (!analysis) {
    analysis = stockJumpDestinations.call(this, code) as JumpAnalysis
    cache.set(key, analysis)
  }
  return analysis
}

// ---------------------------------------------------------------- the loop

function isEVMError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'errorType' in error &&
    (error as { errorType: unknown }).errorType === EVMErrorTypeString
  )
}

/** Whether `run` may take the fast loop: the cases `fastRun` copies, and no other. */
function eligible(it: InterpreterThis, code: Uint8Array): boolean {
  const c = it.common
  return (
    it.profilerOpts?.enabled !== true &&
    !(c.isActivatedEIP(3540) && code[0] === 0xef) &&
    !c.isActivatedEIP(6800) &&
    !c.isActivatedEIP(7864) &&
    !c.isActivatedEIP(7928)
  )
}

/**
 * ethereumjs' `Interpreter.run` for legacy code, with `runStep` inline; a step runs ethereumjs'
 * own `runStep` whenever a `step` listener or debug logging is on.
 */
async function fastRun(this: InterpreterThis, code: Uint8Array, opts: { pc?: number } = {}): Promise<unknown> {
  if (!eligible(this, code)) return stockRun.call(this, code, opts)
  const evm = this._evm
  fastTable(evm)
  const rs = this._runState
  const common = this.common
  rs.code = code
  rs.programCounter = opts.pc ?? rs.programCounter
  const pc = rs.programCounter
  if (pc !== 0 && (pc < 0 || pc >= rs.code.length)) {
    throw EthereumJSErrorWithoutCode('Internal error: program counter not in range')
  }
  let err: unknown
  let cachedOpcodes: OpEntry[] | undefined
  let doJumpAnalysis = true
  while (rs.programCounter < rs.code.length) {
    const programCounter = rs.programCounter
    let opCode: number
    let opCodeObj: OpEntry | undefined
    if (doJumpAnalysis) {
      opCode = rs.code[programCounter]!
      if (opCode === 0x56 || opCode === 0x57 || opCode === 0x5e) {
        const { jumps, pushes, opcodesCached } = this._getValidJumpDestinations(rs.code)
        rs.validJumps = jumps
        rs.cachedPushes = pushes
        rs.shouldDoJumpAnalysis = false
        cachedOpcodes = opcodesCached
        doJumpAnalysis = false
      }
    } else {
      opCodeObj = cachedOpcodes![programCounter]!
      opCode = opCodeObj.opcodeInfo.code
    }
    rs.opCode = opCode
    try {
      if (evm.DEBUG || evm.events.listenerCount('step') > 0) {
        await this.runStep(opCodeObj)
      } else {
        // runStep, without what its case does not run (hooks, profiler, EIPs 6800/7864)
        const opEntry = opCodeObj ?? this.lookupOpInfo(rs.opCode)
        const opInfo = opEntry.opcodeInfo
        let gas = opInfo.feeBigInt
        if (opInfo.dynamicGas) {
          const sync = opEntry.syncGas
          gas = sync !== undefined ? sync(rs, gas, common) : await opEntry.gasHandler!(rs, gas, common)
        }
        if (opInfo.isInvalid) throw new EVMError(EVMError.errorMessages.INVALID_OPCODE)
        this.useGas(gas, opInfo)
        rs.programCounter++
        consumeEip7928PostTargetCallOog(rs)
        const opFn = opEntry.opHandler
        if (opInfo.isAsync) await opFn.call(null, rs, common)
        else opFn.call(null, rs, common)
        rs.env.accessWitness?.commit()
      }
    } catch (e) {
      rs.env.accessWitness?.revert()
      if (!isEVMError(e)) throw e
      if ((e as { error: string }).error !== EVMError.errorMessages.STOP) err = e
      break
    }
  }
  if (err === undefined && rs.eip8037BurnLeftoverAfterCreateHaltOntoAlive === true && rs.gasLeft > 0n) {
    rs.gasLeft = 0n
    err = new EVMError(EVMError.errorMessages.OUT_OF_GAS)
  }
  return { runState: rs, exceptionError: err }
}

// ---------------------------------------------------------------- installation

let installed: { installed: boolean; reason?: string } | undefined

/**
 * Installs the fast path into ethereumjs' interpreter (process-wide; every VM takes it, so
 * blocks, proposals, simulations and eth_call run the same code), if ethereumjs is the code it
 * was derived from. Idempotent.
 */
export function installFastInterpreter(): { installed: boolean; reason?: string } {
  if (installed) return installed
  const got = stockFingerprints()
  const changed = Object.keys(FINGERPRINTS).filter((k) => got[k] !== FINGERPRINTS[k])
  if (changed.length > 0) {
    installed = { installed: false, reason: `@ethereumjs/evm differs from the code the fast path copies: ${changed.join(', ')}` }
    return installed
  }
  proto.run = fastRun as typeof proto.run
  proto._getValidJumpDestinations = cachedJumpDestinations
  installed = { installed: true }
  return installed
}

/** Puts ethereumjs' own interpreter back (tests compare both). */
export function uninstallFastInterpreter(): void {
  proto.run = stockRun
  proto._getValidJumpDestinations = stockJumpDestinations
  installed = undefined
}
