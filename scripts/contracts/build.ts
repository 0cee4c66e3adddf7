/**
 * Compiles contracts/ with solc-js into contracts/out/<Name>.json ({abi, bytecode,
 * deployedBytecode}). Runs on `npm install` (postinstall) and `npm run build:contracts`;
 * skipped when the outputs are newer than every source.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { compileSources } from './solc.ts'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const CONTRACTS_DIR = join(ROOT, 'contracts')
export const OUT_DIR = join(CONTRACTS_DIR, 'out')

function solidityFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name)
    if (e.isDirectory()) return e.name === 'out' ? [] : solidityFiles(p)
    return e.name.endsWith('.sol') ? [p] : []
  })
}

export function buildContracts(opts: { force?: boolean } = {}): string[] {
  const files = solidityFiles(CONTRACTS_DIR)
  const stamp = join(OUT_DIR, '.built')
  const newest = Math.max(...files.map((f) => statSync(f).mtimeMs))
  if (!opts.force && existsSync(stamp) && statSync(stamp).mtimeMs >= newest) return []
  const sources = Object.fromEntries(files.map((f) => [relative(CONTRACTS_DIR, f), readFileSync(f, 'utf8')]))
  const compiled = compileSources(sources, [CONTRACTS_DIR])
  mkdirSync(OUT_DIR, { recursive: true })
  for (const [name, c] of Object.entries(compiled)) writeFileSync(join(OUT_DIR, `${name}.json`), `${JSON.stringify(c, null, 2)}\n`)
  writeFileSync(stamp, new Date(newest).toISOString())
  return Object.keys(compiled)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = Date.now()
  const built = buildContracts({ force: process.argv.includes('--force') })
  console.log(
    built.length === 0
      ? '[contracts] up to date'
      : `[contracts] compiled ${built.join(', ')} into contracts/out (${Date.now() - started} ms)`,
  )
}
