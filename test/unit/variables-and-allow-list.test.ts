import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { isVariableName, toInertText, unsafeValueReason } from '../../src/esl/variables.ts'
import { isLoopbackHost, parseAllowList } from '../../src/net/allow-list.ts'

describe('inert text for channel variables', () => {
  it('keeps ordinary names, including non-ASCII', () => {
    assert.equal(toInertText('ACME B.V. (sales)', 64), 'ACME B.V. (sales)')
    assert.equal(toInertText('Zoë Müller-Łukasik', 64), 'Zoë Müller-Łukasik')
  })

  it('removes what FreeSWITCH would interpret and keeps the name readable', () => {
    assert.equal(toInertText("O'Brien", 64), 'O\u2019Brien')
    assert.equal(toInertText('${system rm -rf /}', 64), '(system rm -rf /)')
    assert.equal(toInertText('a;b\\c"d', 64), 'a bc\u201Dd')
    assert.equal(toInertText('Doe, John [VIP] <x> {y} a|b ^^:c', 64), 'Doe John (VIP) (x) (y) a b :c')
    assert.equal(toInertText('line\r\nbreak\0nul\u202Ebidi', 64), 'line breaknulbidi')
    assert.equal(toInertText('  lots   of\tspace  ', 64), 'lots of space')
    assert.equal(toInertText('J\uFFFDr', 64), 'Jr')
  })

  it('cuts at characters, never inside one', () => {
    assert.equal(toInertText('😀'.repeat(70), 64), '😀'.repeat(64))
    assert.equal(toInertText('x'.repeat(10_000), 64).length, 64)
  })

  it('property: the result is always accepted by uuid_setvar_multi and never longer than asked', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.integer({ min: 1, max: 80 }), (input, max) => {
        const inert = toInertText(input, max)
        assert.equal(unsafeValueReason(inert), undefined, JSON.stringify(inert))
        assert.ok(Array.from(inert).length <= max)
      }),
      { numRuns: 3000 },
    )
  })

  it('knows a variable name from anything else', () => {
    assert.ok(isVariableName('webhook_result'))
    assert.ok(!isVariableName('a=b'))
    assert.ok(!isVariableName('1abc'))
    assert.ok(!isVariableName(''))
  })
})

describe('address allow-lists', () => {
  it('matches addresses and CIDRs, IPv4 and IPv6, including IPv4-mapped peers', () => {
    const list = parseAllowList(['127.0.0.1', '10.0.0.0/8', ' 2001:db8::/32 ', ''])
    assert.ok(!(list instanceof Error))
    assert.ok(list.allows('127.0.0.1'))
    assert.ok(list.allows('::ffff:10.1.2.3'))
    assert.ok(list.allows('2001:db8::5'))
    assert.ok(!list.allows('127.0.0.2'))
    assert.ok(!list.allows('11.0.0.1'))
    assert.ok(!list.allows('not an address'))
    assert.deepEqual(list.entries, ['127.0.0.1', '10.0.0.0/8', '2001:db8::/32'])
  })

  it('names the entry that is wrong', () => {
    const bad = parseAllowList(['10.0.0.0/8', 'freeswitch.local'])
    assert.ok(bad instanceof Error)
    assert.match(bad.message, /freeswitch\.local/)
    const prefix = parseAllowList(['10.0.0.0/33'])
    assert.ok(prefix instanceof Error)
    assert.match(prefix.message, /prefix/)
  })

  it('recognises loopback hosts', () => {
    assert.ok(isLoopbackHost('127.0.0.1'))
    assert.ok(isLoopbackHost('::1'))
    assert.ok(isLoopbackHost('localhost'))
    assert.ok(!isLoopbackHost('0.0.0.0'))
    assert.ok(!isLoopbackHost('10.0.0.1'))
  })
})
