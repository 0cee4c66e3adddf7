/**
 * Writes the example models into `models/` at the repo root:
 *   node --import tsx scripts/models/buildModels.ts [--check]
 * The builders are deterministic, so a rerun rewrites the same bytes (same CIDs). With --check
 * nothing is written: the command fails if a file in `models/` differs from what its builder makes.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { modelCid } from '../../app/modelHub/cid.ts'
import { EXAMPLE_MODELS } from './exampleModels.ts'

const MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url))

async function main(args: string[]): Promise<number> {
  const check = args.includes('--check')
  const unknown = args.filter((a) => a !== '--check')
  if (unknown.length > 0) {
    process.stderr.write(`unknown argument ${unknown[0]}\nusage: node --import tsx scripts/models/buildModels.ts [--check]\n`)
    return 2
  }
  await mkdir(MODELS_DIR, { recursive: true })
  let stale = 0
  for (const [file, build] of Object.entries(EXAMPLE_MODELS)) {
    const bytes = build()
    const path = join(MODELS_DIR, file)
    const cid = await modelCid(bytes)
    if (check) {
      const existing = await readFile(path).catch(() => undefined)
      const same = existing !== undefined && Buffer.compare(existing, bytes) === 0
      if (!same) stale++
      process.stdout.write(`${same ? 'ok     ' : 'STALE  '} models/${file.padEnd(22)} ${cid}\n`)
    } else {
      await writeFile(path, bytes)
      process.stdout.write(`models/${file.padEnd(22)} ${String(bytes.length).padStart(6)} bytes  ${cid}\n`)
    }
  }
  if (stale > 0) process.stderr.write(`${stale} model file(s) differ from their builders: run without --check to rewrite them\n`)
  return stale > 0 ? 1 : 0
}

process.exitCode = await main(process.argv.slice(2))
