import { RLP } from '@ethereumjs/rlp'
import { bigIntToUnpaddedBytes, bytesToBigInt } from '@ethereumjs/util'
import type { KvStore, WriteSet } from './store/kvStore.ts'
import { sha256 } from './crypto.ts'

/** App-level key: the last committed height and app hash, answered by ABCI Info after a restart. */
const LAST_COMMIT_KEY = new TextEncoder().encode('app/last')

export interface LastCommit {
  height: bigint
  appHash: Uint8Array
}

export async function readLastCommit(kv: KvStore): Promise<LastCommit> {
  const bytes = await kv.get(LAST_COMMIT_KEY)
  if (!bytes) return { height: 0n, appHash: new Uint8Array(0) }
  const [height, appHash] = RLP.decode(bytes) as [Uint8Array, Uint8Array]
  return { height: bytesToBigInt(height), appHash }
}

export function stageLastCommit(ws: WriteSet, last: LastCommit): void {
  ws.put(LAST_COMMIT_KEY, RLP.encode([bigIntToUnpaddedBytes(last.height), last.appHash]))
}

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
