import type { AccessList } from '@ethereumjs/tx'
import { Address, hexToBytes, type PrefixedHexString } from '@ethereumjs/util'
import type { CallParams } from '../modules/evm/callSimulator.ts'
import { invalidParams } from './errors.ts'

/**
 * Parsers for JSON-RPC params: each takes the raw value and the param's name and either returns
 * the typed value or throws -32602 saying which param is wrong and why.
 */

const HEX_RE = /^0x[0-9a-fA-F]*$/

/** Checks the number of positional params. */
export function arity(params: unknown[], min: number, max = min): void {
  if (params.length < min || params.length > max) {
    const want = min === max ? `${min}` : `${min} to ${max}`
    throw invalidParams(`expected ${want} params, got ${params.length}`)
  }
}

export function quantity(v: unknown, name: string): bigint {
  if (typeof v !== 'string' || !HEX_RE.test(v) || v.length < 3) {
    throw invalidParams(`${name}: expected a hex quantity like "0x1a", got ${JSON.stringify(v)}`)
  }
  if (v.length > 66) throw invalidParams(`${name}: quantity larger than 256 bits`)
  return BigInt(v)
}

export function data(v: unknown, name: string): Uint8Array {
  if (typeof v !== 'string' || !HEX_RE.test(v) || v.length % 2 !== 0) {
    throw invalidParams(`${name}: expected 0x-prefixed hex bytes of even length, got ${short(v)}`)
  }
  return hexToBytes(v as PrefixedHexString)
}

function fixed(v: unknown, name: string, bytes: number, what: string): Uint8Array {
  const b = data(v, name)
  if (b.length !== bytes) throw invalidParams(`${name}: expected a ${bytes}-byte ${what}, got ${b.length} bytes`)
  return b
}

export const address = (v: unknown, name: string): Address => new Address(fixed(v, name, 20, 'address'))
export const hash32 = (v: unknown, name: string): Uint8Array => fixed(v, name, 32, 'hash')

/** A storage slot: any quantity up to 32 bytes, left-padded (geth accepts both forms). */
export function slot(v: unknown, name: string): Uint8Array {
  const n = quantity(v, name)
  const out = new Uint8Array(32)
  let x = n
  for (let i = 31; i >= 0 && x > 0n; i--) {
    out[i] = Number(x & 0xffn)
    x >>= 8n
  }
  return out
}

export function bool(v: unknown, name: string): boolean {
  if (typeof v !== 'boolean') throw invalidParams(`${name}: expected true or false, got ${JSON.stringify(v)}`)
  return v
}

export type BlockTag = 'latest' | 'pending' | 'earliest' | 'safe' | 'finalized'

/** A block selector: a tag, a number, or (EIP-1898) a hash. */
export type BlockRef = { tag: BlockTag } | { number: bigint } | { hash: Uint8Array }

const TAGS = new Set<string>(['latest', 'pending', 'earliest', 'safe', 'finalized'])

/** Parses a block param; `undefined` means `latest`, as geth treats an omitted block. */
export function blockRef(v: unknown, name: string): BlockRef {
  if (v === undefined || v === null) return { tag: 'latest' }
  if (typeof v === 'string') {
    if (TAGS.has(v)) return { tag: v as BlockTag }
    return { number: quantity(v, name) }
  }
  if (typeof v === 'object') {
    const o = v as { blockHash?: unknown; blockNumber?: unknown }
    if (o.blockHash !== undefined) return { hash: hash32(o.blockHash, `${name}.blockHash`) }
    if (o.blockNumber !== undefined) return blockRef(o.blockNumber, `${name}.blockNumber`)
  }
  throw invalidParams(
    `${name}: expected a block number, a tag (latest, pending, earliest, safe, finalized) or {blockHash}, got ${JSON.stringify(v)}`,
  )
}

function accessList(v: unknown, name: string): AccessList {
  if (!Array.isArray(v)) throw invalidParams(`${name}: expected an array`)
  return v.map((item, i) => {
    const o = item as { address?: unknown; storageKeys?: unknown }
    if (!Array.isArray(o?.storageKeys)) throw invalidParams(`${name}[${i}].storageKeys: expected an array`)
    return {
      address: address(o.address, `${name}[${i}].address`).toString(),
      storageKeys: o.storageKeys.map(
        (k, j) => `0x${Buffer.from(hash32(k, `${name}[${i}].storageKeys[${j}]`)).toString('hex')}` as PrefixedHexString,
      ),
    }
  }) as unknown as AccessList
}

/** The eth_call / eth_estimateGas transaction object; `input` wins over `data` as in geth. */
export function callObject(v: unknown, name: string): CallParams {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidParams(`${name}: expected a transaction object`)
  const o = v as Record<string, unknown>
  const opt = <T>(key: string, parse: (x: unknown, n: string) => T): T | undefined =>
    o[key] === undefined || o[key] === null ? undefined : parse(o[key], `${name}.${key}`)
  const input = opt('input', data) ?? opt('data', data)
  if (o.gasPrice !== undefined && (o.maxFeePerGas !== undefined || o.maxPriorityFeePerGas !== undefined)) {
    throw invalidParams(`${name}: both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified`)
  }
  return {
    from: opt('from', address),
    to: opt('to', address),
    gas: opt('gas', quantity),
    gasPrice: opt('gasPrice', quantity),
    maxFeePerGas: opt('maxFeePerGas', quantity),
    maxPriorityFeePerGas: opt('maxPriorityFeePerGas', quantity),
    value: opt('value', quantity),
    data: input,
    accessList: opt('accessList', accessList),
  }
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v)
  return s.length > 40 ? `${s.slice(0, 40)}…` : s
}
