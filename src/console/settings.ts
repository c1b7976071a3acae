/**
 * Settings of `webhook-router admin`: where the console listens and which
 * tokens it accepts, plus the router's own settings (Redis, dial strings,
 * WEBHOOK_ALLOW_NETS... for the dry run) read as `serve` reads them.
 */
import { isIP } from 'node:net'
import { loadSettings, SettingError, type Settings } from '../config/env.ts'
import { TokenSet } from './tokens.ts'

export interface ConsoleSettings {
  readonly host: string
  readonly port: number
  readonly tokens: TokenSet
  readonly router: Settings
}

/** The console's own settings, each an environment variable and a flag. */
export const CONSOLE_SETTINGS = [
  { env: 'ADMIN_HOST', flag: '--admin-host', default: '127.0.0.1', help: 'address the console and API listen on' },
  { env: 'ADMIN_PORT', flag: '--admin-port', default: '8080', help: 'their port (0 = any free port, logged at start)' },
  { env: 'ADMIN_TOKENS', flag: '--admin-tokens', default: '', help: 'comma list of <sha256>:<role>:<prefix> entries (webhook-router admin token prints them)' },
] as const

export function loadConsoleSettings(env: Readonly<Record<string, string | undefined>>, argv: readonly string[]): ConsoleSettings | SettingError {
  const own = new Map<string, string>()
  const rest: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const equals = arg.indexOf('=')
    const flag = equals === -1 ? arg : arg.slice(0, equals)
    const spec = CONSOLE_SETTINGS.find((candidate) => candidate.flag === flag)
    if (!spec) {
      rest.push(arg)
      continue
    }
    const value = equals === -1 ? argv[++i] : arg.slice(equals + 1)
    if (value === undefined) return new SettingError(flag, 'needs a value')
    own.set(spec.env, value)
  }
  const get = (name: (typeof CONSOLE_SETTINGS)[number]['env']): string => (own.get(name) ?? env[name] ?? CONSOLE_SETTINGS.find((spec) => spec.env === name)?.default ?? '').trim()
  const host = get('ADMIN_HOST')
  if (host === '' || (isIP(host) === 0 && !/^[A-Za-z0-9.-]+$/.test(host))) return new SettingError('ADMIN_HOST', `${JSON.stringify(host)} is not an address`)
  const portText = get('ADMIN_PORT')
  const port = Number(portText)
  if (!/^\d+$/.test(portText) || port > 65535) return new SettingError('ADMIN_PORT', `${JSON.stringify(portText)} is not a port number`)
  const tokens = TokenSet.parse(get('ADMIN_TOKENS'))
  if (tokens instanceof Error) return new SettingError('ADMIN_TOKENS', tokens.message)
  if (tokens.size === 0) return new SettingError('ADMIN_TOKENS', 'lists no token: create one with `webhook-router admin token --role admin` and put its second line here')
  // The console does not take calls: its HTTP_PORT defaults to off so it can run beside a router.
  const router = loadSettings({ HTTP_PORT: 'off', ...env }, rest)
  if (router instanceof SettingError) return router
  return { host, port, tokens, router }
}
