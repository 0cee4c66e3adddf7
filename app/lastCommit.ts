import { RLP } from '@ethereumjs/rlp'
import { bigIntToUnpaddedBytes, bytesToBigInt } from '@ethereumjs/util'
import type { KvStore, WriteSet } from './store/kvStore.ts'

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
