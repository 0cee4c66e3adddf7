#!/usr/bin/env node
// Installs the pinned CometBFT binary into <project>/.bin/cometbft.
//
// Plain JavaScript on purpose: this is the npm `postinstall` hook, which runs before
// (or without) tsx being usable, so it may only use node built-ins.
//
//   node scripts/install-cometbft.mjs            postinstall: a missing Go only warns (exit 0)
//   node scripts/install-cometbft.mjs --strict   prestart/pretest: a missing Go is an error (exit 1)
//
// The version lives here, in one constant; scripts/cometbft.ts re-exports it for TypeScript.

import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** The one place the CometBFT version is pinned. */
export const COMETBFT_VERSION = '0.38.25'

/** The Go package `go install` builds. */
export const COMETBFT_PACKAGE = 'github.com/cometbft/cometbft/cmd/cometbft'

/** Oldest Go that builds CometBFT 0.38 (newer toolchains are fetched by Go itself when needed). */
export const MIN_GO = [1, 22]

/** <project>: the folder above scripts/. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** Where the binary lives: project-local, so no global install and no PATH changes. */
export const COMETBFT_BIN_DIR = join(PROJECT_ROOT, '.bin')

/** Absolute path of the installed binary (may not exist yet). */
export const COMETBFT_BINARY = join(COMETBFT_BIN_DIR, process.platform === 'win32' ? 'cometbft.exe' : 'cometbft')

const PREFIX = '[cometbft]'

/**
 * The version the installed binary reports, or undefined when it is missing or broken.
 * @returns e.g. "0.38.25"
 */
export function installedCometbftVersion() {
  if (!existsSync(COMETBFT_BINARY)) return undefined
  try {
    return execFileSync(COMETBFT_BINARY, ['version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return undefined
  }
}

/**
 * The `go version` output parsed to [major, minor], or undefined when go is not on PATH.
 * @returns e.g. [1, 23]
 */
export function goVersion() {
  let out
  try {
    out = execFileSync('go', ['version'], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore'] })
  } catch {
    return undefined
  }
  const m = /go(\d+)\.(\d+)/.exec(out)
  // An unparseable version (e.g. a devel build) is let through: go install will say if it cannot cope.
  return m ? [Number(m[1]), Number(m[2])] : [Infinity, 0]
}

function goMissingMessage(found) {
  const what = found
    ? `Go ${found.join('.')} is too old to build CometBFT v${COMETBFT_VERSION} (needs Go >= ${MIN_GO.join('.')}).`
    : `Go is not installed (no \`go\` on PATH); it is needed to build CometBFT v${COMETBFT_VERSION}.`
  return [
    `${PREFIX} ${what}`,
    `${PREFIX} PIPE runs a real CometBFT node, built once from source into ${COMETBFT_BIN_DIR}.`,
    `${PREFIX} Install Go >= ${MIN_GO.join('.')}:`,
    `${PREFIX}   - https://go.dev/doc/install (official tarball), or`,
    `${PREFIX}   - macOS: brew install go    Debian/Ubuntu: sudo apt-get install golang-go (check the version)`,
    `${PREFIX} then run: node scripts/install-cometbft.mjs   (or npm install again).`,
    `${PREFIX} \`npm start\` and \`npm test\` need it and will stop until it is installed.`,
  ].join('\n')
}

/**
 * Builds CometBFT with `go install`, streaming go's output and an elapsed-time ticker.
 * Resolves when the build succeeded; rejects with go's exit status otherwise.
 */
function goInstall() {
  mkdirSync(COMETBFT_BIN_DIR, { recursive: true })
  console.log(`${PREFIX} building CometBFT v${COMETBFT_VERSION} with go install (first time only, ~1-2 min)…`)
  const started = Date.now()
  return new Promise((resolvePromise, reject) => {
    const child = spawn('go', ['install', `${COMETBFT_PACKAGE}@v${COMETBFT_VERSION}`], {
      cwd: PROJECT_ROOT,
      // GOBIN puts the binary in the project; GOFLAGS is cleared so a user's -mod=vendor etc. cannot break an @version install.
      env: { ...process.env, GOBIN: COMETBFT_BIN_DIR, GOFLAGS: '' },
      stdio: ['ignore', 'inherit', 'pipe'],
    })
    // go is silent while compiling, so say that it is still alive.
    const ticker = setInterval(() => {
      console.log(`${PREFIX} still building… ${Math.round((Date.now() - started) / 1000)} s`)
    }, 15_000)
    const stderr = []
    child.stderr.on('data', (chunk) => {
      stderr.push(chunk)
      process.stderr.write(chunk)
    })
    child.on('error', (err) => {
      clearInterval(ticker)
      reject(err)
    })
    child.on('close', (code, signal) => {
      clearInterval(ticker)
      if (code === 0) return resolvePromise(Math.round((Date.now() - started) / 1000))
      const tail = Buffer.concat(stderr).toString('utf8').trim().split('\n').slice(-20).join('\n')
      reject(new Error(`go install failed (${signal ?? `exit code ${code}`}):\n${tail}`))
    })
  })
}

/**
 * Ensures <project>/.bin/cometbft is the pinned version.
 * @param {{ strict: boolean }} opts strict: a missing Go is a failure rather than a warning.
 * @returns {Promise<number>} the process exit code to use.
 */
export async function installCometbft({ strict }) {
  const current = installedCometbftVersion()
  if (current === COMETBFT_VERSION) {
    console.log(`${PREFIX} v${COMETBFT_VERSION} already installed at ${COMETBFT_BINARY}`)
    return 0
  }
  const go = goVersion()
  if (!go || go[0] < MIN_GO[0] || (go[0] === MIN_GO[0] && go[1] < MIN_GO[1])) {
    console.error(goMissingMessage(go))
    return strict ? 1 : 0
  }
  if (current) console.log(`${PREFIX} found v${current} at ${COMETBFT_BINARY}; replacing it with v${COMETBFT_VERSION}`)
  try {
    const seconds = await goInstall()
    const built = installedCometbftVersion()
    if (built !== COMETBFT_VERSION) {
      console.error(`${PREFIX} build finished but ${COMETBFT_BINARY} reports version "${built ?? 'nothing'}", expected ${COMETBFT_VERSION}`)
      return 1
    }
    console.log(`${PREFIX} installed v${COMETBFT_VERSION} at ${COMETBFT_BINARY} (${seconds} s)`)
    return 0
  } catch (err) {
    console.error(`${PREFIX} ${err instanceof Error ? err.message : String(err)}`)
    // A failed build always fails, even in postinstall: Go is there, so the error is real and worth stopping for.
    return 1
  }
}

// Run only when executed directly, so scripts/cometbft.ts can import the constants.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = process.argv.slice(2)
  if (args.includes('--help') || args.includes('-h')) {
    console.log(
      'usage: node scripts/install-cometbft.mjs [--strict]\n  --strict  exit 1 when Go is missing (default: warn and exit 0, for npm postinstall)',
    )
    process.exit(0)
  }
  process.exitCode = await installCometbft({ strict: args.includes('--strict') })
}
