/**
 * The outbound address guard (SPEC 6): one case per range a webhook may not
 * reach, with an address at each end of the range, so removing any range
 * from the guard fails a test; then what stays reachable.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AddressRefusedError, createAddressGuard, guardedLookup, isInternalAddress } from '../../src/webhook/address-guard.ts'
import { parseAllowList, type AllowList } from '../../src/net/allow-list.ts'

function allowList(entries: string[]): AllowList {
  const list = parseAllowList(entries)
  if (list instanceof Error) throw list
  return list
}

const INTERNAL: ReadonlyArray<readonly [range: string, addresses: readonly string[]]> = [
  ['0.0.0.0/8 "this network"', ['0.0.0.0', '0.255.255.254']],
  ['10.0.0.0/8 private', ['10.0.0.1', '10.255.255.254']],
  ['100.64.0.0/10 carrier-grade NAT', ['100.64.0.1', '100.127.255.254']],
  ['127.0.0.0/8 loopback', ['127.0.0.1', '127.255.255.254']],
  ['169.254.0.0/16 link-local, cloud metadata', ['169.254.169.254', '169.254.0.1', '169.254.255.254']],
  ['172.16.0.0/12 private', ['172.16.0.1', '172.31.255.254']],
  ['192.0.0.0/24 IETF protocol assignments', ['192.0.0.1', '192.0.0.254']],
  ['192.0.2.0/24 documentation', ['192.0.2.1']],
  ['192.88.99.0/24 6to4 relay anycast', ['192.88.99.1', '192.88.99.254']],
  ['192.168.0.0/16 private', ['192.168.0.1', '192.168.255.254']],
  ['198.18.0.0/15 benchmarking', ['198.18.0.1', '198.19.255.254']],
  ['198.51.100.0/24 documentation', ['198.51.100.1']],
  ['203.0.113.0/24 documentation', ['203.0.113.1']],
  ['224.0.0.0/4 multicast', ['224.0.0.1', '239.255.255.254']],
  ['240.0.0.0/4 reserved, broadcast', ['240.0.0.1', '255.255.255.255']],
  ['::/128 unspecified', ['::']],
  ['::1/128 loopback', ['::1']],
  ['::/96 IPv4-compatible (deprecated), hex and dotted', ['::7f00:2', '::127.0.0.2', '::a9fe:a9fe']],
  ['::ffff:0:0/96 IPv4-mapped', ['::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1']],
  ['::ffff:0:0:0/96 IPv4-translated', ['::ffff:0:7f00:1', '::ffff:0:a9fe:a9fe']],
  ['64:ff9b::/96 NAT64', ['64:ff9b::7f00:1', '64:ff9b::a9fe:a9fe']],
  ['64:ff9b:1::/48 local-use NAT64', ['64:ff9b:1::7f00:1', '64:ff9b:1:ffff::1']],
  ['100::/64 discard-only', ['100::1', '100::ffff:ffff:ffff:ffff']],
  ['2001::/32 Teredo', ['2001::1', '2001:0:7f00:1::1']],
  ['2001:db8::/32 documentation', ['2001:db8::1']],
  ['2002::/16 6to4', ['2002:7f00:1::1', '2002:a9fe:a9fe::1']],
  ['fc00::/7 unique-local', ['fc00::1', 'fd12:3456::1', 'fdff:ffff::1']],
  ['fe80::/10 link-local', ['fe80::1', 'febf::1']],
  ['fec0::/10 site-local (deprecated)', ['fec0::1', 'feff::1']],
  ['ff00::/8 multicast', ['ff02::1', 'ff0e::1']],
  ['outside 2000::/3: not allocated as global unicast', ['400::1', '1::1']],
]

describe('outbound address guard', () => {
  const guard = createAddressGuard(allowList([]))
  for (const [range, addresses] of INTERNAL) {
    it(`refuses ${range}`, () => {
      for (const address of addresses) {
        assert.equal(isInternalAddress(address), true, address)
        assert.equal(guard.permits(address), false, address)
      }
    })
  }

  it('lets public unicast through, IPv4, IPv6 and IPv4-mapped', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '93.184.216.34', '100.63.255.255', '100.128.0.1', '172.15.255.255', '172.32.0.1', '192.0.1.1', '192.88.98.1', '198.17.255.255', '2606:4700::1111', '2a00:1450:4001::1', '::ffff:8.8.8.8']) {
      assert.equal(guard.permits(address), true, address)
    }
  })

  it('refuses what is not an address at all', () => {
    for (const address of ['', 'localhost', '127.1', '1.2.3.4.5', 'fe80::1%eth0x']) assert.equal(guard.permits(address), false, address)
  })

  it('WEBHOOK_ALLOW_NETS opens exactly what it lists, also in IPv4-mapped form', () => {
    const open = createAddressGuard(allowList(['127.0.0.0/8', 'fd00:1::/32']))
    assert.equal(open.permits('127.0.0.2'), true)
    assert.equal(open.permits('::ffff:127.0.0.2'), true)
    assert.equal(open.permits('fd00:1::5'), true)
    assert.equal(open.permits('10.0.0.1'), false)
    assert.equal(open.permits('::127.0.0.2'), false, 'an IPv4-compatible form is not the IPv4 address the operator allowed')
    assert.equal(open.permits('64:ff9b::7f00:2'), false)
  })
})

describe('guarded DNS lookup (what a webhook host name resolves to)', () => {
  type Answer = { error: NodeJS.ErrnoException | null; address: unknown; family: number | undefined }
  function lookup(allowed: string[], hostname: string, options: { all?: boolean; family?: number | string }): Promise<Answer> {
    return new Promise((resolve) => {
      guardedLookup(createAddressGuard(allowList(allowed)))(hostname, options as never, ((error: NodeJS.ErrnoException | null, address: unknown, family?: number) => resolve({ error, address, family })) as never)
    })
  }

  it('answers with the permitted addresses, one or all as asked', async () => {
    const one = await lookup(['127.0.0.0/8'], 'localhost', { family: 4 })
    assert.deepEqual(one, { error: null, address: '127.0.0.1', family: 4 })
    const all = await lookup(['127.0.0.0/8'], 'localhost', { all: true, family: 'IPv4' })
    assert.equal(all.error, null)
    assert.ok(Array.isArray(all.address) && all.address.length > 0)
    for (const entry of all.address as Array<{ address: string }>) assert.match(entry.address, /^127\./, 'only permitted addresses')
  })

  it('refuses a name whose every address is internal, naming the host and the address', async () => {
    for (const all of [false, true]) {
      const answer = await lookup([], 'localhost', { all, family: 4 })
      assert.ok(answer.error instanceof AddressRefusedError, String(answer.error))
      assert.equal(answer.error.name, 'AddressRefusedError')
      assert.equal((answer.error as AddressRefusedError).code, 'ADDRESS_REFUSED')
      assert.match(answer.error.message, /^localhost is 127\.0\.0\.1, an internal address/)
      assert.deepEqual(answer.address, all ? [] : '')
    }
  })

  it('keeps the family asked for: an IPv6-only lookup never answers with IPv4', async () => {
    const answer = await lookup(['127.0.0.0/8'], 'localhost', { family: 6 })
    assert.notEqual(answer.error, null, `answered ${JSON.stringify(answer.address)}`)
  })

  it('passes a resolver error on as it is', async () => {
    const answer = await lookup(['127.0.0.0/8'], 'no-such-host.invalid', { all: true })
    assert.ok(answer.error && !(answer.error instanceof AddressRefusedError))
    assert.match(String(answer.error.code), /^(ENOTFOUND|EAI_AGAIN)$/)
    assert.deepEqual(answer.address, [])
  })
})
