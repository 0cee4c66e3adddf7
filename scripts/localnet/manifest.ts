/**
 * `<home>/localnet.json`: what a localnet was created with, so a later `start` resumes it
 * from disk and `status` (another process) knows its ports. Written last during init, so
 * its presence also means "init completed".
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface LocalnetManifest {
  /** Bumped if the layout changes incompatibly. */
  format: 1
  chainId: string
  validators: number
  portOffset: number
  /** CometBFT timeout_commit, e.g. "1s". */
  blockTime: string
  /** CometBFT node ids (p2p identities), by validator index. */
  nodeIds: string[]
  /** ISO time of init (informational). */
  createdAt: string
}

export function manifestPath(home: string): string {
  return join(home, 'localnet.json')
}

/**
 * The manifest of a localnet home, or undefined when the home was never (fully) initialised.
 * @throws when the file exists but is not a manifest this code understands.
 */
export function readManifest(home: string): LocalnetManifest | undefined {
  const path = manifestPath(home)
  if (!existsSync(path)) return undefined
  let raw: Partial<LocalnetManifest>
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as Partial<LocalnetManifest>
  } catch (err) {
    throw new Error(`${path} is not valid JSON (${(err as Error).message}); fix it or start with --reset`)
  }
  const ok =
    raw.format === 1 &&
    typeof raw.chainId === 'string' &&
    Number.isInteger(raw.validators) &&
    Number.isInteger(raw.portOffset) &&
    typeof raw.blockTime === 'string' &&
    Array.isArray(raw.nodeIds) &&
    raw.nodeIds.length === raw.validators
  if (!ok) throw new Error(`${path} is not a localnet manifest this version understands; start with --reset`)
  return raw as LocalnetManifest
}

export function writeManifest(home: string, manifest: LocalnetManifest): void {
  writeFileSync(manifestPath(home), `${JSON.stringify(manifest, null, 2)}\n`)
}
