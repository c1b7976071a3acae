#!/usr/bin/env node
/** `webhook-router`: the command-line entry point. */
import { VERSION } from '../version.ts'

const HELP = `webhook-router ${VERSION}

Routes incoming FreeSWITCH calls through a customer's webhook (outbound Event Socket).

Usage:
  webhook-router --help
  webhook-router --version
`

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
  process.stderr.write(`webhook-router: unknown command ${JSON.stringify(command)} (see webhook-router --help)\n`)
  return 2
}

process.exitCode = await main(process.argv.slice(2))
