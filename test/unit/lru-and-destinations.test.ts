/** The config cache's LRU map and the `destinations` pattern compiler (SPEC 3), on their own. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compileDestinations } from '../../src/config/destinations.ts'
import { LruMap } from '../../src/config/lru.ts'

describe('LRU map', () => {
  it('forgets the least recently used first; get marks as used, peek does not', () => {
    const map = new LruMap<string, number>(2)
    map.set('a', 1)
    map.set('b', 2)
    assert.equal(map.get('a'), 1)
    map.set('c', 3)
    assert.deepEqual([...map.keys()], ['a', 'c'], 'b was the least recently used')
    assert.equal(map.peek('a'), 1)
    map.set('d', 4)
    assert.deepEqual([...map.keys()], ['c', 'd'], 'peek did not save a')
    assert.equal(map.size, 2)
  })

  it('setting a key again refreshes it without growing; delete and clear', () => {
    const map = new LruMap<string, number>(3)
    map.set('a', 1)
    map.set('b', 2)
    map.set('a', 10)
    assert.deepEqual([...map.keys()], ['b', 'a'])
    assert.equal(map.get('a'), 10)
    assert.equal(map.get('zz'), undefined)
    assert.equal(map.delete('b'), true)
    assert.equal(map.delete('b'), false)
    map.clear()
    assert.equal(map.size, 0)
  })

  it('a size of 0 keeps nothing', () => {
    const map = new LruMap<string, number>(0)
    map.set('a', 1)
    assert.equal(map.size, 0)
  })
})

describe('destinations pattern', () => {
  it('matches the whole destination only', () => {
    const pattern = compileDestinations('\\+31[0-9]{9}')
    assert.ok(!(pattern instanceof Error))
    assert.equal(pattern.source, '\\+31[0-9]{9}')
    assert.equal(pattern.test('+31201234567'), true)
    assert.equal(pattern.test('+312012345678'), false)
    assert.equal(pattern.test('x+31201234567'), false)
  })

  it('refuses, naming why: too long (256 characters at most), not RE2, too complex', () => {
    assert.ok(!(compileDestinations('1'.repeat(256)) instanceof Error))
    assert.equal((compileDestinations('1'.repeat(257)) as Error).message, 'is longer than 256 characters')
    assert.match((compileDestinations('(a)\\1') as Error).message, /^is not a valid pattern \(RE2 syntax: no backreferences or lookaround\): ./)
    assert.match((compileDestinations('(?=1)1') as Error).message, /^is not a valid pattern \(RE2 syntax/)
    assert.match((compileDestinations('[0-9]{1000}') as Error).message, /^is too complex \(\d+ instructions, at most 1000\): use smaller repeat counts$/)
    assert.ok(!(compileDestinations('[0-9]{100}') instanceof Error), 'a hundred digits is simple enough')
  })
})
