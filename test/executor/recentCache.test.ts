import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RecentCache } from '../../app/executor/recentCache.ts'

const cache = (maxEntries: number, maxWeight = 1e9) => new RecentCache<string, string>({ maxEntries, maxWeight, weight: (v) => v.length })

test('keeps at least half of maxEntries of the most recent entries, and never more than maxEntries', () => {
  const c = cache(8)
  for (let i = 0; i < 100; i++) {
    c.set(`k${i}`, `v${i}`)
    assert.ok(c.size <= 8)
  }
  assert.ok(c.size >= 4)
  for (let i = 96; i < 100; i++) assert.equal(c.get(`k${i}`), `v${i}`)
  assert.equal(c.get('k0'), undefined)
})

test('an entry that is used survives generations of newer ones', () => {
  const c = cache(8)
  c.set('hot', 'h')
  for (let i = 0; i < 100; i++) {
    c.set(`k${i}`, `v${i}`)
    assert.equal(c.get('hot'), 'h', `after ${i} newer entries`)
  }
})

test('bounded by weight too; an entry over half the weight bound is not kept; 0 entries keeps nothing', () => {
  const c = cache(1000, 20)
  for (let i = 0; i < 50; i++) c.set(`k${i}`, 'xxxx')
  assert.ok(c.size * 4 <= 20)
  c.set('big', 'x'.repeat(11))
  assert.equal(c.get('big'), undefined)
  const off = cache(0)
  off.set('a', 'b')
  assert.equal(off.get('a'), undefined)
})
