#!/usr/bin/env node
// Installs the pinned grpcurl (the gRPC command-line client the tests call the node's gRPC
// server with) into <project>/.bin/grpcurl, with `go install` like CometBFT.
//
// Plain JavaScript on purpose: this is part of the npm `postinstall` hook, which runs before
// (or without) tsx being usable, so it may only use node built-ins.
//
//   node scripts/install-grpcurl.mjs            postinstall: a missing Go only warns (exit 0)
//   node scripts/install-grpcurl.mjs --strict   pretest: a missing Go is an error (exit 1)
//
// `npm start` does not need it; only the tests do (and anyone who wants .bin/grpcurl).

import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { COMETBFT_BIN_DIR, goVersion, MIN_GO, PROJECT_ROOT } from './install-cometbft.mjs'

/** The one place the grpcurl version is pinned. */
export const GRPCURL_VERSION = '1.9.4'

/** The Go module and the package `go install` builds. */
export const GRPCURL_MODULE = 'github.com/fullstorydev/grpcurl'
const GRPCURL_PACKAGE = `${GRPCURL_MODULE}/cmd/grpcurl`

/** Absolute path of the installed binary (may not exist yet), beside cometbft. */
export const GRPCURL_BINARY = join(COMETBFT_BIN_DIR, process.platform === 'win32' ? 'grpcurl.exe' : 'grpcurl')

const PREFIX = '[grpcurl]'

/**
 * The module version the installed binary was built from (`go version -m` reads it from the
 * binary: grpcurl built by `go install` reports itself as a dev build), or undefined.
 * @returns e.g. "1.9.4"
 */
export function installedGrpcurlVersion() {
  if (!existsSync(GRPCURL_BINARY)) return undefined
  try {
    const out = execFileSync('go', ['version', '-m', GRPCURL_BINARY], {
      encoding: 'utf8',
      timeout: 30_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    const m = new RegExp(`^\\s*mod\\s+${GRPCURL_MODULE.replaceAll('.', '\\.')}\\s+v(\\S+)`, 'm').exec(out)
    return m ? m[1] : undefined
  } catch {
    return undefined
  }
}

function goMissingMessage(found) {
  const what = found
    ? `Go ${found.join('.')} is too old to build grpcurl v${GRPCURL_VERSION} (needs Go >= ${MIN_GO.join('.')}).`
    : `Go is not installed (no \`go\` on PATH); it is needed to build grpcurl v${GRPCURL_VERSION} for the tests.`
  return [
    `${PREFIX} ${what}`,
    `${PREFIX} Install Go as for CometBFT (https://go.dev/doc/install), then run: node scripts/install-grpcurl.mjs`,
    `${PREFIX} \`npm test\` needs it and will stop until it is installed; \`npm start\` does not.`,
  ].join('\n')
}

function goInstall() {
  mkdirSync(COMETBFT_BIN_DIR, { recursive: true })
  console.log(`${PREFIX} building grpcurl v${GRPCURL_VERSION} with go install (first time only, ~1 min)…`)
  const started = Date.now()
  return new Promise((resolvePromise, reject) => {
    const child = spawn('go', ['install', `${GRPCURL_PACKAGE}@v${GRPCURL_VERSION}`], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, GOBIN: COMETBFT_BIN_DIR, GOFLAGS: '' },
      stdio: ['ignore', 'inherit', 'pipe'],
    })
    const stderr = []
    child.stderr.on('data', (chunk) => {
      stderr.push(chunk)
      process.stderr.write(chunk)
    })
    child.on('error', reject)
    child.on('close', (code, signal) => {
      if (code === 0) return resolvePromise(Math.round((Date.now() - started) / 1000))
      const tail = Buffer.concat(stderr).toString('utf8').trim().split('\n').slice(-20).join('\n')
      reject(new Error(`go install failed (${signal ?? `exit code ${code}`}):\n${tail}`))
    })
  })
}

/**
 * Ensures <project>/.bin/grpcurl is the pinned version.
 * @param {{ strict: boolean }} opts strict: a missing Go is a failure rather than a warning.
 * @returns {Promise<number>} the process exit code to use.
 */
export async function installGrpcurl({ strict }) {
  const go = goVersion()
  if (!go || go[0] < MIN_GO[0] || (go[0] === MIN_GO[0] && go[1] < MIN_GO[1])) {
    console.error(goMissingMessage(go))
    return strict ? 1 : 0
  }
  const current = installedGrpcurlVersion()
  if (current === GRPCURL_VERSION) {
    console.log(`${PREFIX} v${GRPCURL_VERSION} already installed at ${GRPCURL_BINARY}`)
    return 0
  }
  if (current) console.log(`${PREFIX} found v${current} at ${GRPCURL_BINARY}; replacing it with v${GRPCURL_VERSION}`)
  try {
    const seconds = await goInstall()
    const built = installedGrpcurlVersion()
    if (built !== GRPCURL_VERSION) {
      console.error(`${PREFIX} build finished but ${GRPCURL_BINARY} is version "${built ?? 'nothing'}", expected ${GRPCURL_VERSION}`)
      return 1
    }
    console.log(`${PREFIX} installed v${GRPCURL_VERSION} at ${GRPCURL_BINARY} (${seconds} s)`)
    return 0
  } catch (err) {
    console.error(`${PREFIX} ${err instanceof Error ? err.message : String(err)}`)
    return 1
  }
}

// Run only when executed directly, so tests can import the constants.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = process.argv.slice(2)
  if (args.includes('--help') || args.includes('-h')) {
    console.log(
      'usage: node scripts/install-grpcurl.mjs [--strict]\n  --strict  exit 1 when Go is missing (default: warn and exit 0, for npm postinstall)',
    )
    process.exit(0)
  }
  process.exitCode = await installGrpcurl({ strict: args.includes('--strict') })
}
