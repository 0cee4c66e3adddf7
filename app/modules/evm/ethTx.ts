import { RLP } from '@ethereumjs/rlp'
import type { Common } from '@ethereumjs/common'
import {
  createAccessList2930TxFromBytesArray,
  create1559FeeMarketTxFromBytesArray,
  createLegacyTxFromBytesArray,
  type TypedTransaction,
} from '@ethereumjs/tx'
import { bytesToBigInt, bytesToHex, type Address } from '@ethereumjs/util'
import { keccak256 } from '../../crypto.ts'
import {
  ErrInvalidSignature,
  ErrTxDecode,
  ErrTxTooLarge,
  ErrUnprotectedTx,
  ErrUnsupportedTxType,
  ErrWrongChainId,
} from './errors.ts'
import { MAX_TX_BYTES } from './params.ts'

/** A decoded, signature-checked Ethereum tx: what CheckTx caches and blocks execute. */
export interface EthTx {
  /** The exact bytes CometBFT carries (EIP-2718 envelope or legacy RLP). */
  raw: Uint8Array
  /** keccak256(raw): the Ethereum tx hash. */
  hash: Uint8Array
  hashHex: `0x${string}`
  tx: TypedTransaction
  /** Recovered once; the tx object caches the public key so execution never recovers again. */
  sender: Address
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
  if (raw.length > MAX_TX_BYTES) throw ErrTxTooLarge.with(`${raw.length} bytes, the limit is ${MAX_TX_BYTES}`)
  if (raw.length === 0) throw ErrTxDecode.with('empty transaction')
  const first = raw[0]
  const typed = first < 0x7f
  if (typed && first !== 1 && first !== 2) {
    throw ErrUnsupportedTxType.with(`type ${first}${TYPE_NAMES[first] ? ` (${TYPE_NAMES[first]})` : ''}; accepted: 0 legacy, 1 EIP-2930, 2 EIP-1559`)
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
  let tx: TypedTransaction
  try {
    // Built unfrozen so the recovered sender can be pinned on it below, then frozen.
    const opts = { common, freeze: false }
    tx =
      first === 1
        ? createAccessList2930TxFromBytesArray(values as never, opts)
        : first === 2
          ? create1559FeeMarketTxFromBytesArray(values as never, opts)
          : createLegacyTxFromBytesArray(values as never, opts)
  } catch (err) {
    // ethereumjs checks r/s ranges (EIP-2 high-s) while constructing: that is a signature fault.
    const message = stripContext((err as Error).message)
    throw /signature/i.test(message) ? ErrInvalidSignature.with(message) : ErrTxDecode.with(message)
  }
  let sender: Address
  try {
    sender = tx.getSenderAddress()
  } catch (err) {
    throw ErrInvalidSignature.with(stripContext((err as Error).message))
  }
  // ethereumjs re-derives the address (a keccak) on every call, several times per executed tx.
  Object.defineProperty(tx, 'getSenderAddress', { value: () => sender })
  Object.freeze(tx)
  return { raw, hash, hashHex: bytesToHex(hash) as `0x${string}`, tx, sender }
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
 * recovers a sender twice. Bounded; oldest entries go first.
 */
export class EthTxCache {
  private readonly map = new Map<string, EthTx>()

  constructor(
    /** The shared tx Common (see `createTxCommon`). */
    private readonly common: Common,
    private readonly capacity = 100_000,
  ) {}

  /** Decodes `raw`, or returns the cached decoding of the same bytes. */
  decode(raw: Uint8Array): EthTx {
    const common = this.common
    const hash = keccak256(raw)
    const key = Buffer.from(hash).toString('hex')
    const hit = this.map.get(key)
    if (hit) return hit
    const decoded = decodeEthTx(raw, common, hash)
    this.map.set(key, decoded)
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value
      if (oldest !== undefined) this.map.delete(oldest)
    }
    return decoded
  }

  /** Drops txs that are in a committed block: they will not be seen again. */
  forget(hash: Uint8Array): void {
    this.map.delete(Buffer.from(hash).toString('hex'))
  }

  get size(): number {
    return this.map.size
  }
}
