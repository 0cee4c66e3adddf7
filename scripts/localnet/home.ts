/**
 * The on-disk layout of a localnet home, in one place:
 *   <home>/localnet.json            manifest (see manifest.ts)
 *   <home>/node<i>/cometbft         CometBFT home of validator i
 *   <home>/node<i>/pipe             pipe node home of validator i
 *   <home>/logs/<proc>-<i>.log      one appended log per process
 *   <home>/models/                  the model store every validator shares
 */
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { projectRoot } from '../cometbft.ts'

/** Where `npm start` keeps its localnet unless --home says otherwise (git-ignored). */
export const DEFAULT_LOCALNET_HOME: string = join(projectRoot, '.localnet')

export type LocalnetProcessKind = 'cometbft' | 'pipe'

export function nodeDir(home: string, i: number): string {
  return join(home, `node${i}`)
}

export function cometHome(home: string, i: number): string {
  return join(nodeDir(home, i), 'cometbft')
}

export function pipeHome(home: string, i: number): string {
  return join(nodeDir(home, i), 'pipe')
}

export function logsDir(home: string): string {
  return join(home, 'logs')
}

export function logFilePath(home: string, i: number, proc: LocalnetProcessKind): string {
  return join(logsDir(home), `${proc}-${i}.log`)
}

/** Entries a localnet home may contain; anything else means the folder is not ours to delete. */
const OWN_ENTRY = /^(localnet\.json|node\d+|logs|models)$/

/**
 * Deletes a localnet home. Refuses folders holding anything a localnet does not create, so a
 * mistyped `--home ~` with `--reset` cannot erase unrelated files.
 */
export function wipeLocalnetHome(home: string): void {
  const dir = resolve(home)
  if (!existsSync(dir)) return
  const foreign = readdirSync(dir).filter((name) => !OWN_ENTRY.test(name))
  if (foreign.length > 0) {
    const shown = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? ', …' : '')
    throw new Error(`refusing to wipe ${dir}: it does not look like a localnet home (it contains ${shown})`)
  }
  rmSync(dir, { recursive: true, force: true })
}
