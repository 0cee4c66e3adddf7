import type { Common } from '@ethereumjs/common'
import { RLP } from '@ethereumjs/rlp'
import {
  create1559FeeMarketTxFromBytesArray,
  createAccessList2930TxFromBytesArray,
  createLegacyTxFromBytesArray,
  type TypedTransaction,
} from '@ethereumjs/tx'
import { Address, bigIntToUnpaddedBytes, bytesToBigInt, bytesToHex, setLengthLeft } from '@ethereumjs/util'
import { LRUCache } from 'lru-cache'
import { keccak256 } from '../../crypto.ts'
import { fingerprint } from '../../fingerprint.ts'
import { ErrInvalidSignature, ErrTxDecode, ErrTxTooLarge, ErrUnprotectedTx, ErrUnsupportedTxType, ErrWrongChainId } from './errors.ts'
import { MAX_TX_BYTES } from './params.ts'
import type { SenderRecoveryPool } from './senderRecoveryPool.ts'

/** A decoded, signature-checked Ethereum tx: what CheckTx caches and blocks execute. */
export interface EthTx {
  kind: 'ethereum'
  /** The exact bytes CometBFT carries (EIP-2718 envelope or legacy RLP). */
  raw: Uint8Array
  /** keccak256(raw): the Ethereum tx hash. */
  hash: Uint8Array
  hashHex: `0x${string}`
  tx: TypedTransaction
  /** Recovered once; the tx object caches the public key so execution never recovers again. */
  sender: Address
  /** `tx.nonce` and `tx.gasLimit`, as every kind of block tx has them (see SequencedTx). */
  nonce: bigint
  gasLimit: bigint
}

/** Tx types PIPE accepts: legacy (0), EIP-2930 (1), EIP-1559 (2). */
const TYPE_NAMES: Record<number, string> = { 3: 'EIP-4844 blob', 4: 'EIP-7702 set-code' }

/**
 * Decodes raw tx bytes, checks the chain id and recovers the sender, each failure with its own
 * error. Blob (type 3) and set-code (type 4) txs are refused: there are no blob sidecars on a
 * CometBFT chain, and 7702 is not offered yet.
 * @example decodeEthTx(hexToBytes('0x02f8…'), common).sender.toString()
 */
export function decodeEthTx(raw: Uint8Array, common: Common, hash: Uint8Array = keccak256(raw)): EthTx {
  const tx = parseEthTx(raw, common)
  let sender: Address
  try {
    sender = tx.getSenderAddress()
  } catch (err) {
    throw ErrInvalidSignature.with(stripContext((err as Error).message))
  }
  return sealEthTx(tx, raw, hash, sender)
}

/**
 * Like {@link decodeEthTx}, with the sender recovered on a worker thread (the main thread only
 * hashes the signed message).
 */
export async function decodeEthTxWith(pool: SenderRecoveryPool, raw: Uint8Array, common: Common, hash: Uint8Array): Promise<EthTx> {
  const tx = parseEthTx(raw, common)
  const v = tx.v ?? 0n
  const recovery = tx.type === 0 ? v - (common.chainId() * 2n + 35n) : v
  if (recovery !== 0n && recovery !== 1n) throw ErrInvalidSignature.with(`v = ${v} gives no recovery id`)
  const sig = new Uint8Array(64)
  sig.set(setLengthLeft(bigIntToUnpaddedBytes(tx.r ?? 0n), 32), 0)
  sig.set(setLengthLeft(bigIntToUnpaddedBytes(tx.s ?? 0n), 32), 32)
  const address = await pool.recover(tx.getHashedMessageToSign(), sig, Number(recovery))
  if (!address) throw ErrInvalidSignature.with('Invalid Signature')
  return sealEthTx(tx, raw, hash, new Address(address))
}

/**
 * The tx of `raw` with a sender recovered before (a simulation worker gets txs CheckTx decoded:
 * it never recovers a signature).
 */
export function ethTxFromSender(raw: Uint8Array, common: Common, hash: Uint8Array, sender: Address): EthTx {
  return sealEthTx(parseEthTx(raw, common), raw, hash, sender)
}

/** Decodes and checks everything but the signature; the tx comes back unfrozen. */
function parseEthTx(raw: Uint8Array, common: Common): TypedTransaction {
  if (raw.length > MAX_TX_BYTES) throw ErrTxTooLarge.with(`${raw.length} bytes, the limit is ${MAX_TX_BYTES}`)
  if (raw.length === 0) throw ErrTxDecode.with('empty transaction')
  const first = raw[0]!
  const typed = first < 0x7f
  if (typed && first !== 1 && first !== 2) {
    throw ErrUnsupportedTxType.with(
      `type ${first}${TYPE_NAMES[first] ? ` (${TYPE_NAMES[first]})` : ''}; accepted: 0 legacy, 1 EIP-2930, 2 EIP-1559`,
    )
  }
  let values: Uint8Array[]
  try {
    const decoded = RLP.decode(typed ? raw.subarray(1) : raw)
    if (!Array.isArray(decoded) || decoded.some((v) => !(v instanceof Uint8Array) && !Array.isArray(v))) {
      throw new Error('not an RLP list')
    }
    values = decoded as Uint8Array[]
  } catch (err) {
    throw ErrTxDecode.with((err as Error).message)
  }
  const expected = first === 1 ? 11 : first === 2 ? 12 : 9
  if (values.length !== expected) throw ErrTxDecode.with(`expected ${expected} fields, got ${values.length}`)
  checkChainId(typed, values, common.chainId())
  try {
    // Built unfrozen so the recovered sender can be pinned on it, then frozen (sealEthTx).
    const opts = { common, freeze: false }
    return first === 1
      ? createAccessList2930TxFromBytesArray(values as never, opts)
      : first === 2
        ? create1559FeeMarketTxFromBytesArray(values as never, opts)
        : createLegacyTxFromBytesArray(values as never, opts)
  } catch (err) {
    // ethereumjs checks r/s ranges (EIP-2 high-s) while constructing: that is a signature fault.
    const message = stripContext((err as Error).message)
    throw /signature/i.test(message) ? ErrInvalidSignature.with(message) : ErrTxDecode.with(message)
  }
}

