import { parentPort } from 'node:worker_threads'
import secp256k1 from 'secp256k1'
import { initCrypto, keccak256 } from '../../crypto.ts'
import { ADDRESS_BYTES, ITEM_BYTES } from './senderRecoveryWire.ts'

/**
 * Worker side of SenderRecoveryPool: recovers the sender address of each packed signature
 * (layout in senderRecoveryWire.ts); `failed[i]` marks a signature that does not recover.
 */

await initCrypto()

parentPort!.on('message', ({ id, items }: { id: number; items: Uint8Array }) => {
  const n = items.length / ITEM_BYTES
  const addresses = new Uint8Array(n * ADDRESS_BYTES)
  const failed = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    const o = i * ITEM_BYTES
    try {
      const pub = secp256k1.ecdsaRecover(items.subarray(o + 32, o + 96), items[o + 96]!, items.subarray(o, o + 32), false)
      addresses.set(keccak256(pub.subarray(1)).subarray(12), i * ADDRESS_BYTES)
    } catch {
      failed[i] = 1
    }
  }
  parentPort!.postMessage({ id, addresses, failed }, [addresses.buffer, failed.buffer])
})
