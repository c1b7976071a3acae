/**
 * What the console can do, once: the API routes and the pages both call
 * these. Every operation takes the principal first and answers as a value:
 * a name outside the principal's prefix is "not found" at once, before any
 * Redis read, so another tenant's webhooks cannot be told apart from names
 * that do not exist (same answer, same timing); writes need the admin role.
 */
import { dryRun, type DryRunInput, type DryRunResult } from '../call/dry-run.ts'
import { ConfigAdmin, type Hash } from '../config/admin.ts'
import type { Settings } from '../config/env.ts'
import type { RedisClient } from '../config/redis-connection.ts'
import { CONFIG_FIELDS, ConfigError, shownValue, WEBHOOK_NAME, type ConfigProblem } from '../config/webhook-config.ts'
import { shownTemplate } from '../records/mask.ts'
import type { AuditTrail } from '../records/audit.ts'
import type { RecordReader } from '../records/reader.ts'
import type { AlertRecord, AuditRecord, CallRecord, Stored } from '../records/types.ts'
import type { WebhookClient } from '../webhook/client.ts'
import { describePrincipal, mayView, type Principal } from './tokens.ts'

export interface ConsoleContext {
  readonly redis: RedisClient
  readonly settings: Settings
  readonly reader: RecordReader
  readonly trail: AuditTrail
  /** For "test this webhook" (the console's own pool and circuit breaker). */
  readonly client: Pick<WebhookClient, 'call'>
}

export type Failure = { readonly ok: false; readonly status: 400 | 403 | 404 | 422 | 503; readonly error: string; readonly problems?: readonly ShownProblem[] }
export type Result<T> = ({ readonly ok: true } & T) | Failure

/** A config problem as shown to people: the value masked like the logs (secret hidden, URL query values masked). */
export interface ShownProblem {
  readonly field: string
  readonly value?: string | undefined
  readonly reason: string
}

export type ConfigState = 'valid' | 'invalid' | 'circuit_open'

export interface WebhookSummary {
  readonly name: string
  readonly description: string
  /** The URL template, query values masked. */
  readonly url: string
  readonly method: string
  readonly ivr: boolean
  readonly state: ConfigState
  readonly problems: readonly ShownProblem[]
  readonly lastCall: { readonly t: number; readonly result: string; readonly reason: string } | undefined
}

export interface WebhookDetail {
  readonly name: string
  readonly state: 'valid' | 'invalid'
  /** Every stored field but the secret. */
  readonly fields: Readonly<Record<string, string>>
  readonly secretSet: boolean
  readonly problems: readonly ShownProblem[]
  readonly unknownFields: readonly string[]
}

const NOT_FOUND: Failure = { ok: false, status: 404, error: 'not found' }
const READ_ONLY: Failure = { ok: false, status: 403, error: 'this token may only read' }

export function showProblems(error: ConfigError | Error): ShownProblem[] {
  if (error instanceof ConfigError) return error.problems.map((problem: ConfigProblem) => ({ field: problem.field, value: problem.value === undefined ? undefined : shownValue(problem.field, problem.value), reason: problem.reason }))
  return [{ field: '(config)', reason: error.message }]
}

/** A caller's number for a viewer: in full for the admin role, else all but the last three digits hidden. */
export function shownCaller(principal: Principal, number: string): string {
  if (principal.role === 'admin' || number.length <= 3) return number
  return `${'*'.repeat(Math.min(number.length - 3, 12))}${number.slice(-3)}`
}

function scoped(principal: Principal, name: string): boolean {
  return WEBHOOK_NAME.test(name) && mayView(principal, name)
}

export class ConsoleOperations {
  constructor(private readonly context: ConsoleContext) {}

  private admin(principal?: Principal): ConfigAdmin {
    const { redis, settings, trail } = this.context
    return new ConfigAdmin(redis, settings.redisPrefix, settings.stepPolicy, principal ? { sink: trail, who: describePrincipal(principal) } : undefined)
  }

