/**
 * The outbound address guard: a webhook may not reach loopback, private,
 * link-local (cloud metadata) or otherwise internal addresses unless
 * WEBHOOK_ALLOW_NETS lists them. Applied to the addresses DNS returns (so we
 * never connect) and again to the socket's peer address once connected, for
 * every connection including those made for redirects.
 */
import { isIP } from 'node:net'
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import type { LookupFunction } from 'node:net'
import ipaddr from 'ipaddr.js'
import type { AllowList } from '../net/allow-list.ts'
import { unmapIpv4 } from '../net/allow-list.ts'

/**
 * Only global unicast is public. ipaddr.js classifies every special range
 * (loopback, private, link-local, carrier-grade NAT, unique-local, site-local,
 * multicast, documentation, benchmarking, discard, reserved, the 6to4 relay,
 * and the IPv6 forms that embed an IPv4 address: mapped, translated, NAT64
 * 64:ff9b::/96 and 64:ff9b:1::/48, 6to4, Teredo); a well-kept table beats a
 * hand-written list (test/unit/address-guard.test.ts pins every range). On top
 * of it, IPv6 outside 2000::/3, the only global unicast allocation, is
 * internal: the deprecated IPv4-compatible ::a.b.c.d written in hex
 * (::7f00:1) is otherwise "unicast" to the table.
 */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3')

/** True when `address` (a literal IPv4 or IPv6 address) is not on the public internet. */
export function isInternalAddress(address: string): boolean {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6
  try {
    parsed = ipaddr.parse(address)
  } catch {
    return true
  }
  if (parsed.range() !== 'unicast') return true
  return parsed.kind() === 'ipv6' && !parsed.match(GLOBAL_UNICAST_V6)
}

export class AddressRefusedError extends Error {
  override readonly name = 'AddressRefusedError'
  readonly code = 'ADDRESS_REFUSED'

  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(`${host} is ${address}, an internal address: webhooks may not reach it unless WEBHOOK_ALLOW_NETS lists it (e.g. WEBHOOK_ALLOW_NETS=${address}/32)`)
  }
}

export interface AddressGuard {
  /** True when the webhook may connect to `address`. */
  permits(address: string): boolean
}

export function createAddressGuard(allowNets: AllowList): AddressGuard {
  return {
    permits(address: string): boolean {
      const plain = unmapIpv4(address)
      const family = isIP(plain)
      if (family === 0) return false
      if (allowNets.allows(plain)) return true
      return !isInternalAddress(plain)
    },
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

/** A `lookup` for net.connect that drops refused addresses, failing when none is left. */
export function guardedLookup(guard: AddressGuard): LookupFunction {
  return (hostname: string, options: { all?: boolean | undefined; family?: number | string | undefined }, callback: LookupCallback): void => {
    dnsLookup(hostname, { all: true, family: typeof options.family === 'number' ? options.family : 0 }, (error, addresses) => {
      if (error) {
        callback(error, options.all ? [] : '', 0)
        return
      }
      const permitted = addresses.filter((entry) => guard.permits(entry.address))
      const first = permitted[0]
      if (!first) {
        callback(new AddressRefusedError(hostname, addresses[0]?.address ?? 'unresolved') as NodeJS.ErrnoException, options.all ? [] : '', 0)
        return
      }
      if (options.all) callback(null, permitted)
      else callback(null, first.address, first.family)
    })
  }
}
