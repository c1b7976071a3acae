#!/usr/bin/env node
/** `webhook-router`: the command-line entry point. */
import { SETTINGS, flagName } from '../config/env.ts'
import { VERSION } from '../version.ts'
import { readFileSync } from 'node:fs'
import { CONFIG_HELP, configCommand } from './config.ts'
import { serve } from './serve.ts'
import { ADMIN_HELP, adminCommand } from './admin.ts'
import { CALLS_HELP, callsCommand } from './calls.ts'
import { SIMULATE_HELP, simulateCommand } from './simulate.ts'

const SERVE_HELP = `Options of serve (each also an environment variable):
${SETTINGS.map((spec) => `  ${`${flagName(spec.env)} / ${spec.env}`.padEnd(48)} ${spec.help}${spec.default === undefined ? '' : ` [${spec.default}]`}`).join('\n')}
`

/** `webhook-router COMMAND ... --help` prints that command's part of the help and touches nothing. */
const COMMAND_HELP: Readonly<Record<string, string>> = { serve: SERVE_HELP, config: CONFIG_HELP, simulate: SIMULATE_HELP, admin: ADMIN_HELP, calls: CALLS_HELP }

const HELP = `webhook-router ${VERSION}

Routes incoming FreeSWITCH calls through a customer's webhook (outbound Event Socket).

Usage:
  webhook-router serve [options]     run the router
  webhook-router config ...          read and change webhook configs (see below)
  webhook-router simulate NAME ...   dry-run one webhook against its real URL (see below)
  webhook-router admin ...           the console and its API (see below)
  webhook-router calls [NAME] ...    recent call records, --follow for new ones (see below)
  webhook-router --help
  webhook-router --version

${SERVE_HELP}
${CONFIG_HELP}
${SIMULATE_HELP}
${ADMIN_HELP}
${CALLS_HELP}`

export async function main(argv: readonly string[]): Promise<number> {
  const [command] = argv
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP)
    return 0
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${VERSION}\n`)
    return 0
  }
  const commandHelp = COMMAND_HELP[command]
  if (commandHelp !== undefined && argv.slice(1).some((arg) => arg === '--help' || arg === '-h')) {
    process.stdout.write(commandHelp)
    return 0
  }
  if (command === 'serve') return serve(argv.slice(1))
  const io = { out: (text: string) => process.stdout.write(text), err: (text: string) => process.stderr.write(text) }
  if (command === 'simulate') return simulateCommand(argv.slice(1), process.env, io)
  if (command === 'admin') return adminCommand(argv.slice(1), io)
  if (command === 'calls') {
    const stop = new AbortController()
    process.once('SIGINT', () => stop.abort())
    process.once('SIGTERM', () => stop.abort())
    return callsCommand(argv.slice(1), process.env, io, stop.signal)
  }
  if (command === 'config') return configCommand(argv.slice(1), process.env, io, () => readFileSync(0, 'utf8'))
  process.stderr.write(`webhook-router: unknown command ${JSON.stringify(command)} (see webhook-router --help)\n`)
  return 2
}

try {
  process.exitCode = await main(process.argv.slice(2))
} catch (error) {
  // A bug or an unforeseen failure: one line for the operator, not a stack trace (which may quote settings).
  process.stderr.write(`webhook-router: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
}
