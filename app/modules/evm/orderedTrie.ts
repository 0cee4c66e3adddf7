import { type Input, RLP } from '@ethereumjs/rlp'
import { keccak256 } from '../../crypto.ts'

/**
 * Root of the Merkle-Patricia trie mapping RLP(i) → values[i]: the transactions and receipts
 * roots of an Ethereum block header (https://ethereum.org/en/developers/docs/data-structures-and-encoding/patricia-merkle-trie/).
 * Built in one synchronous pass over the sorted keys, hashing each node once; ethereumjs'
 * trie inserts one key at a time asynchronously, which cost more than running the txs.
 * @example orderedTrieRoot([]) // keccak256(RLP("")) = 0x56e81f17…
 */
export function orderedTrieRoot(values: Uint8Array[]): Uint8Array {
  if (values.length === 0) return keccak256(RLP.encode(new Uint8Array(0)))
  const entries = values.map((value, i) => ({ key: toNibbles(RLP.encode(i)), value }))
  entries.sort((a, b) => compareNibbles(a.key, b.key))
  return keccak256(RLP.encode(buildNode(entries, 0, entries.length, 0)))
}

interface Entry {
  key: Uint8Array
  value: Uint8Array
}

function toNibbles(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length * 2)
  for (let i = 0; i < bytes.length; i++) {
    out[2 * i] = bytes[i]! >> 4
    out[2 * i + 1] = bytes[i]! & 0x0f
  }
  return out
}

function compareNibbles(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

/** Hex-prefix encoding of a nibble path (yellow paper appendix C). */
function hexPrefix(nibbles: Uint8Array, leaf: boolean): Uint8Array {
  const odd = nibbles.length % 2
  const out = new Uint8Array(Math.floor(nibbles.length / 2) + 1)
  out[0] = ((leaf ? 2 : 0) + odd) << 4
  let j = 1
  let i = 0
  if (odd) {
    out[0] |= nibbles[0]!
    i = 1
  }
  for (; i < nibbles.length; i += 2) out[j++] = (nibbles[i]! << 4) | nibbles[i + 1]!
  return out
}

/** A child reference: the node itself when its encoding is under 32 bytes, else its hash. */
function ref(node: Input[]): Input {
  const encoded = RLP.encode(node)
  return encoded.length < 32 ? node : keccak256(encoded)
}

/** The node for entries[from, to), all sharing their first `depth` nibbles (sorted by key). */
function buildNode(entries: Entry[], from: number, to: number, depth: number): Input[] {
  if (to - from === 1) {
    const e = entries[from]!
    return [hexPrefix(e.key.subarray(depth), true), e.value]
  }
  // Longest prefix shared by the whole (sorted) range = shared by its first and last keys.
  const first = entries[from]!.key
  const last = entries[to - 1]!.key
  let shared = 0
  while (depth + shared < first.length && depth + shared < last.length && first[depth + shared] === last[depth + shared]) shared++
  if (shared > 0) {
    return [hexPrefix(first.subarray(depth, depth + shared), false), ref(buildNode(entries, from, to, depth + shared))]
  }
  const branch: Input[] = new Array(17).fill(new Uint8Array(0))
  let i = from
  if (entries[i]!.key.length === depth) {
    branch[16] = entries[i]!.value
    i++
  }
  while (i < to) {
    const nibble = entries[i]!.key[depth]!
    let j = i + 1
    while (j < to && entries[j]!.key[depth] === nibble) j++
    branch[nibble] = ref(buildNode(entries, i, j, depth + 1))
    i = j
  }
  return branch
}
