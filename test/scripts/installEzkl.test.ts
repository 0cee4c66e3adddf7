/**
 * The EZKL installer (scripts/install-ezkl.mjs, part of npm's postinstall, pretest and
 * prestart hooks): what it says and exits with when python3 is missing, in each mode, and that
 * it skips an install that is already at the pinned version. The missing-Python cases run a
 * copy of the script in a temp project whose PATH holds only node, so the real venv is untouched.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { EZKL_VERSION, installedEzklVersion, PROJECT_ROOT, VENV_DIR } from '../../scripts/install-ezkl.mjs'

const tmp = mkdtempSync(join(tmpdir(), 'pipe-install-ezkl-'))
after(() => rmSync(tmp, { recursive: true, force: true }))

/** A project with only the installer, and a PATH with only node on it. */
function projectWithoutPython(): { script: string; env: NodeJS.ProcessEnv } {
  const root = mkdtempSync(join(tmp, 'project-'))
  mkdirSync(join(root, 'scripts'))
  copyFileSync(join(PROJECT_ROOT, 'scripts', 'install-ezkl.mjs'), join(root, 'scripts', 'install-ezkl.mjs'))
  const bin = join(root, 'bin')
  mkdirSync(bin)
  symlinkSync(process.execPath, join(bin, 'node'))
  return { script: join(root, 'scripts', 'install-ezkl.mjs'), env: { PATH: bin, HOME: root } }
}

test('the pinned Python package is the version of @ezkljs/engine (their proofs and keys must match)', () => {
  const engine = JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules', '@ezkljs', 'engine', 'package.json'), 'utf8')) as {
    version: string
  }
  assert.equal(engine.version.replace(/^v/u, ''), EZKL_VERSION) // the engine's package.json says v21.0.0
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  assert.equal(pkg.dependencies['@ezkljs/engine'], EZKL_VERSION, 'pinned exactly, no range')
})

test('--strict: no python3 on PATH fails with what to install', () => {
  const { script, env } = projectWithoutPython()
  const r = spawnSync(process.execPath, [script, '--strict'], { env, encoding: 'utf8' })
  assert.equal(r.status, 1)
  assert.match(r.stderr, /\[ezkl\] Python 3 is not installed \(no `python3` on PATH\); it is needed for EZKL 21\.0\.0/)
  assert.match(r.stderr, /sudo apt-get install python3 python3-venv/)
  assert.match(r.stderr, /then run: node scripts\/install-ezkl\.mjs/)
})

test('postinstall (no --strict): no python3 only warns, so npm install still installs the JavaScript packages', () => {
  const { script, env } = projectWithoutPython()
  const r = spawnSync(process.execPath, [script], { env, encoding: 'utf8' })
  assert.equal(r.status, 0)
  assert.match(r.stderr, /Python 3 is not installed/)
  assert.equal(existsSync(join(script, '..', '..', '.venv')), false, 'no venv made')
})

test('an install at the pinned version is kept as it is', { skip: installedEzklVersion() !== EZKL_VERSION && 'ezkl not installed' }, () => {
  const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts', 'install-ezkl.mjs'), '--strict'], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.stdout.trim(), `[ezkl] ezkl ${EZKL_VERSION} already installed in ${VENV_DIR}`)
})
