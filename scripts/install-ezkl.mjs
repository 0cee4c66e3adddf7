#!/usr/bin/env node
// Installs the pinned EZKL Python package into a project-local venv, <project>/.venv.
//
// Plain JavaScript on purpose: this is part of the npm `postinstall` hook, which runs before
// (or without) tsx being usable, so it may only use node built-ins.
//
//   node scripts/install-ezkl.mjs            postinstall: a missing python3 only warns (exit 0)
//   node scripts/install-ezkl.mjs --strict   prestart/pretest: a missing python3 is an error (exit 1)
//
// Why Python at all: ZK model setup (settings, calibration, circuit compilation, SRS and key
// generation) is only offered by EZKL's CLI and Python API; proving and verifying use the npm
// package @ezkljs/engine, whose version must match this one exactly (a proof or key of one
// EZKL release does not verify with another's). The package has no Python dependencies.
// The version lives here, in one constant; scripts/zk/ezklPython.ts re-exports it for TypeScript.

import { execFileSync, spawn } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** The one place the EZKL Python package is pinned; must equal the @ezkljs/engine version in package.json. */
export const EZKL_VERSION = '21.0.0'

/** Oldest Python the ezkl wheels (abi3) and the setup script (asyncio.run) accept. */
export const MIN_PYTHON = [3, 8]

/** <project>: the folder above scripts/. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** The venv: project-local, so no global install and no PATH changes (gitignored). */
export const VENV_DIR = join(PROJECT_ROOT, '.venv')

/** The venv's interpreter, which the ZK setup runs (may not exist yet). */
export const VENV_PYTHON = process.platform === 'win32' ? join(VENV_DIR, 'Scripts', 'python.exe') : join(VENV_DIR, 'bin', 'python')

const PREFIX = '[ezkl]'

/** Prints the version of the installed `ezkl` distribution, or nothing. */
const VERSION_PROBE = 'import importlib.metadata as m\ntry:\n    print(m.version("ezkl"))\nexcept m.PackageNotFoundError:\n    pass\n'

/**
 * The ezkl version installed in the venv, or undefined when the venv or the package is missing.
 * @returns e.g. "21.0.0"
 */
export function installedEzklVersion() {
  if (!existsSync(VENV_PYTHON)) return undefined
  try {
    const out = execFileSync(VENV_PYTHON, ['-c', VERSION_PROBE], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore'] })
    return out.trim() || undefined
  } catch {
    return undefined
  }
}

/**
 * The first python on PATH (python3, then python) that is new enough.
 * @returns {{ command: string, version: number[] } | { found?: number[] }} the command, or what was found instead
 */
function findPython() {
  let found
  for (const command of ['python3', 'python']) {
    let out
    try {
      out = execFileSync(command, ['--version'], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] })
    } catch {
      continue
    }
    const m = /Python (\d+)\.(\d+)/.exec(out)
    if (!m) continue
    const version = [Number(m[1]), Number(m[2])]
    if (version[0] > MIN_PYTHON[0] || (version[0] === MIN_PYTHON[0] && version[1] >= MIN_PYTHON[1])) return { command, version }
    found = version
  }
  return { found }
}

function pythonMissingMessage(found) {
  const what = found
    ? `Python ${found.join('.')} is too old for EZKL ${EZKL_VERSION} (needs Python >= ${MIN_PYTHON.join('.')}).`
    : `Python 3 is not installed (no \`python3\` on PATH); it is needed for EZKL ${EZKL_VERSION}, the ZK model setup.`
  return [
    `${PREFIX} ${what}`,
    `${PREFIX} PIPE installs the PyPI package ezkl==${EZKL_VERSION} into a project-local venv, ${VENV_DIR}.`,
    `${PREFIX} Install Python >= ${MIN_PYTHON.join('.')} with its venv module:`,
    `${PREFIX}   - https://www.python.org/downloads/, or`,
    `${PREFIX}   - macOS: brew install python    Debian/Ubuntu: sudo apt-get install python3 python3-venv`,
    `${PREFIX} then run: node scripts/install-ezkl.mjs   (or npm install again).`,
    `${PREFIX} \`npm start\` and \`npm test\` need it and will stop until it is installed.`,
  ].join('\n')
}

/**
 * Runs a command with its output streamed, and a ticker while it is silent.
 * Resolves when it exits 0; rejects with the tail of its stderr otherwise.
 */
function run(command, args, what) {
  const started = Date.now()
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'inherit', 'pipe'] })
    const ticker = setInterval(() => console.log(`${PREFIX} still ${what}… ${Math.round((Date.now() - started) / 1000)} s`), 15_000)
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
      if (code === 0) return resolvePromise()
      const tail = Buffer.concat(stderr).toString('utf8').trim().split('\n').slice(-20).join('\n')
      reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit code ${code}`}):\n${tail}`))
    })
  })
}

/**
 * Ensures <project>/.venv holds ezkl at the pinned version (creating the venv when needed).
 * @param {{ strict: boolean }} opts strict: a missing python3 is a failure rather than a warning.
 * @returns {Promise<number>} the process exit code to use.
 */
export async function installEzkl({ strict }) {
  const current = installedEzklVersion()
  if (current === EZKL_VERSION) {
    console.log(`${PREFIX} ezkl ${EZKL_VERSION} already installed in ${VENV_DIR}`)
    return 0
  }
  const started = Date.now()
  try {
    if (!existsSync(VENV_PYTHON)) {
      const python = findPython()
      if (!('command' in python)) {
        console.error(pythonMissingMessage(python.found))
        return strict ? 1 : 0
      }
      // A half-made venv (no interpreter) is remade from scratch.
      if (existsSync(VENV_DIR)) rmSync(VENV_DIR, { recursive: true, force: true })
      console.log(`${PREFIX} creating a venv in ${VENV_DIR} with ${python.command} ${python.version.join('.')}…`)
      await run(python.command, ['-m', 'venv', VENV_DIR], 'creating the venv').catch((err) => {
        throw new Error(`${err.message}\n${PREFIX} (Debian/Ubuntu ship venv separately: sudo apt-get install python3-venv)`)
      })
    }
    if (current) console.log(`${PREFIX} found ezkl ${current} in ${VENV_DIR}; replacing it with ${EZKL_VERSION}`)
    console.log(`${PREFIX} installing ezkl==${EZKL_VERSION} with pip (first time only, ~15 MB)…`)
    await run(VENV_PYTHON, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', `ezkl==${EZKL_VERSION}`], 'installing')
  } catch (err) {
    console.error(`${PREFIX} ${err instanceof Error ? err.message : String(err)}`)
    // Python is there, so a failure is real and worth stopping for, even in postinstall.
    return 1
  }
  const installed = installedEzklVersion()
  if (installed !== EZKL_VERSION) {
    console.error(`${PREFIX} pip finished but ${VENV_PYTHON} reports ezkl "${installed ?? 'nothing'}", expected ${EZKL_VERSION}`)
    return 1
  }
  console.log(`${PREFIX} installed ezkl ${EZKL_VERSION} in ${VENV_DIR} (${Math.round((Date.now() - started) / 1000)} s)`)
  return 0
}

// Run only when executed directly, so scripts/zk/ezklPython.ts can import the constants.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = process.argv.slice(2)
  if (args.includes('--help') || args.includes('-h')) {
    console.log(
      'usage: node scripts/install-ezkl.mjs [--strict]\n  --strict  exit 1 when python3 is missing (default: warn and exit 0, for npm postinstall)',
    )
    process.exit(0)
  }
  process.exitCode = await installEzkl({ strict: args.includes('--strict') })
}
