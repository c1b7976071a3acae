/**
 * Operator-side config operations for the `config` commands: read, list,
 * validate, change, remove, export and import webhook hashes. Nothing is
 * written that does not validate; writes of one webhook are atomic (MULTI).
 */
import type { Cluster, Redis } from 'ioredis'
import { auditChanges, type AuditSink } from '../records/audit.ts'
import type { RedisClient } from './redis-connection.ts'
import { CONFIG_FIELDS, ConfigError, parseWebhookConfig, WEBHOOK_NAME, type ConfigRules } from './webhook-config.ts'

export type Hash = Record<string, string>

/** One webhook's state in Redis. */
export type Inspection =
  | { readonly name: string; readonly status: 'ok'; readonly hash: Hash; readonly unknownFields: readonly string[] }
  | { readonly name: string; readonly status: 'invalid'; readonly hash: Hash | undefined; readonly error: ConfigError; readonly unknownFields: readonly string[] }
  | { readonly name: string; readonly status: 'missing' }

/** A field's change: `before`/`after` undefined means unset (the default applies). */
export interface FieldChange {
  readonly field: string
  readonly before: string | undefined
  readonly after: string | undefined
}

export type SetResult =
  | { readonly kind: 'written'; readonly created: boolean; readonly changes: readonly FieldChange[] }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'refused'; readonly error: ConfigError | Error }

const KNOWN_FIELDS: ReadonlySet<string> = new Set(CONFIG_FIELDS)

export class ConfigAdmin {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly rules: ConfigRules,
    /** Where changes are recorded, and as whom (the console, the CLI); without it nothing is recorded. */
    private readonly audit?: { readonly sink: AuditSink; readonly who: string },
  ) {}

  keyOf(name: string): string {
    return `${this.prefix}${name}`
  }

  /** The stored hash, or undefined when there is none. A key that is not a hash is an error. */
  async read(name: string): Promise<Hash | undefined> {
    const hash = await this.redis.hgetall(this.keyOf(name))
    return Object.keys(hash).length === 0 ? undefined : hash
  }

  /** Checks a hash as the router would. */
  check(name: string, hash: Hash): ConfigError | undefined {
    if (!WEBHOOK_NAME.test(name)) return new ConfigError(this.keyOf(name), [{ field: '(name)', value: name, reason: 'a webhook name is 1-128 of A-Z a-z 0-9 _ . : @ -' }])
    const parsed = parseWebhookConfig(this.keyOf(name), name, hash, this.rules)
    return parsed instanceof ConfigError ? parsed : undefined
  }

  async inspect(name: string): Promise<Inspection> {
    let hash: Hash | undefined
    try {
      hash = await this.read(name)
    } catch (error) {
      if (!(error as Error).message.startsWith('WRONGTYPE')) throw error
      return { name, status: 'invalid', hash: undefined, error: new ConfigError(this.keyOf(name), [{ field: '(key)', value: undefined, reason: 'is not a hash (use HSET)' }]), unknownFields: [] }
    }
    if (!hash) return { name, status: 'missing' }
    const unknownFields = Object.keys(hash).filter((field) => !KNOWN_FIELDS.has(field))
    const error = this.check(name, hash)
    return error ? { name, status: 'invalid', hash, error, unknownFields } : { name, status: 'ok', hash, unknownFields }
  }

  /** Every webhook name under the prefix (and starting with `startingWith`), sorted (SCAN, on every master of a Cluster). */
  async names(startingWith = ''): Promise<string[]> {
    const nodes: Redis[] = isCluster(this.redis) ? this.redis.nodes('master') : [this.redis]
    const names = new Set<string>()
    const match = `${`${this.prefix}${startingWith}`.replace(/[*?[\]\\]/g, '\\$&')}*`
    for (const node of nodes) {
      let cursor = '0'
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 500)
        cursor = next
        for (const key of keys) names.add(key.slice(this.prefix.length))
      } while (cursor !== '0')
    }
    return [...names].sort()
  }

  /**
   * Applies field changes (`undefined` removes a field, so its default applies)
   * after validating the result; unknown fields are refused (typos would be
   * ignored by the router silently).
   */
  async set(name: string, changes: ReadonlyMap<string, string | undefined>): Promise<SetResult> {
    for (const field of changes.keys()) {
      if (!KNOWN_FIELDS.has(field)) return { kind: 'refused', error: new Error(`unknown field ${JSON.stringify(field)} (fields: ${CONFIG_FIELDS.join(', ')})`) }
    }
    const before = (await this.read(name)) ?? {}
    const after: Hash = { ...before }
    for (const [field, value] of changes) {
      if (value === undefined) delete after[field]
      else after[field] = value
    }
    const diff = [...new Set([...Object.keys(before), ...Object.keys(after)])]
      .filter((field) => before[field] !== after[field])
      .map((field) => ({ field, before: before[field], after: after[field] }))
    if (diff.length === 0) return { kind: 'unchanged' }
    if (Object.keys(after).length === 0) return { kind: 'refused', error: new Error('that would leave no field: use `config rm` to remove a webhook') }
    const error = this.check(name, after)
    if (error) return { kind: 'refused', error }
    const key = this.keyOf(name)
    const removed = diff.filter((change) => change.after === undefined).map((change) => change.field)
    const written = Object.fromEntries(diff.filter((change) => change.after !== undefined).map((change) => [change.field, change.after as string]))
    // Remembered before the write, so the console's watcher knows this change was recorded.
    await this.audit?.sink.remember(name, after)
    const transaction = this.redis.multi()
    if (removed.length > 0) transaction.hdel(key, ...removed)
    if (Object.keys(written).length > 0) transaction.hset(key, written)
    await transaction.exec()
    const created = Object.keys(before).length === 0
    await this.audit?.sink.record({ webhook: name, who: this.audit.who, action: created ? 'created' : 'updated', outside: false, changes: auditChanges(before, after) })
    return { kind: 'written', created, changes: diff }
  }

  /** Removes a webhook; false when there was none. */
  async remove(name: string): Promise<boolean> {
    const before = this.audit ? await this.read(name).catch(() => undefined) : undefined
    await this.audit?.sink.remember(name, undefined)
    const removed = (await this.redis.del(this.keyOf(name))) > 0
    if (removed) await this.audit?.sink.record({ webhook: name, who: this.audit.who, action: 'removed', outside: false, changes: auditChanges(before, undefined) })
    return removed
  }

  /** Replaces a webhook's whole hash at once. */
  async replace(name: string, hash: Hash): Promise<void> {
    const key = this.keyOf(name)
    const before = this.audit ? await this.read(name).catch(() => undefined) : undefined
    await this.audit?.sink.remember(name, hash)
    await this.redis.multi().del(key).hset(key, hash).exec()
    const changes = auditChanges(before, hash)
    if (changes.length > 0) await this.audit?.sink.record({ webhook: name, who: this.audit.who, action: before ? 'updated' : 'created', outside: false, changes })
  }
}

function isCluster(client: RedisClient): client is Cluster {
  return client.isCluster
}
