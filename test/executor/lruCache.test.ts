import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LruCache } from '../../app/executor/lruCache.ts'

test('evicts the least recently used entry past maxEntries, telling onEvict', () => {
  const evicted: string[] = []
  const c = new LruCache<string, number>({ maxEntries: 2, onEvict: (k) => evicted.push(k) })
  c.set('a', 1)
  c.set('b', 2)
  assert.equal(c.get('a'), 1) // a is now the most recent
  c.set('c', 3)
  assert.deepEqual(evicted, ['b'])
  assert.equal(c.get('b'), undefined)
  assert.deepEqual([...c.values()], [1, 3])
})

test('evicts past maxWeight and never keeps a value heavier than it', () => {
  const c = new LruCache<string, string>({ maxEntries: 100, maxWeight: 10, weight: (v) => v.length })
  c.set('a', 'xxxx')
  c.set('b', 'yyyy')
  c.set('c', 'zzzz') // 12 > 10: a goes
  assert.equal(c.has('a'), false)
  assert.equal(c.size, 2)
  c.set('huge', 'x'.repeat(11))
  assert.equal(c.has('huge'), false)
  assert.equal(c.size, 2)
})

test('maxEntries 0 keeps nothing', () => {
  const c = new LruCache<string, number>({ maxEntries: 0 })
  c.set('a', 1)
  assert.equal(c.get('a'), undefined)
})
