/**
 * The outbound address guard: a webhook may not reach loopback, private,
 * link-local (cloud metadata) or otherwise internal addresses unless
 * WEBHOOK_ALLOW_NETS lists them. Applied to the addresses DNS returns (so we
 * never connect) and again to the socket's peer address once connected, for
 * every connection including those made for redirects.
 */
import { BlockList, isIP } from 'node:net'
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import type { LookupFunction } from 'node:net'
import type { AllowList } from '../net/allow-list.ts'
import { unmapIpv4 } from '../net/allow-list.ts'

const INTERNAL = new BlockList()
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv4')
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv6')
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
      return !INTERNAL.check(plain, family === 4 ? 'ipv4' : 'ipv6')
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
