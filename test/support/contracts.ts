/**
 * Compiles Solidity with solc-js at test time, cached in memory per process by source text.
 * The project's own contracts are built into contracts/out by `npm install`; see
 * `loadContract` for those.
 *
 * @example
 *   const { abi, bytecode } = compileContract(readFileSync('test/fixtures/Counter.sol', 'utf8'), 'Counter')
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildContracts, CONTRACTS_DIR, OUT_DIR } from '../../scripts/contracts/build.ts'
import { type CompiledContract, compileSources } from '../../scripts/contracts/solc.ts'

export type { CompiledContract }

const cache = new Map<string, Record<string, CompiledContract>>()

/**
 * Compiles `source` (which may import the project's contracts, e.g. "OGInference.sol") and
 * returns contract `name` from it.
 * @throws with solc's error messages when compilation fails, or when `name` is not in the source.
 */
export function compileContract(source: string, name: string): CompiledContract {
  let all = cache.get(source)
  if (!all) {
    all = compileSources({ 'Input.sol': source }, [CONTRACTS_DIR])
    cache.set(source, all)
  }
  const c = all[name]
  if (!c) throw new Error(`contract ${name} not found in the compiled source (found: ${Object.keys(all).join(', ') || 'none'})`)
  return c
}

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures')

/** Compiles test/fixtures/<file> and returns contract `name`. */
export function compileFixture(file: string, name: string): CompiledContract {
  return compileContract(readFileSync(join(FIXTURES, file), 'utf8'), name)
}

/** A contract of contracts/, as `npm install` built it (built now if it is missing or stale). */
export function loadContract(name: string): CompiledContract {
  buildContracts()
  return JSON.parse(readFileSync(join(OUT_DIR, `${name}.json`), 'utf8')) as CompiledContract
}
