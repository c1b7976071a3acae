/**
 * The API commands a controller runs over the outbound socket (`api ...`)
 * and the ones `${api args}` expansions and hook variables would run, with
 * the replies the recordings show (K1, K2, J3).
 */
import { serializePlain, type EventHeaders, type SimChannel } from './channel.ts'
import { separateString } from './fs-strings.ts'

export interface ApiContext {
  readonly channel: SimChannel
  hangup(cause: string): void
  /** The channel data block as uuid_dump renders it. */
  dump(): EventHeaders
  /** Process-wide `hash` API store (mod_hash). */
  readonly hashes: Map<string, string>
}

const KNOWN = new Set(['uuid_setvar', 'uuid_setvar_multi', 'uuid_getvar', 'uuid_exists', 'uuid_kill', 'uuid_dump', 'expr', 'hash', 'system'])

/** Whether the simulator knows this API command (an unknown one expands to nothing, as in FreeSWITCH). */
export function isKnownApi(command: string): boolean {
  return KNOWN.has(command)
}

const SETVAR_MULTI_USAGE = '-USAGE: <uuid> <var>=<value>;<var>=<value>...\n'

/** Runs one API command; the output as FreeSWITCH writes it. */
export function runApi(context: ApiContext, command: string, args: string): string {
  const channel = context.channel
  const ownUuid = (uuid: string | undefined): boolean => uuid === channel.uuid
  switch (command) {
    case 'uuid_setvar': {
      const [uuid, name, value] = separateString(args, ' ', 3)
      if (!ownUuid(uuid)) return '-ERR No such channel!\n'
      if (!name) return '-ERR No variable specified\n'
      // Stored as sent: uuid_setvar does not expand (J3).
      channel.vars.set(name, value)
      return '+OK\n'
    }
    case 'uuid_setvar_multi': {
      const space = args.indexOf(' ')
      if (space === -1 || !ownUuid(args.slice(0, space))) return `-ERR No such channel!\n${SETVAR_MULTI_USAGE}`
      // Applied one by one: an empty name stops there, the ones before it stay set.
      for (const assignment of separateString(args.slice(space + 1), ';', 64)) {
        const equals = assignment.indexOf('=')
        const name = equals === -1 ? assignment : assignment.slice(0, equals)
        if (name === '') return `-ERR No variable specified\n${SETVAR_MULTI_USAGE}`
        channel.vars.set(name, equals === -1 ? undefined : assignment.slice(equals + 1))
      }
      return '+OK\n'
    }
    case 'uuid_getvar': {
      const [uuid, name] = separateString(args, ' ', 2)
      if (!ownUuid(uuid)) return '-ERR No such channel!\n'
      return channel.vars.get(name ?? '') ?? '_undef_'
    }
    case 'uuid_exists':
      return ownUuid(args.trim()) && channel.up ? 'true' : 'false'
    case 'uuid_kill': {
      const [uuid, cause] = separateString(args, ' ', 2)
      if (!ownUuid(uuid) || !channel.up) return '-ERR No such channel!\n'
      context.hangup(cause || 'NORMAL_CLEARING')
      return '+OK\n'
    }
    case 'uuid_dump':
      if (!ownUuid(args.trim())) return '-ERR No such channel!\n'
      return `${serializePlain(context.dump())}\n`
    case 'expr':
      return evaluate(args)
    case 'hash':
      return hash(context.hashes, args)
    case 'system':
      // What a shell would print for `echo`; any call at all is already an injection.
      return args.startsWith('echo ') ? `${args.slice(5)}\n` : ''
    default:
      return `-ERR ${command} Command not found!\n`
  }
}

/** mod_expr for plain integer arithmetic (`6*7`), enough for the recordings. */
function evaluate(expression: string): string {
  const tokens = expression.replace(/\s+/g, '').match(/\d+|[-+*/()]/g)
  if (!tokens || tokens.join('') !== expression.replace(/\s+/g, '')) return '-ERR invalid expression\n'
  let position = 0
  const primary = (): number => {
    const token = tokens[position++]
    if (token === '(') {
      const value = sum()
      position++
      return value
    }
    if (token === '-') return -primary()
    return Number(token)
  }
  const product = (): number => {
    let value = primary()
    while (tokens[position] === '*' || tokens[position] === '/') {
      const operator = tokens[position++]
      const right = primary()
      value = operator === '*' ? value * right : value / right
    }
    return value
  }
  const sum = (): number => {
    let value = product()
    while (tokens[position] === '+' || tokens[position] === '-') {
      const operator = tokens[position++]
      const right = product()
      value = operator === '+' ? value + right : value - right
    }
    return value
  }
  const value = sum()
  return Number.isFinite(value) ? String(value) : '-ERR invalid expression\n'
}

/** mod_hash's API: `insert/<realm>/<key>/<value>`, `select/<realm>/<key>`, `delete/<realm>/<key>`. */
function hash(store: Map<string, string>, args: string): string {
  const [action, realm, key, value] = args.split('/', 4)
  const name = `${realm ?? ''}/${key ?? ''}`
  if (action === 'insert' && value !== undefined) {
    store.set(name, value)
    return '+OK\n'
  }
  if (action === 'select') return store.get(name) ?? ''
  if (action === 'delete') return store.delete(name) ? '+OK\n' : '-ERR Not found\n'
  return '-ERR Usage: hash insert|select|delete/<realm>/<key>[/<value>]\n'
}
