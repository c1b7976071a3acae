/**
 * Address allow-lists ("127.0.0.1, 10.0.0.0/8, ::1") on top of node's BlockList,
 * used for the Event Socket peers and the webhook outbound guard.
 */
import { BlockList, isIP } from 'node:net'
import ipaddr from 'ipaddr.js'

export interface AllowList {
  readonly entries: readonly string[]
  allows(address: string): boolean
}

/** Parses addresses and CIDRs; an error names the first entry that is neither. */
export function parseAllowList(entries: readonly string[]): AllowList | Error {
  const list = new BlockList()
  for (const raw of entries) {
    const entry = raw.trim()
    if (entry === '') continue
    const slash = entry.indexOf('/')
    const address = slash === -1 ? entry : entry.slice(0, slash)
    const family = isIP(address)
    if (family === 0) return new Error(`${JSON.stringify(entry)} is not an IP address or CIDR`)
    const type = family === 4 ? 'ipv4' : 'ipv6'
    if (slash === -1) {
      list.addAddress(address, type)
      continue
    }
    const prefixText = entry.slice(slash + 1)
    const prefix = Number(prefixText)
    const max = family === 4 ? 32 : 128
    if (!/^\d{1,3}$/.test(prefixText) || prefix > max) {
      return new Error(`${JSON.stringify(entry)} has a bad prefix length (0-${max})`)
    }
    list.addSubnet(address, prefix, type)
  }
  const kept = entries.map((entry) => entry.trim()).filter((entry) => entry !== '')
  return {
    entries: kept,
    allows(address: string): boolean {
      const plain = unmapIpv4(address)
      const family = isIP(plain)
      if (family === 0) return false
      return list.check(plain, family === 4 ? 'ipv4' : 'ipv6')
    },
  }
}

/** `::ffff:10.0.0.1` or `::ffff:a00:1` (an IPv4 peer on a dual-stack socket) becomes `10.0.0.1`. */
export function unmapIpv4(address: string): string {
  if (!address.includes(':') || !/^::ffff:/i.test(address)) return address
  try {
    const parsed = ipaddr.IPv6.parse(address)
    return parsed.isIPv4MappedAddress() ? parsed.toIPv4Address().toString() : address
  } catch {
    return address
  }
}

/** True for 127.0.0.0/8, ::1 and localhost names. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true
  const plain = unmapIpv4(host)
  if (isIP(plain) === 4) return plain.startsWith('127.')
  return plain === '::1'
}
