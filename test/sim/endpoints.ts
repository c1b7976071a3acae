/**
 * What one leg of a dial string reaches on the simulated switch, or the cause
 * FreeSWITCH fails it with before any channel exists: an unknown gateway
 * (INVALID_GATEWAY), a gateway that is down (GATEWAY_DOWN), an unknown sofia
 * profile (INVALID_PROFILE), a user not in the directory (SUBSCRIBER_ABSENT,
 * mod_dptools' user endpoint) or not registered (USER_NOT_REGISTERED), an
 * `error/<cause>` endpoint, an endpoint type that does not exist.
 */
import { DEFAULT_DIRECTORY, type SwitchDirectory, type UserEntry } from './options.ts'

export interface Target {
  readonly channelName: string
  readonly destination: string
  readonly context: string
  readonly source: string
  readonly logicalDirection: string
  readonly calleeNumber: string
}

export type Resolved =
  | { readonly kind: 'channel'; readonly target: Target }
  /** The directory's dial string for a `user/` endpoint, dialled in its place. */
  | { readonly kind: 'dial-string'; readonly dialString: string }
  /** Fails before a channel is created: no leg, no ring. */
  | { readonly kind: 'fail'; readonly cause: string }

export function resolveEndpoint(endpoint: string, directory: SwitchDirectory): Resolved {
  const gateways = directory.gateways ?? DEFAULT_DIRECTORY.gateways
  const profiles = directory.profiles ?? DEFAULT_DIRECTORY.profiles
  const users = directory.users ?? DEFAULT_DIRECTORY.users
  const loopback = /^loopback\/([^/]+)(?:\/([^/]+))?/.exec(endpoint)
  if (loopback) {
    const destination = loopback[1] as string
    const loopContext = loopback[2] ?? 'default'
    return channel({ channelName: `loopback/${destination}-a`, destination, context: loopContext, source: 'mod_loopback', logicalDirection: 'inbound', calleeNumber: loopContext })
  }
  if (/^sofia\/gateway\//.test(endpoint)) {
    const gateway = /^sofia\/gateway\/([^/]+)\/([^/;@]+)/.exec(endpoint)
    if (!gateway) return { kind: 'fail', cause: 'INVALID_URL' }
    const name = gateway[1] as string
    const state = gateways[name]
    if (state === undefined) return { kind: 'fail', cause: 'INVALID_GATEWAY' }
    if (state === 'down') return { kind: 'fail', cause: 'GATEWAY_DOWN' }
    const destination = gateway[2] as string
    return channel({ channelName: `sofia/gateway/${name}/${destination}`, destination, context: 'default', source: 'mod_sofia', logicalDirection: 'outbound', calleeNumber: destination })
  }
  const user = /^user\/([^@/]+)@(.+)$/.exec(endpoint)
  if (user) {
    const entry: UserEntry | undefined = users[`${user[1]}@${user[2]}`]
    if (entry === undefined) return { kind: 'fail', cause: 'SUBSCRIBER_ABSENT' }
    if (entry === 'unregistered') return { kind: 'fail', cause: 'USER_NOT_REGISTERED' }
    if (typeof entry === 'object') return { kind: 'dial-string', dialString: entry.dialString }
    const destination = user[1] as string
    return channel({ channelName: `sofia/internal/${destination}@${user[2]}`, destination, context: 'default', source: 'mod_sofia', logicalDirection: 'outbound', calleeNumber: destination })
  }
  if (/^user\//.test(endpoint)) return { kind: 'fail', cause: 'SUBSCRIBER_ABSENT' }
  const sofia = /^sofia\/([^/]+)\/(.+)$/.exec(endpoint)
  if (sofia) {
    const profile = sofia[1] as string
    if (!profiles.includes(profile)) return { kind: 'fail', cause: 'INVALID_PROFILE' }
    const target = sofia[2] as string
    // A bare user (or user%domain) is looked up among registrations, as sofia_reg_find_reg_url does.
    if (!target.includes('@') && !/^sips?:/.test(target)) {
      const [name, domain] = target.split('%')
      const entry = users[`${name}@${domain ?? profile}`]
      if (entry === undefined || entry === 'unregistered') return { kind: 'fail', cause: 'USER_NOT_REGISTERED' }
    }
    const destination = (/^(?:sips?:)?([^@;]+)/.exec(target)?.[1] ?? target).split('%')[0] as string
    return channel({ channelName: `sofia/${profile}/${target.replace(/^sips?:/, '')}`, destination, context: 'default', source: 'mod_sofia', logicalDirection: 'outbound', calleeNumber: destination })
  }
  const error = /^error\/(.+)$/.exec(endpoint)
  if (error) return { kind: 'fail', cause: (error[1] as string).toUpperCase() }
  return { kind: 'fail', cause: 'CHAN_NOT_IMPLEMENTED' }
}

function channel(target: Target): Resolved {
  return { kind: 'channel', target }
}
