import { type BlockHeader, createBlockHeaderFromRLP } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { RLP } from '@ethereumjs/rlp'
import { bigIntToUnpaddedBytes, bytesToBigInt } from '@ethereumjs/util'
import { LRUCache } from 'lru-cache'
import type { KvStore, WriteSet } from '../../store/kvStore.ts'
import { BLOCK_HASH_PREFIX, HEAD_KEY, heightKey, prefixed, TX_PREFIX } from './keys.ts'

/** A log as the EVM emits it. */
export interface StoredLog {
  address: Uint8Array
  topics: Uint8Array[]
  data: Uint8Array
}

/** What a receipt needs beyond the tx itself (blooms are recomputed from the logs). */
export interface StoredReceipt {
  /** 1 success, 0 reverted / out of gas. */
  status: 0 | 1
  cumulativeGasUsed: bigint
  gasUsed: bigint
  effectiveGasPrice: bigint
  contractAddress: Uint8Array | undefined
  logs: StoredLog[]
  /** Index in the block of this tx's first log (logIndex is block-wide). */
  firstLogIndex: number
}

/** A tx included in an Ethereum block, with where it landed and its receipt. */
export interface StoredTx {
  hash: Uint8Array
  raw: Uint8Array
  from: Uint8Array
  height: bigint
  /** Position in the Ethereum block. */
  index: number
  blockHash: Uint8Array
  receipt: StoredReceipt
}

/** An Ethereum block: the header ethereumjs hashes, plus the link to the CometBFT block. */
export interface StoredBlock {
  header: BlockHeader
  hash: Uint8Array
  txHashes: Uint8Array[]
  /** The CometBFT block hash this Ethereum block was executed from (zero for genesis). */
  cometHash: Uint8Array
  /** Size in bytes of the RLP block (header + txs), as eth_getBlock reports. */
  size: number
  /** Gas the block's Cosmos txs took (their gas limits); the header's gasUsed counts Ethereum txs only. */
  cosmosGasUsed: bigint
}

const int = (n: bigint | number): Uint8Array => bigIntToUnpaddedBytes(BigInt(n))
const num = (b: Uint8Array): number => Number(bytesToBigInt(b))

export function encodeBlock(b: StoredBlock): Uint8Array {
  return RLP.encode([b.header.serialize(), b.txHashes, b.cometHash, int(b.size), int(b.cosmosGasUsed)])
}

export function decodeBlock(bytes: Uint8Array, common: Common): StoredBlock {
  const [headerBytes, txHashes, cometHash, size, cosmosGas] = RLP.decode(bytes) as [
    Uint8Array,
    Uint8Array[],
    Uint8Array,
    Uint8Array,
    Uint8Array?,
  ]
  const header = createBlockHeaderFromRLP(headerBytes, { common, skipConsensusFormatValidation: true })
  // Blocks stored before Cosmos txs existed have no fifth field.
  return { header, hash: header.hash(), txHashes, cometHash, size: num(size), cosmosGasUsed: cosmosGas ? bytesToBigInt(cosmosGas) : 0n }
}

export function encodeTx(t: StoredTx): Uint8Array {
  const r = t.receipt
  return RLP.encode([
    t.raw,
    t.from,
    int(t.height),
    int(t.index),
    t.blockHash,
    int(r.status),
    int(r.cumulativeGasUsed),
    int(r.gasUsed),
    int(r.effectiveGasPrice),
    r.contractAddress ?? new Uint8Array(0),
    r.logs.map((l) => [l.address, l.topics, l.data]),
    int(r.firstLogIndex),
  ])
}

export function decodeTx(hash: Uint8Array, bytes: Uint8Array): StoredTx {
  const f = RLP.decode(bytes) as unknown as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    [Uint8Array, Uint8Array[], Uint8Array][],
    Uint8Array,
  ]
  return {
    hash,
    raw: f[0],
    from: f[1],
    height: bytesToBigInt(f[2]),
    index: num(f[3]),
    blockHash: f[4],
    receipt: {
      status: num(f[5]) === 1 ? 1 : 0,
      cumulativeGasUsed: bytesToBigInt(f[6]),
      gasUsed: bytesToBigInt(f[7]),
      effectiveGasPrice: bytesToBigInt(f[8]),
      contractAddress: f[9].length === 0 ? undefined : f[9],
      logs: f[10].map(([address, topics, data]) => ({ address, topics, data })),
      firstLogIndex: num(f[11]),
    },
  }
}

/** The latest committed Ethereum block, persisted under HEAD_KEY. */
export interface Head {
  height: bigint
  hash: Uint8Array
}

/**
 * Blocks, txs and receipts as JSON-RPC reads them. Writes are staged into the block's
 * WriteSet (FinalizeBlock) and land with everything else at Commit; reads see committed data.
 */
export class BlockStore {
  /** Recently used blocks, by height: RPC clients poll the head constantly. */
  private readonly cache = new LRUCache<bigint, StoredBlock>({ max: 512 })

  constructor(
    private readonly kv: KvStore,
    private readonly common: Common,
  ) {}

  async head(): Promise<Head | undefined> {
    const bytes = await this.kv.get(HEAD_KEY)
    if (!bytes) return undefined
    const [height, hash] = RLP.decode(bytes) as [Uint8Array, Uint8Array]
    return { height: bytesToBigInt(height), hash }
  }

  async blockByHeight(height: bigint): Promise<StoredBlock | undefined> {
    const cached = this.cache.get(height)
    if (cached) return cached
    const bytes = await this.kv.get(heightKey(height))
    if (!bytes) return undefined
    const block = decodeBlock(bytes, this.common)
    this.remember(block)
    return block
  }

  async blockByHash(hash: Uint8Array): Promise<StoredBlock | undefined> {
    const height = await this.kv.get(prefixed(BLOCK_HASH_PREFIX, hash))
    return height ? this.blockByHeight(bytesToBigInt(height)) : undefined
  }

  async tx(hash: Uint8Array): Promise<StoredTx | undefined> {
    const bytes = await this.kv.get(prefixed(TX_PREFIX, hash))
    return bytes ? decodeTx(hash, bytes) : undefined
  }

  /** Every tx of a block, in block order. */
  async blockTxs(block: StoredBlock): Promise<StoredTx[]> {
    if (block.txHashes.length === 0) return []
    const values = await this.kv.getMany(block.txHashes.map((h) => prefixed(TX_PREFIX, h)))
    return values.map((v, i) => {
      if (!v) throw new Error(`tx ${Buffer.from(block.txHashes[i]!).toString('hex')} of block ${block.header.number} is missing`)
      return decodeTx(block.txHashes[i]!, v)
    })
  }

  /** Stages a block and its txs; they become readable once Commit writes the set. */
  stage(ws: WriteSet, block: StoredBlock, txs: StoredTx[]): void {
    ws.put(heightKey(block.header.number), encodeBlock(block))
    ws.put(prefixed(BLOCK_HASH_PREFIX, block.hash), int(block.header.number))
    for (const t of txs) ws.put(prefixed(TX_PREFIX, t.hash), encodeTx(t))
    ws.put(HEAD_KEY, RLP.encode([int(block.header.number), block.hash]))
  }

  /** Called after Commit wrote a staged block, so the cache serves it without a read. */
  remember(block: StoredBlock): void {
    this.cache.set(block.header.number, block)
  }
}
