/**
 * `webhook-router config ...`: the operator's tool beside redis-cli. Every
 * write is validated first, exactly as the router validates on load.
 * Exit codes: 0 done, 1 refused / invalid / not found / Redis unreachable, 2 usage.
 */
import { readFileSync } from 'node:fs'
import { ConfigAdmin, type FieldChange, type Hash, type Inspection } from '../config/admin.ts'
import { loadRedisSettings, maskCredentials, SettingError, type RedisSettings } from '../config/env.ts'
import { connectRedis, type RedisClient } from '../config/redis-connection.ts'
import { CONFIG_FIELDS, describeProblem, FIELD_DEFAULTS, shownValue } from '../config/webhook-config.ts'
import { auditFor } from '../records/audit.ts'
import { terminalSafe, terminalSafeLines } from './terminal-text.ts'

export const CONFIG_HELP = `Webhook configs in Redis (beside redis-cli):
  webhook-router config set NAME field=value [field=value ...]   validate, then write; "field=" removes a field
  webhook-router config get NAME [--json] [--show-secret]
  webhook-router config list
  webhook-router config rm NAME
  webhook-router config validate [NAME | --all]   check what is stored against the current rules, every problem
                                              listed (run it before an upgrade); exit code 1 on errors
  webhook-router config export [--show-secrets]   every webhook as JSON on stdout (secrets hidden unless asked)
  webhook-router config import FILE|- [--dry-run]   JSON as export writes it; nothing is written unless all validate
Redis: REDIS_URL / REDIS_SENTINELS / REDIS_SENTINEL_NAME / REDIS_CLUSTER / REDIS_PREFIX, and what configs may
choose from: EXTRA_FALLBACK_APPS / EXTRA_STEP_VARIABLES / TRANSFER_CONTEXTS / EXTRA_BRIDGE_ENDPOINTS /
EXTRA_SOUND_DIRS; or the matching flags (--redis-url ...).
`

/** What `export` writes for a secret unless --show-secrets; `import` keeps the stored secret when it reads it. */
export const HIDDEN_SECRET = '(hidden: export with --show-secrets)'

interface Output {
  out(text: string): void
  err(text: string): void
}

const OWN_FLAGS = new Set(['--json', '--show-secret', '--show-secrets', '--dry-run', '--all'])

interface Parsed {
  readonly positional: string[]
  readonly flags: Set<string>
  readonly settingFlags: string[]
}

function parseArgs(argv: readonly string[]): Parsed {
  const positional: string[] = []
  const flags = new Set<string>()
  const settingFlags: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (OWN_FLAGS.has(arg)) flags.add(arg)
    else if (arg.startsWith('--')) {
      settingFlags.push(arg)
      if (!arg.includes('=') && i + 1 < argv.length) settingFlags.push(argv[++i] as string)
    } else positional.push(arg)
  }
  return { positional, flags, settingFlags }
}

export async function configCommand(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, rawIo: Output, stdin: () => string): Promise<number> {
  // Everything printed may carry text from Redis: no control character reaches the terminal raw.
  const io: Output = { out: (text) => rawIo.out(terminalSafeLines(text)), err: (text) => rawIo.err(terminalSafeLines(text)) }
  const { positional, flags, settingFlags } = parseArgs(argv)
  const [action, ...rest] = positional
  if (action === undefined) {
    io.err(CONFIG_HELP)
    return 2
  }
  if (action === 'help') {
    io.out(CONFIG_HELP)
    return 0
  }
  const settings = loadRedisSettings(env, settingFlags)
  if (settings instanceof SettingError) {
    io.err(`webhook-router: ${settings.message}\n`)
    return 2
  }
  const usage = (text: string): number => {
    io.err(`webhook-router config ${action}: ${text} (see webhook-router config help)\n`)
    return 2
  }
  const run = ACTIONS[action]
  if (!run) return usage('unknown action')
  const redis = connectRedis(settings.redis, { offlineQueue: true, maxReconnects: 2, connectionName: 'webhook-router:config' })
  let lastError = ''
  redis.on('error', (error: Error) => {
    lastError = error.message
  })
  try {
    return await run({ admin: new ConfigAdmin(redis, settings.redisPrefix, settings.stepPolicy, auditFor(redis, settings.recordsPrefix)), args: rest, flags, io, usage, stdin, settings })
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    io.err(lastError ? `webhook-router: cannot reach Redis at ${describeTarget(settings)}: ${lastError}\n` : `webhook-router: Redis ${describeTarget(settings)}: ${message}\n`)
    return 1
  } finally {
    await quit(redis)
  }
}

