import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { RLP } from '@ethereumjs/rlp'
import { bytesToHex } from '@ethereumjs/util'
import { initCrypto } from '../../../app/crypto.ts'
import { orderedTrieRoot } from '../../../app/modules/evm/orderedTrie.ts'

before(initCrypto)

async function reference(values: Uint8Array[]): Promise<string> {
  const trie = new MerklePatriciaTrie()
  for (let i = 0; i < values.length; i++) await trie.put(RLP.encode(i), values[i]!)
  return bytesToHex(trie.root())
}

test('ordered trie root equals ethereumjs MerklePatriciaTrie for sizes around every RLP key boundary', async () => {
  let seed = 7
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31)
  for (const n of [0, 1, 2, 3, 15, 16, 17, 127, 128, 129, 130, 255, 256, 257, 1000]) {
    // values from 1 byte (embedded nodes) to 100 bytes (hashed nodes)
    const values = Array.from({ length: n }, () => Uint8Array.from({ length: 1 + (rand() % 100) }, () => rand() % 256))
    assert.equal(bytesToHex(orderedTrieRoot(values)), await reference(values), `n = ${n}`)
  }
})

test('empty list gives the empty-trie root', () => {
  assert.equal(bytesToHex(orderedTrieRoot([])), '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421')
})
