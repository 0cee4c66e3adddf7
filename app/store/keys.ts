/**
 * Building LevelDB keys. Each module declares its prefixes in its own keys.ts (only its keeper
 * uses them); these are the two helpers they share.
 */

/** A key prefix from its text, e.g. `keyPrefix('evm/b/')`. */
export function keyPrefix(text: string): Uint8Array {
  return new TextEncoder().encode(text)
}

/** `prefix ‖ key`. */
export function prefixed(prefix: Uint8Array, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + key.length)
  out.set(prefix, 0)
  out.set(key, prefix.length)
  return out
}