function sealEthTx(tx: TypedTransaction, raw: Uint8Array, hash: Uint8Array, sender: Address): EthTx {
  // ethereumjs re-derives the address (a keccak) on every call, several times per executed tx.
  Object.defineProperty(tx, 'getSenderAddress', { value: () => sender })
  Object.freeze(tx)
  return { kind: 'ethereum', raw, hash, hashHex: bytesToHex(hash) as `0x${string}`, tx, sender, nonce: tx.nonce, gasLimit: tx.gasLimit }
}

function checkChainId(typed: boolean, values: Uint8Array[], chainId: bigint): void {
  if (typed) {
    const got = bytesToBigInt(values[0] as Uint8Array)
    if (got !== chainId) throw ErrWrongChainId.with(`tx is for chain ${got}, this chain is ${chainId}`)
    return
  }
  const v = bytesToBigInt(values[6] as Uint8Array)
  if (v === 27n || v === 28n) throw ErrUnprotectedTx.with('legacy tx without chain id (v = 27/28); sign it with EIP-155')
  if (v < 35n) throw ErrInvalidSignature.with(`v = ${v} is neither 27/28 nor EIP-155`)
  const got = (v - 35n) / 2n
  if (got !== chainId) throw ErrWrongChainId.with(`tx is for chain ${got}, this chain is ${chainId}`)
}

/** ethereumjs appends "(tx type=… hash=… nonce=…)" to messages; the hash is already known. */
function stripContext(message: string): string {
  return message.replace(/\s*\(tx type=.*$/s, '')
}

/**
 * Decoded txs by hash, filled by CheckTx and ProcessProposal so FinalizeBlock never decodes or
 * recovers a sender twice. Bounded; the least recently used go first.
 *
 * Lookups by raw bytes do not hash them: CometBFT hands the same tx over again and again
 * (RECHECK after every block, every PrepareProposal), and keccak256 of a large tx costs more
 * than the checks themselves. A tx is found by a fingerprint — its length and its last 32
 * bytes, which hold the signature's `s` — and confirmed by comparing the bytes.
 */
export class EthTxCache {
  private readonly map: LRUCache<string, EthTx>
  /** The cached txs by fingerprint: an index of `map`, kept in step with it. */
  private readonly byFingerprint = new Map<string, EthTx>()
  private readonly inflight = new Map<string, Promise<EthTx>>()

  constructor(
    /** The shared tx Common (see `createTxCommon`). */
    private readonly common: Common,
    capacity = 100_000,
    /** Where `decodeAsync` recovers senders; without it, it recovers on the calling thread. */
    private readonly pool?: SenderRecoveryPool,
  ) {
    this.map = new LRUCache({
      max: capacity,
      dispose: (eth) => {
        const fp = fingerprint(eth.raw)
        if (this.byFingerprint.get(fp) === eth) this.byFingerprint.delete(fp)
      },
    })
  }

  /**
   * Like `decode`, with the sender recovered on a worker thread. Concurrent calls for the same
   * bytes share one decoding, so a prefetch started when CheckTx arrives is reused by CheckTx.
   */
  decodeAsync(raw: Uint8Array): Promise<EthTx> {
    const known = this.lookup(raw)
    if (known) return Promise.resolve(known)
    const hash = keccak256(raw)
    const key = hashKey(hash)
    const hit = this.map.get(key)
    if (hit) return Promise.resolve(hit)
    const running = this.inflight.get(key)
    if (running) return running
    const pool = this.pool
    const p = pool ? decodeEthTxWith(pool, raw, this.common, hash) : Promise.resolve().then(() => decodeEthTx(raw, this.common, hash))
    this.inflight.set(key, p)
    p.then(
      (eth) => {
        this.inflight.delete(key)
        this.store(key, eth)
      },
      () => this.inflight.delete(key),
    )
    return p
  }

  /** Decodes `raw`, or returns the cached decoding of the same bytes. */
  decode(raw: Uint8Array): EthTx {
    const known = this.lookup(raw)
    if (known) return known
    const hash = keccak256(raw)
    const key = hashKey(hash)
    const hit = this.map.get(key)
    if (hit) return hit
    const decoded = decodeEthTx(raw, this.common, hash)
    this.store(key, decoded)
    return decoded
  }

  /** The cached tx with exactly these bytes, found without hashing them. */
  private lookup(raw: Uint8Array): EthTx | undefined {
    const hit = this.byFingerprint.get(fingerprint(raw))
    return hit && Buffer.compare(hit.raw, raw) === 0 ? hit : undefined
  }

  private store(key: string, eth: EthTx): void {
    this.map.set(key, eth)
    this.byFingerprint.set(fingerprint(eth.raw), eth)
  }

  /** Drops txs that are in a committed block: they will not be seen again. */
  forget(hash: Uint8Array): void {
    this.map.delete(hashKey(hash))
  }

  get size(): number {
    return this.map.size
  }
}

function hashKey(hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.length).toString('hex')
}