  async listWebhooks(principal: Principal): Promise<Result<{ webhooks: WebhookSummary[] }>> {
    const admin = this.admin()
    const names = (await admin.names(principal.prefix)).filter((name) => scoped(principal, name)).slice(0, 1000)
    const webhooks = await Promise.all(
      names.map(async (name): Promise<WebhookSummary | undefined> => {
        const [inspection, lastCall, alerts] = await Promise.all([
          admin.inspect(name),
          this.context.reader.recent('calls', principal, { webhook: name, limit: 1 }),
          this.context.reader.recent('alerts', principal, { webhook: name, limit: 20 }),
        ])
        if (inspection.status === 'missing') return undefined
        const hash = inspection.hash ?? {}
        const circuit = alerts.find((alert) => alert.kind === 'circuit_open' || alert.kind === 'circuit_closed')
        const state: ConfigState = inspection.status === 'invalid' ? 'invalid' : circuit?.kind === 'circuit_open' ? 'circuit_open' : 'valid'
        const last = lastCall[0]
        return {
          name,
          description: hash['description'] ?? '',
          url: shownTemplate(hash['url'] ?? ''),
          method: (hash['method'] ?? 'GET').toUpperCase(),
          ivr: /^(1|true|yes|on)$/i.test((hash['ivr'] ?? '').trim()),
          state,
          problems: inspection.status === 'invalid' ? showProblems(inspection.error) : [],
          lastCall: last ? { t: last.t, result: last.result, reason: last.reason } : undefined,
        }
      }),
    )
    return { ok: true, webhooks: webhooks.filter((webhook): webhook is WebhookSummary => webhook !== undefined) }
  }

  async getWebhook(principal: Principal, name: string): Promise<Result<{ webhook: WebhookDetail }>> {
    if (!scoped(principal, name)) return NOT_FOUND
    const inspection = await this.admin().inspect(name)
    if (inspection.status === 'missing') return NOT_FOUND
    const hash = { ...(inspection.hash ?? {}) }
    const secretSet = (hash['secret'] ?? '') !== ''
    delete hash['secret']
    return {
      ok: true,
      webhook: {
        name,
        state: inspection.status === 'ok' ? 'valid' : 'invalid',
        fields: hash,
        secretSet,
        problems: inspection.status === 'invalid' ? showProblems(inspection.error) : [],
        unknownFields: inspection.unknownFields,
      },
    }
  }

  /**
   * Replaces a webhook's config with `fields` (absent fields take their
   * defaults; the secret is write-only: absent keeps it, '' removes it),
   * validated exactly as the CLI validates; refused: 422 and nothing written.
   */
  async putWebhook(principal: Principal, name: string, input: unknown): Promise<Result<{ created: boolean; changed: boolean }>> {
    if (!mayView(principal, name)) return NOT_FOUND
    if (principal.role !== 'admin') return READ_ONLY
    const fields = toFields(input)
    if ('problems' in fields) return { ok: false, status: 422, error: 'config refused, nothing written', problems: fields.problems }
    const changes = new Map<string, string | undefined>()
    for (const field of CONFIG_FIELDS) {
      const value = fields.hash[field]
      if (field === 'secret' && value === undefined) continue
      changes.set(field, value === undefined || value === '' ? undefined : value)
    }
    const admin = this.admin(principal)
    const refusedName = admin.check(name, { url: 'http://x' })
    if (refusedName?.field === '(name)') return { ok: false, status: 422, error: 'config refused, nothing written', problems: showProblems(refusedName) }
    const result = await admin.set(name, changes)
    if (result.kind === 'refused') return { ok: false, status: 422, error: 'config refused, nothing written', problems: showProblems(result.error) }
    if (result.kind === 'unchanged') return { ok: true, created: false, changed: false }
    return { ok: true, created: result.created, changed: true }
  }

  async deleteWebhook(principal: Principal, name: string): Promise<Result<object>> {
    if (!scoped(principal, name)) return NOT_FOUND
    if (principal.role !== 'admin') return READ_ONLY
    return (await this.admin(principal).remove(name)) ? { ok: true } : NOT_FOUND
  }

