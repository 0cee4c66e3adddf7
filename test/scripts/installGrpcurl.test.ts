/**
 * The grpcurl installer (scripts/install-grpcurl.mjs, part of npm's postinstall and pretest
 * hooks): what it says and exits with when Go is missing, in each mode, and that it keeps an
 * install at the pinned version. The missing-Go cases run a copy of the scripts in a temp
 * project whose PATH holds only node, so the real .bin is untouched.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { PROJECT_ROOT } from '../../scripts/install-cometbft.mjs'
import { GRPCURL_BINARY, GRPCURL_VERSION, installedGrpcurlVersion } from '../../scripts/install-grpcurl.mjs'

const tmp = mkdtempSync(join(tmpdir(), 'pipe-install-grpcurl-'))
after(() => rmSync(tmp, { recursive: true, force: true }))

/** A project with only the installers, and a PATH with only node on it. */
function projectWithoutGo(): { script: string; env: NodeJS.ProcessEnv } {
  const root = mkdtempSync(join(tmp, 'project-'))
  mkdirSync(join(root, 'scripts'))
  for (const f of ['install-grpcurl.mjs', 'install-cometbft.mjs']) copyFileSync(join(PROJECT_ROOT, 'scripts', f), join(root, 'scripts', f))
  const bin = join(root, 'bin')
  mkdirSync(bin)
  symlinkSync(process.execPath, join(bin, 'node'))
  return { script: join(root, 'scripts', 'install-grpcurl.mjs'), env: { PATH: bin, HOME: root } }
}

test('--strict (pretest): no go on PATH fails with what to install', () => {
  const { script, env } = projectWithoutGo()
  const r = spawnSync(process.execPath, [script, '--strict'], { env, encoding: 'utf8' })
  assert.equal(r.status, 1)
  assert.match(r.stderr, /\[grpcurl\] Go is not installed \(no `go` on PATH\); it is needed to build grpcurl v1\.9\.4 for the tests/)
  assert.match(r.stderr, /then run: node scripts\/install-grpcurl\.mjs/)
})

test('postinstall (no --strict): no go only warns, so npm install still installs the JavaScript packages', () => {
  const { script, env } = projectWithoutGo()
  const r = spawnSync(process.execPath, [script], { env, encoding: 'utf8' })
  assert.equal(r.status, 0)
  assert.match(r.stderr, /Go is not installed/)
  assert.equal(existsSync(join(script, '..', '..', '.bin', 'grpcurl')), false, 'nothing built')
})

test('an install at the pinned version is kept as it is', {
  skip: installedGrpcurlVersion() !== GRPCURL_VERSION && 'grpcurl not installed',
}, () => {
  const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts', 'install-grpcurl.mjs'), '--strict'], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.stdout.trim(), `[grpcurl] v${GRPCURL_VERSION} already installed at ${GRPCURL_BINARY}`)
})
