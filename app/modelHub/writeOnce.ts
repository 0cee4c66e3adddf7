import { randomBytes } from 'node:crypto'
import { link, open, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * Writes `dir/name` atomically and at most once: a temp file in the same directory, flushed,
 * then hard-linked to its final name, which fails if the name exists. True if this call created
 * the file; false if it was there already (another writer, perhaps another process, was first).
 * Content-addressed files never change, so "already there" means "already right".
 * @example await writeOnce('.pipe/models', 'bafkrei….onnx', bytes) // true the first time
 */
export async function writeOnce(dir: string, name: string, data: Uint8Array): Promise<boolean> {
  const final = join(dir, name)
  const temp = join(dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}-${name}`)
  const fh = await open(temp, 'wx')
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
  try {
    await link(temp, final)
    return true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return false
    // Filesystems without hard links: rename is still atomic, only "who was first" is lost.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
      await rename(temp, final)
      return true
    }
    throw err
  } finally {
    await unlink(temp).catch(() => {})
  }
}
