import { LRUCache } from 'lru-cache'
import { sha256 } from '../../crypto.ts'
import { type CosmosTx, decodeCosmosTx } from './cosmosTx.ts'
import type { MsgHandler } from './msgHandler.ts'

/** Decoded txs kept (CometBFT hands a tx over again at every RECHECK and proposal). */
const CACHE_ENTRIES = 50_000

/**
 * Decodes Cosmos txs with the chain's message handlers, remembering the last ones by hash so
 * a tx is decoded and its signature checked once.
 */
export class CosmosTxDecoder {
  readonly handlers: ReadonlyMap<string, MsgHandler>
  private readonly cache = new LRUCache<string, CosmosTx>({ max: CACHE_ENTRIES })

  constructor(handlers: MsgHandler[]) {
    this.handlers = new Map(handlers.map((h) => [h.typeUrl, h]))
  }

  /** A tx to admit or execute; throws the SDK error of the first failed stateless check. */
  decode(raw: Uint8Array): CosmosTx {
    const hash = sha256(raw)
    const key = Buffer.from(hash).toString('latin1')
    const hit = this.cache.get(key)
    if (hit) return hit
    const tx = decodeCosmosTx(raw, this.handlers, 'deliver', hash)
    this.cache.set(key, tx)
    return tx
  }

  /** Simulate's tx: unsigned, its key optional. Not cached. */
  decodeForSimulation(raw: Uint8Array): CosmosTx {
    return decodeCosmosTx(raw, this.handlers, 'simulate')
  }
}
