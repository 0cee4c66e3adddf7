/**
 * Compiles Solidity with solc-js at test time (no build step, no checked-in artifacts).
 * Results are cached in memory per process, keyed by the source text.
 *
 * @example
 *   const { abi, bytecode } = compileContract(readFileSync('test/fixtures/Counter.sol', 'utf8'), 'Counter')
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)

interface Solc {
  compile(input: string): string
  version(): string
}

/** The chain runs Prague; solc 0.8.37 defaults to a later fork, so it is pinned here. */
export const EVM_VERSION = 'prague'

export interface CompiledContract {
  abi: readonly Record<string, unknown>[]
  /** Creation bytecode, 0x-prefixed. */
  bytecode: `0x${string}`
  /** Runtime (deployed) bytecode, 0x-prefixed. */
  deployedBytecode: `0x${string}`
}

interface SolcOutput {
  errors?: { severity: 'error' | 'warning' | 'info'; formattedMessage?: string; message: string }[]
  contracts?: Record<string, Record<string, { abi: CompiledContract['abi']; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>
}

const cache = new Map<string, Record<string, CompiledContract>>()
let solc: Solc | undefined

function compileAll(source: string): Record<string, CompiledContract> {
  const hit = cache.get(source)
  if (hit) return hit
  solc ??= require('solc') as Solc
  const input = {
    language: 'Solidity',
    sources: { 'Input.sol': { content: source } },
    settings: {
      evmVersion: EVM_VERSION,
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error')
  if (errors.length > 0) {
    throw new Error(`solc ${solc.version()} failed:\n${errors.map((e) => e.formattedMessage ?? e.message).join('\n')}`)
  }
  const out: Record<string, CompiledContract> = {}
  for (const [name, c] of Object.entries(output.contracts?.['Input.sol'] ?? {})) {
    out[name] = { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}`, deployedBytecode: `0x${c.evm.deployedBytecode.object}` }
  }
  cache.set(source, out)
  return out
}

/**
 * Compiles `source` and returns contract `name` from it.
 * @throws with solc's error messages when compilation fails, or when `name` is not in the source.
 */
export function compileContract(source: string, name: string): CompiledContract {
  const all = compileAll(source)
  const c = all[name]
  if (!c) throw new Error(`contract ${name} not found in the compiled source (found: ${Object.keys(all).join(', ') || 'none'})`)
  return c
}

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures')

/** Compiles test/fixtures/<file> and returns contract `name`. */
export function compileFixture(file: string, name: string): CompiledContract {
  return compileContract(readFileSync(join(FIXTURES, file), 'utf8'), name)
}
