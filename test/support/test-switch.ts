/**
 * The switch configuration the router tests run against: the kit's carrier
 * gateways and FreeSWITCH's stock directory users 1000-1019, registered, in
 * the domains the tests and the demo dial (and the simulator's own
 * `${domain_name}`, which the default DIAL_EXTENSION expands to). A bridge to
 * anything else fails as FreeSWITCH fails it (INVALID_GATEWAY,
 * SUBSCRIBER_ABSENT, ...).
 */
import type { SwitchDirectory } from '../sim/options.ts'

const DOMAINS = ['example.com', 'demo.example.com', '192.0.2.2']
const STOCK_USERS = Array.from({ length: 20 }, (_, i) => String(1000 + i))

export const TEST_SWITCH: Required<SwitchDirectory> = {
  gateways: { default: 'up', carrier: 'up' },
  profiles: ['internal', 'external', 'carrier'],
  users: Object.fromEntries(DOMAINS.flatMap((domain) => STOCK_USERS.map((user) => [`${user}@${domain}`, 'registered' as const]))),
}