interface Context {
  readonly admin: ConfigAdmin
  readonly args: readonly string[]
  readonly flags: ReadonlySet<string>
  readonly io: Output
  readonly usage: (text: string) => number
  readonly stdin: () => string
  readonly settings: RedisSettings
}

const ACTIONS: Record<string, ((context: Context) => Promise<number>) | undefined> = {
  async set({ admin, args, io, usage }) {
    const [name, ...assignments] = args
    if (name === undefined || assignments.length === 0) return usage('needs NAME and at least one field=value')
    const changes = new Map<string, string | undefined>()
    for (const assignment of assignments) {
      const equals = assignment.indexOf('=')
      if (equals <= 0) return usage(`${JSON.stringify(assignment)} is not field=value`)
      const value = assignment.slice(equals + 1)
      changes.set(assignment.slice(0, equals), value === '' ? undefined : value)
    }
    const result = await admin.set(name, changes)
    if (result.kind === 'refused') {
      io.err(`refused, nothing written: ${result.error.message}\n`)
      return 1
    }
    if (result.kind === 'unchanged') {
      io.out(`${admin.keyOf(name)} unchanged\n`)
      return 0
    }
    io.out(`${admin.keyOf(name)} ${result.created ? 'created' : 'updated'}\n${result.changes.map(describeChange).join('')}`)
    return 0
  },

  async get({ admin, args, flags, io, usage }) {
    const [name] = args
    if (name === undefined || args.length > 1) return usage('needs one NAME')
    const inspection = await admin.inspect(name)
    if (inspection.status === 'missing') {
      io.err(`no webhook ${JSON.stringify(name)} (${admin.keyOf(name)} does not exist)\n`)
      return 1
    }
    const hash = inspection.hash ?? {}
    const shown = (field: string, value: string): string => (field === 'secret' && !flags.has('--show-secret') ? '(set, hidden: --show-secret shows it)' : value)
    if (flags.has('--json')) {
      const fields = Object.fromEntries(Object.entries(hash).map(([field, value]) => [field, shown(field, value)]))
      io.out(`${JSON.stringify({ name, key: admin.keyOf(name), status: inspection.status, ...(inspection.status === 'invalid' ? { error: inspection.error.message } : {}), fields }, null, 2)}\n`)
      return inspection.status === 'ok' ? 0 : 1
    }
    const lines = [`${terminalSafe(admin.keyOf(name))}: ${inspection.status === 'ok' ? 'valid' : `INVALID: ${terminalSafe(inspection.error.message)}`}`]
    for (const field of CONFIG_FIELDS) {
      const value = hash[field]
      lines.push(`  ${field.padEnd(20)} ${value === undefined ? `${FIELD_DEFAULTS[field]} (default)` : terminalSafe(shown(field, value))}`)
    }
    for (const field of inspection.unknownFields) lines.push(`  ${terminalSafe(field).padEnd(20)} ${terminalSafe(hash[field] ?? '')} (unknown field: ignored by the router)`)
    io.out(`${lines.join('\n')}\n`)
    return inspection.status === 'ok' ? 0 : 1
  },

  async list({ admin, io }) {
    const names = await admin.names()
    const rows: string[] = []
    for (const name of names) {
      const inspection = await admin.inspect(name)
      if (inspection.status === 'missing') continue
      const url = inspection.hash?.['url'] ?? ''
      const method = (inspection.hash?.['method'] ?? 'GET').toUpperCase()
      rows.push(terminalSafe(`${name.padEnd(24)} ${inspection.status === 'ok' ? 'ok     ' : 'INVALID'}  ${inspection.status === 'ok' ? `${method} ${url}` : inspection.error.message}`))
    }
    io.out(rows.length === 0 ? 'no webhooks\n' : `${rows.join('\n')}\n`)
    return 0
  },

  async rm({ admin, args, io, usage }) {
    const [name] = args
    if (name === undefined || args.length > 1) return usage('needs one NAME')
    if (!(await admin.remove(name))) {
      io.err(`no webhook ${JSON.stringify(name)}\n`)
      return 1
    }
    io.out(`${admin.keyOf(name)} removed\n`)
    return 0
  },

  async validate({ admin, args, flags, io, usage }) {
    if (args.length > 1 || (args.length === 1 && flags.has('--all'))) return usage('takes one NAME or --all')
    const names = args.length === 1 ? args : await admin.names()
    let failures = 0
    for (const name of names) {
      const inspection = await admin.inspect(name)
      failures += report(inspection, admin, io)
    }
    if (names.length === 0) io.out('no webhooks\n')
    else io.out(`${names.length - failures} valid, ${failures} with errors\n`)
    return failures === 0 ? 0 : 1
  },

  async export({ admin, flags, io }) {
    // No prototype: a webhook named __proto__ is an ordinary entry, not a setter.
    const all: Record<string, Hash> = Object.create(null) as Record<string, Hash>
    for (const name of await admin.names()) {
      const hash = await admin.read(name).catch(() => undefined)
      if (!hash) continue
      if (hash['secret'] !== undefined && !flags.has('--show-secrets')) hash['secret'] = HIDDEN_SECRET
      all[name] = hash
    }
    io.out(`${JSON.stringify(all, null, 2)}\n`)
    return 0
  },

  async import({ admin, args, flags, io, usage, stdin }) {
    const [file] = args
    if (file === undefined || args.length > 1) return usage('needs one FILE (or - for standard input)')
    let data: unknown
    try {
      data = JSON.parse(file === '-' ? stdin() : readFileSync(file, 'utf8'))
    } catch (error) {
      io.err(`cannot read ${file === '-' ? 'standard input' : file}: ${(error as Error).message}\n`)
      return 1
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      io.err('expected a JSON object {"name": {"field": "value", ...}, ...} as `config export` writes\n')
      return 1
    }
    const entries: Array<[string, Hash]> = []
    const problems: string[] = []
    for (const [name, fields] of Object.entries(data as Record<string, unknown>)) {
      if (fields === null || typeof fields !== 'object' || Array.isArray(fields) || Object.values(fields).some((value) => typeof value !== 'string')) {
        problems.push(`${name}: must be an object of string fields`)
        continue
      }
      const hash: Hash = Object.assign(Object.create(null) as Hash, fields)
      if (hash['secret'] === HIDDEN_SECRET) {
        // An export without --show-secrets: keep the secret Redis holds now.
        const stored = (await admin.read(name).catch(() => undefined))?.['secret']
        if (stored === undefined) {
          problems.push(`${name}: its secret is hidden in this file and none is stored: export with --show-secrets`)
          continue
        }
        hash['secret'] = stored
      }
      const error = admin.check(name, hash)
      if (error) problems.push(error.message)
      else entries.push([name, hash])
    }
    if (problems.length > 0) {
      io.err(`refused, nothing written:\n${problems.map((problem) => `  ${problem}\n`).join('')}`)
      return 1
    }
    for (const [name, hash] of entries) {
      const before = await admin.read(name).catch(() => undefined)
      const same = before !== undefined && JSON.stringify(Object.entries(before).sort()) === JSON.stringify(Object.entries(hash).sort())
      const verb = same ? 'unchanged' : before ? 'updated' : 'created'
      if (!same && !flags.has('--dry-run')) await admin.replace(name, hash)
      io.out(`${admin.keyOf(name)} ${verb}${flags.has('--dry-run') && !same ? ' (dry run: not written)' : ''}\n`)
    }
    return 0
  },
}

