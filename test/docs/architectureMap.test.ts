import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

/** docs/architecture.md's map lists exactly the files of app/ (generated app/proto/ aside). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** The paths the map's indented tree names (a trailing `/` marks a folder). */
function mapFiles(markdown: string): { files: Set<string>; folders: Set<string> } {
  const block = /```map\n([\s\S]*?)```/.exec(markdown)?.[1]
  assert.ok(block, 'docs/architecture.md has a ```map block')
  const files = new Set<string>()
  const folders = new Set<string>()
  const stack: string[] = []
  for (const line of block.split('\n')) {
    if (line.trim() === '') continue
    const depth = (line.length - line.trimStart().length) / 2
    const name = line.trim().split(/\s+/)[0] as string
    stack.length = depth
    const path = [...stack, name.replace(/\/$/, '')].join('/')
    if (name.endsWith('/')) {
      folders.add(path)
      stack.push(name.replace(/\/$/, ''))
    } else files.add(path)
  }
  return { files, folders }
}

function treeFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) treeFiles(p, out)
    else out.push(relative(ROOT, p))
  }
  return out
}

test('the map in docs/architecture.md lists every file of app/ and nothing else', () => {
  const { files, folders } = mapFiles(readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8'))
  assert.ok(folders.has('app/proto'), 'the generated folder is named')
  const tree = treeFiles(join(ROOT, 'app')).filter((f) => !f.startsWith('app/proto/'))
  const missing = tree.filter((f) => !files.has(f)).sort()
  const extra = [...files].filter((f) => !tree.includes(f)).sort()
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, 'update the map in docs/architecture.md')
})
