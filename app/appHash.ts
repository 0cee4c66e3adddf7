import { sha256 } from './crypto.ts'

/**
 * The app hash CometBFT agrees on: sha256 over each module's root in a fixed order, so adding a
 * module (inference records) changes how it is built in exactly one place.
 * @example computeAppHash([['evm', stateRoot]])
 */
export function computeAppHash(moduleRoots: readonly (readonly [name: string, root: Uint8Array])[]): Uint8Array {
  const parts: Uint8Array[] = []
  for (const [name, root] of moduleRoots) {
    parts.push(new TextEncoder().encode(name), root)
  }
  const total = parts.reduce((n, p) => n + p.length, 0)
  const buf = new Uint8Array(total)
  let offset = 0
  for (const p of parts) {
    buf.set(p, offset)
    offset += p.length
  }
  return sha256(buf)
}