function report(inspection: Inspection, admin: ConfigAdmin, io: Output): number {
  if (inspection.status === 'missing') {
    io.out(`MISSING  ${admin.keyOf(inspection.name)} does not exist\n`)
    return 1
  }
  for (const field of inspection.unknownFields) io.out(`warning  ${terminalSafe(admin.keyOf(inspection.name))} has an unknown field ${terminalSafe(JSON.stringify(field))}: the router ignores it\n`)
  if (inspection.status === 'invalid') {
    // Every problem on its own line: what the config must change to load under the current rules.
    io.out(`INVALID  ${terminalSafe(admin.keyOf(inspection.name))}\n`)
    for (const problem of inspection.error.problems) io.out(`  - ${terminalSafe(describeProblem(admin.keyOf(inspection.name), problem))}\n`)
    return 1
  }
  io.out(`ok       ${admin.keyOf(inspection.name)}\n`)
  return 0
}

function describeChange(change: FieldChange): string {
  const show = (value: string | undefined): string => (value === undefined ? '(default)' : shownValue(change.field, value))
  return `  ${change.field}: ${show(change.before)} -> ${show(change.after)}\n`
}

function describeTarget(settings: RedisSettings): string {
  const target = settings.redis
  if (target.kind === 'url') return maskCredentials(target.url)
  if (target.kind === 'sentinel') return `sentinels ${target.sentinels.map((node) => `${node.host}:${node.port}`).join(',')} (${target.name})`
  return `cluster ${target.nodes.map((node) => `${node.host}:${node.port}`).join(',')}`
}

async function quit(redis: RedisClient): Promise<void> {
  try {
    if (redis.status === 'ready') await redis.quit()
  } catch {
    // already gone
  }
  redis.disconnect()
}
