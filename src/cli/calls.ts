/**
 * `webhook-router calls [NAME] [--follow] [--limit N]`: the call records the
 * routers wrote, one line each, oldest first; `--follow` then prints new
 * ones as they come (like `tail -f`) until interrupted.
 */
import { loadRedisSettings, SettingError } from '../config/env.ts'
import { connectRedis } from '../config/redis-connection.ts'
import { WEBHOOK_NAME } from '../config/webhook-config.ts'
import { RecordKeys } from '../records/keys.ts'
import { RecordReader } from '../records/reader.ts'
import type { CallRecord } from '../records/types.ts'

export const CALLS_HELP = `Call records (what the routers wrote to Redis):
  webhook-router calls [NAME] [--limit N] [--follow]   the last N (20) calls, of one webhook or all; --follow waits for more
Redis: as for config (REDIS_URL ..., RECORDS_PREFIX).
`

interface Output {
  out(text: string): void
  err(text: string): void
}

const FOLLOW_BLOCK_MS = 5000

/** One record as a terminal line: time, webhook, DID, caller, result (reason), HTTP, latency, attempts, destination, disposition. */
export function formatCall(record: CallRecord): string {
  const time = new Date(record.t).toISOString().replace('T', ' ').slice(0, 23)
  const show = (text: string | undefined): string => JSON.stringify(text ?? '').slice(1, -1) || '-'
  return [
    time,
    show(record.webhook).padEnd(16),
    `did=${show(record.did)}`,
    `caller=${show(record.caller)}`,
    `${record.result}(${record.reason})`,
    `http=${record.httpStatus ?? '-'}`,
    `${record.latencyMs ?? '-'}ms`,
    `attempts=${record.attempts}`,
    `dest=${show(record.destination)}`,
    record.disposition,
    record.uuid,
  ].join('  ')
}

export async function callsCommand(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: Output, stop: AbortSignal): Promise<number> {
  let name: string | undefined
  let follow = false
  let limit = 20
  const settingFlags: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--follow' || arg === '-f') follow = true
    else if (arg === '--limit' || arg.startsWith('--limit=')) {
      const value = arg.includes('=') ? arg.slice(8) : argv[++i]
      if (value === undefined || !/^\d{1,4}$/.test(value) || Number(value) < 1) return usage(io, '--limit needs a number from 1 to 1000')
      limit = Math.min(Number(value), 1000)
    } else if (arg.startsWith('--')) {
      settingFlags.push(arg)
      if (!arg.includes('=') && i + 1 < argv.length) settingFlags.push(argv[++i] as string)
    } else if (name === undefined) name = arg
    else return usage(io, `unexpected ${JSON.stringify(arg)}`)
  }
  if (name !== undefined && !WEBHOOK_NAME.test(name)) return usage(io, `${JSON.stringify(name)} is not a webhook name`)
  const settings = loadRedisSettings(env, settingFlags)
  if (settings instanceof SettingError) {
    io.err(`webhook-router: ${settings.message}\n`)
    return 2
  }
  // A blocking XREAD outlives the usual command timeout.
  const redis = connectRedis(settings.redis, { offlineQueue: true, ...(follow ? {} : { maxReconnects: 2 }), commandTimeoutMs: FOLLOW_BLOCK_MS + 5000, connectionName: 'webhook-router:calls' })
  // Interrupted while waiting: the blocked read ends at once.
  stop.addEventListener('abort', () => redis.disconnect(), { once: true })
  let lastError = ''
  redis.on('error', (error: Error) => {
    lastError = error.message
  })
  const keys = new RecordKeys(settings.recordsPrefix)
  const reader = new RecordReader(redis, keys)
  const key = name === undefined ? keys.all('calls') : keys.of('calls', name)
  try {
    const recent = await reader.recent('calls', { prefix: '' }, { webhook: name, limit })
    for (const record of recent.reverse()) io.out(`${formatCall(record)}\n`)
    if (!follow) {
      if (recent.length === 0) io.err(`no call records${name === undefined ? '' : ` for ${name}`}\n`)
      return 0
    }
    let after = recent.at(-1)?.id ?? (await reader.lastId(key))
    while (!stop.aborted) {
      const records = await reader.follow<'calls'>(key, after, FOLLOW_BLOCK_MS)
      for (const record of records) {
        io.out(`${formatCall(record)}\n`)
        after = record.id
      }
    }
    return 0
  } catch (error) {
    if (stop.aborted) return 0
    io.err(`webhook-router calls: Redis: ${lastError || (error as Error).message}\n`)
    return 1
  } finally {
    redis.disconnect()
  }
}

function usage(io: Output, text: string): number {
  io.err(`webhook-router calls: ${text}\n${CALLS_HELP}`)
  return 2
}
