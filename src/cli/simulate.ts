/**
 * `webhook-router simulate NAME --did ... --callerid ... [--callername ...] [--code ...]`:
 * a dry run of one webhook against its real URL, without a call. Prints the
 * request (query values and secrets masked), the answer and what the router
 * would do with it: bridge (dial string, what the callee sees), run a list,
 * or hand back, and the outcome variables it would set.
 * Exit codes: 0 the call would succeed, 1 it would fail, 2 usage.
 */
import { dryRun, formatDryRun } from '../call/dry-run.ts'
import { ConfigAdmin } from '../config/admin.ts'
import { loadSettings, SettingError } from '../config/env.ts'
import { connectRedis } from '../config/redis-connection.ts'
import { silentLogger } from '../logger.ts'
import { WebhookClient } from '../webhook/client.ts'

export const SIMULATE_HELP = `Dry run of one webhook, against its real URL, without a call:
  webhook-router simulate NAME --did NUMBER --callerid NUMBER [--callername TEXT] [--code DIGITS] [--show-url]
The router's settings (REDIS_URL..., DIAL_E164, DIAL_EXTENSION, WEBHOOK_ALLOW_NETS) apply as for serve.
`

interface Output {
  out(text: string): void
  err(text: string): void
}

const OWN_FLAGS = new Set(['--did', '--callerid', '--callername', '--code'])

export async function simulateCommand(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: Output): Promise<number> {
  const values = new Map<string, string>()
  const rest: string[] = []
  let name: string | undefined
  let showUrl = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    if (flag === '--show-url') showUrl = true
    else if (OWN_FLAGS.has(flag)) {
      const value = inline ?? argv[++i]
      if (value === undefined) return usage(io, `${flag} needs a value`)
      values.set(flag.slice(2), value)
    } else if (arg.startsWith('--')) {
      rest.push(arg)
      if (inline === undefined && i + 1 < argv.length) rest.push(argv[++i] as string)
    } else if (name === undefined) name = arg
    else return usage(io, `unexpected ${JSON.stringify(arg)}`)
  }
  if (name === undefined) return usage(io, 'needs the webhook NAME')
  const settings = loadSettings(env, rest)
  if (settings instanceof SettingError) {
    io.err(`webhook-router: ${settings.message}\n`)
    return 2
  }

  const redis = connectRedis(settings.redis, { offlineQueue: true, maxReconnects: 2, connectionName: 'webhook-router:simulate' })
  let redisError = ''
  redis.on('error', (error: Error) => {
    redisError = error.message
  })
  const admin = new ConfigAdmin(redis, settings.redisPrefix, settings.stepPolicy)
  let hash: Record<string, string> | undefined
  try {
    hash = await admin.read(name)
  } catch (error) {
    io.err(`webhook-router: cannot read ${admin.keyOf(name)}: ${redisError || (error as Error).message}\n`)
    return 1
  } finally {
    redis.disconnect()
  }
  const input = { did: values.get('did') ?? '', callerid: values.get('callerid') ?? '', callername: values.get('callername') ?? '', code: values.get('code') ?? '' }
  const client = new WebhookClient({ allowNets: settings.webhookAllowNets, logger: silentLogger })
  try {
    const result = await dryRun(admin.keyOf(name), name, hash, input, {
      client,
      dial: { dialE164: settings.dialE164, dialExtension: settings.dialExtension },
      rules: settings.stepPolicy,
    })
    io.out(formatDryRun(result, showUrl))
    return result.kind === 'ran' && result.result === 'success' ? 0 : 1
  } finally {
    await client.close()
  }
}

function usage(io: Output, text: string): number {
  io.err(`webhook-router simulate: ${text}\n${SIMULATE_HELP}`)
  return 2
}