  /** The same dry run as `webhook-router simulate`, against the stored config. */
  async testWebhook(principal: Principal, name: string, input: DryRunInput): Promise<Result<{ result: DryRunResult }>> {
    if (!scoped(principal, name)) return NOT_FOUND
    const admin = this.admin()
    const hash = await admin.read(name).catch((error: Error) => {
      if (error.message.startsWith('WRONGTYPE')) return undefined
      throw error
    })
    if (!hash) return NOT_FOUND
    const { settings, client } = this.context
    const result = await dryRun(admin.keyOf(name), name, hash, input, { client, dial: { dialE164: settings.dialE164, dialExtension: settings.dialExtension }, rules: settings.stepPolicy })
    return { ok: true, result }
  }

  async listCalls(principal: Principal, webhook: string | undefined, limit: number): Promise<Result<{ calls: Array<Stored<CallRecord>> }>> {
    if (webhook !== undefined && !scoped(principal, webhook)) return NOT_FOUND
    const calls = await this.context.reader.recent('calls', principal, { webhook, limit })
    return { ok: true, calls: calls.filter((call) => mayView(principal, call.webhook)).map((call) => ({ ...call, caller: shownCaller(principal, call.caller) })) }
  }

  async getCall(principal: Principal, uuid: string, webhook: string | undefined): Promise<Result<{ call: Stored<CallRecord> }>> {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(uuid)) return NOT_FOUND
    if (webhook !== undefined && !scoped(principal, webhook)) return NOT_FOUND
    const call = await this.context.reader.call(uuid, principal, webhook)
    if (!call || !mayView(principal, call.webhook)) return NOT_FOUND
    return { ok: true, call: { ...call, caller: shownCaller(principal, call.caller) } }
  }

  async listAlerts(principal: Principal, webhook: string | undefined, limit: number): Promise<Result<{ alerts: Array<Stored<AlertRecord>> }>> {
    if (webhook !== undefined && !scoped(principal, webhook)) return NOT_FOUND
    const alerts = await this.context.reader.recent('alerts', principal, { webhook, limit })
    // Router-wide alerts (webhook '') only for tokens that see every webhook.
    return { ok: true, alerts: alerts.filter((alert) => (alert.webhook === '' ? principal.prefix === '' : mayView(principal, alert.webhook))) }
  }

  async listAudit(principal: Principal, webhook: string | undefined, limit: number): Promise<Result<{ audit: Array<Stored<AuditRecord>> }>> {
    if (webhook !== undefined && !scoped(principal, webhook)) return NOT_FOUND
    const audit = await this.context.reader.recent('audit', principal, { webhook, limit })
    return { ok: true, audit: audit.filter((entry) => mayView(principal, entry.webhook)) }
  }
}

/** A PUT body or a form: field -> string. Numbers and booleans are written as text, step lists as JSON arrays. */
function toFields(input: unknown): { hash: Hash } | { problems: ShownProblem[] } {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return { problems: [{ field: '(body)', reason: 'must be a JSON object of config fields' }] }
  const known = new Set<string>(CONFIG_FIELDS)
  const hash: Hash = {}
  const problems: ShownProblem[] = []
  for (const [field, value] of Object.entries(input)) {
    if (!known.has(field)) {
      problems.push({ field: field.slice(0, 64), reason: `unknown field (fields: ${CONFIG_FIELDS.join(', ')})` })
      continue
    }
    if (typeof value === 'string') hash[field] = value
    else if (typeof value === 'number' || typeof value === 'boolean') hash[field] = String(value)
    else if ((field === 'on_success' || field === 'on_failure') && Array.isArray(value)) hash[field] = value.length === 0 ? '' : JSON.stringify(value)
    else if (value !== null) problems.push({ field, reason: 'must be a string' })
  }
  return problems.length > 0 ? { problems } : { hash }
}
