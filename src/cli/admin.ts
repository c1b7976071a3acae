/**
 * `webhook-router admin`: the console and the API until SIGTERM/SIGINT.
 * `webhook-router admin token --role admin|read [--prefix PREFIX]`: a new
 * token on the first line, its ADMIN_TOKENS entry on the second.
 */
import { pino } from 'pino'
import { SettingError } from '../config/env.ts'
import { createConsole } from '../console/server.ts'
import { CONSOLE_SETTINGS, loadConsoleSettings } from '../console/settings.ts'
import { isRole, newToken, prefixProblem } from '../console/tokens.ts'

export const ADMIN_HELP = `The console (web pages) and its API:
  webhook-router admin [options]              serve them on ADMIN_HOST:ADMIN_PORT (see docs/console.md)
  webhook-router admin token --role admin|read [--prefix PREFIX]
                                              a new token (line 1) and its ADMIN_TOKENS entry (line 2)
Options of admin (each also an environment variable), besides the router's settings (REDIS_URL, ...):
${CONSOLE_SETTINGS.map((spec) => `  ${`${spec.flag} / ${spec.env}`.padEnd(48)} ${spec.help}${spec.default === '' ? '' : ` [${spec.default}]`}`).join('\n')}
`

interface Output {
  out(text: string): void
  err(text: string): void
}

export function tokenCommand(argv: readonly string[], io: Output): number {
  let role: string | undefined
  let prefix = ''
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    const value = inline ?? argv[i + 1]
    if (flag === '--role' || flag === '--prefix') {
      if (value === undefined) return usage(io, `${flag} needs a value`)
      if (inline === undefined) i++
      if (flag === '--role') role = value
      else prefix = value
    } else return usage(io, `unexpected ${JSON.stringify(arg)}`)
  }
  if (role === undefined || !isRole(role)) return usage(io, '--role must be admin or read')
  const problem = prefixProblem(prefix)
  if (problem) return usage(io, `--prefix: ${problem}`)
  const { token, entry } = newToken(role, prefix)
  io.out(`${token}\n${entry}\n`)
  return 0
}

export async function adminCommand(argv: readonly string[], io: Output): Promise<number> {
  if (argv[0] === 'token') return tokenCommand(argv.slice(1), io)
  if (argv[0] === 'help' || argv[0] === '--help') {
    io.out(ADMIN_HELP)
    return 0
  }
  const settings = loadConsoleSettings(process.env, argv)
  if (settings instanceof SettingError) {
    io.err(`webhook-router admin: ${settings.message}\n`)
    return 2
  }
  const logger = pino({ level: settings.router.logLevel, base: { service: 'webhook-router-console' } })
  const server = await createConsole({ settings, logger })
  try {
    const address = await server.listen()
    io.err(`console and API on http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}/ (OpenAPI: /api/openapi.json)\n`)
  } catch (error) {
    io.err(`webhook-router admin: cannot listen: ${(error as Error).message}\n`)
    await server.close()
    return 1
  }
  return new Promise<number>((resolve) => {
    const stop = (): void => {
      void server.close().then(
        () => resolve(0),
        () => resolve(1),
      )
    }
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  })
}

function usage(io: Output, text: string): number {
  io.err(`webhook-router admin token: ${text}\n${ADMIN_HELP}`)
  return 2
}
