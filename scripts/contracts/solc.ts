import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

/**
 * Solidity compilation with solc-js (the pinned `solc` package: no native compiler, no
 * download). Imports resolve against the given directories.
 */
const require = createRequire(import.meta.url)

interface Solc {
  compile(input: string, callbacks?: { import: (path: string) => { contents: string } | { error: string } }): string
  version(): string
}

/** The chain runs Prague; solc 0.8.37 defaults to a later fork, so it is pinned. */
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
  contracts?: Record<
    string,
    Record<string, { abi: CompiledContract['abi']; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>
  >
}

let solc: Solc | undefined

/**
 * Compiles `sources` (path → Solidity) and returns every contract by name. Imports are read
 * from `importDirs`.
 * @throws with solc's formatted errors.
 */
export function compileSources(sources: Record<string, string>, importDirs: string[] = []): Record<string, CompiledContract> {
  solc ??= require('solc') as Solc
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(Object.entries(sources).map(([path, content]) => [path, { content }])),
    settings: {
      evmVersion: EVM_VERSION,
      optimizer: { enabled: true, runs: 200 },
      // Structs of tensors are deep: the IR pipeline avoids "stack too deep".
      viaIR: true,
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  }
  const findImport = (path: string): { contents: string } | { error: string } => {
    for (const dir of importDirs) {
      const file = join(dir, path)
      if (existsSync(file)) return { contents: readFileSync(file, 'utf8') }
    }
    return { error: `${path} not found in ${importDirs.join(', ')}` }
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as SolcOutput
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error')
  if (errors.length > 0) {
    throw new Error(`solc ${solc.version()} failed:\n${errors.map((e) => e.formattedMessage ?? e.message).join('\n')}`)
  }
  const out: Record<string, CompiledContract> = {}
  for (const file of Object.values(output.contracts ?? {})) {
    for (const [name, c] of Object.entries(file)) {
      out[name] = { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}`, deployedBytecode: `0x${c.evm.deployedBytecode.object}` }
    }
  }
  return out
}
