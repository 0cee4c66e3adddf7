/**
 * The pinned CometBFT binary, as TypeScript sees it. The version constant itself lives in
 * install-cometbft.mjs (the postinstall hook cannot depend on tsx), and is re-exported here.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { COMETBFT_BINARY, COMETBFT_VERSION as PINNED_VERSION, PROJECT_ROOT } from './install-cometbft.mjs'

/** The CometBFT version PIPE is built and tested against, e.g. "0.38.25". */
export const COMETBFT_VERSION: string = PINNED_VERSION

/** <project>: the repository root (the folder holding package.json). */
export const projectRoot: string = PROJECT_ROOT

/**
 * Absolute path of `<project>/.bin/cometbft`.
 * @throws when the binary is missing, with the command that installs it.
 */
export function cometbftBinary(): string {
  if (!existsSync(COMETBFT_BINARY)) {
    throw new Error(
      `CometBFT v${COMETBFT_VERSION} is not installed (expected ${COMETBFT_BINARY}). ` +
        'Run `npm install` (or `node scripts/install-cometbft.mjs --strict`); it needs Go >= 1.22.',
    )
  }
  return COMETBFT_BINARY
}

/**
 * Runs a short-lived cometbft command (init, show-node-id, …) and returns its trimmed stdout.
 * @throws with cometbft's stderr when it exits non-zero.
 * @example runCometbft(['show-node-id', '--home', home]) // 'f3c1…'
 */
export function runCometbft(args: string[]): string {
  try {
    return execFileSync(cometbftBinary(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 }).trim()
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    throw new Error(`cometbft ${args.join(' ')} failed: ${(e.stderr ?? '').trim() || e.message}`)
  }
}
