import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { bytesToHex } from '@ethereumjs/util'
import { initCrypto } from '../../app/crypto.ts'
import { ChainedStore } from '../../app/store/chainedStore.ts'
import { KvStore, WriteSet } from '../../app/store/kvStore.ts'

const enc = (s: string) => new TextEncoder().encode(s)
const dec = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined)
const ROOT = enc('t/root')

async function open(): Promise<{ kv: KvStore; store: ChainedStore; dir: string }> {
  await initCrypto()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-chained-'))
  const kv = await KvStore.open(dir)
  return { kv, store: await ChainedStore.open(kv, ROOT), dir }
}

/** endBlock, then what Commit does: write the batch, tell the store. */
async function commit(kv: KvStore, store: ChainedStore): Promise<Uint8Array> {
  const ws = new WriteSet()
  const root = store.endBlock(ws)
  await kv.write(ws.entries())
  store.blockCommitted()
  return root
}

test('a block sees its own writes, a reverted tx leaves nothing, and committed reads see only what Commit wrote', async () => {
  const { kv, store } = await open()
  try {
    store.put(enc('t/a'), enc('1'))
    store.beginTx()
    store.put(enc('t/b'), enc('2'))
    assert.equal(dec(await store.get(enc('t/b'))), '2', 'the tx sees its write')
    store.revertTx()
    assert.equal(await store.get(enc('t/b')), undefined, 'a reverted tx wrote nothing')
    store.beginTx()
    store.put(enc('t/c'), enc('3'))
    store.commitTx()
    assert.equal(dec(await store.get(enc('t/a'))), '1')
    assert.equal(await store.getCommitted(enc('t/a')), undefined, 'nothing committed yet')
    assert.throws(() => store.commitTx(), /commitTx without beginTx/)
    const root = await commit(kv, store)
    assert.equal(dec(await store.getCommitted(enc('t/a'))), '1')
    assert.equal(dec(await store.getCommitted(enc('t/c'))), '3')
    assert.equal(bytesToHex(store.root()), bytesToHex(root))
    // a block with no writes keeps the root
    assert.equal(bytesToHex(await commit(kv, store)), bytesToHex(root))
  } finally {
    await kv.close()
  }
})

test('the root is a hash chain over the writes in order: same writes, same root; other order, other root; it survives a reopen', async () => {
  const a = await open()
  const b = await open()
  const c = await open()
  try {
    a.store.put(enc('t/x'), enc('1'))
    a.store.put(enc('t/y'), enc('2'))
    b.store.put(enc('t/x'), enc('1'))
    b.store.put(enc('t/y'), enc('2'))
    c.store.put(enc('t/y'), enc('2'))
    c.store.put(enc('t/x'), enc('1'))
    const [ra, rb, rc] = [await commit(a.kv, a.store), await commit(b.kv, b.store), await commit(c.kv, c.store)]
    assert.equal(bytesToHex(ra), bytesToHex(rb))
    assert.notEqual(bytesToHex(ra), bytesToHex(rc))
    assert.notEqual(bytesToHex(ra), bytesToHex(new Uint8Array(32)))
    await a.kv.close()
    const kv = await KvStore.open(a.dir)
    try {
      assert.equal(bytesToHex((await ChainedStore.open(kv, ROOT)).root()), bytesToHex(ra))
    } finally {
      await kv.close()
    }
  } finally {
    await b.kv.close()
    await c.kv.close()
  }
})

test('a discarded block (executed, not committed) leaves the store as committed; a missing key read before is found once written', async () => {
  const { kv, store } = await open()
  try {
    assert.equal(await store.getCommitted(enc('t/k')), undefined) // cached as missing
    store.put(enc('t/k'), enc('v'))
    store.endBlock(new WriteSet())
    store.discardUncommitted()
    assert.equal(await store.get(enc('t/k')), undefined)
    assert.equal(bytesToHex(store.root()), bytesToHex(new Uint8Array(32)))
    store.put(enc('t/k'), enc('v'))
    await commit(kv, store)
    assert.equal(dec(await store.getCommitted(enc('t/k'))), 'v', 'the cached miss was replaced at Commit')
  } finally {
    await kv.close()
  }
})

test('rangeCommitted pages through a prefix in key order', async () => {
  const { kv, store } = await open()
  try {
    for (const k of ['t/p/c', 't/p/a', 't/p/b', 't/q/z', 't/p/aa']) store.put(enc(k), enc(k))
    await commit(kv, store)
    const page1 = await store.rangeCommitted(enc('t/p/'), undefined, 2)
    assert.deepEqual(
      page1.map(([k]) => dec(k)),
      ['t/p/a', 't/p/aa'],
    )
    const page2 = await store.rangeCommitted(enc('t/p/'), page1[1]![0], 10)
    assert.deepEqual(
      page2.map(([k]) => dec(k)),
      ['t/p/b', 't/p/c'],
    )
  } finally {
    await kv.close()
  }
})
