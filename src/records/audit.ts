/**
 * The audit trail of config changes: who, when, and each field's change with
 * the secret hidden and URL query values masked. Writers (the console, the
 * CLI) remember what they wrote as a snapshot *before* writing, so the
 * console's watcher, which sees every change of a config key, can tell a
 * change nobody recorded (made directly in Redis) from its own and the CLI's.
 */
import { createHash } from 'node:crypto'
import { hostname, userInfo } from 'node:os'
import type { RedisClient } from '../config/redis-connection.ts'
import { RecordKeys } from './keys.ts'
import { shownTemplate } from './mask.ts'
import { cap, type AuditChange, type AuditRecord } from './types.ts'

export const AUDIT_PER_WEBHOOK = 200
export const AUDIT_TOTAL = 5000

type Hash = Readonly<Record<string, string>>

/** What writers of configs need (ConfigAdmin takes it). */
export interface AuditSink {
  /** Before writing: the hash that will be stored (undefined: removed). */
  remember(name: string, hash: Hash | undefined): Promise<void>
  record(entry: Omit<AuditRecord, 'type' | 't'>): Promise<void>
}

/** The hash as the audit trail keeps it: the secret only as a digest (so a change shows, never the value). */
export function snapshotOf(hash: Hash): Record<string, string> {
  const snapshot: Record<string, string> = {}
  for (const field of Object.keys(hash).sort()) {
    const value = hash[field] as string
    snapshot[field] = field === 'secret' ? `sha256:${createHash('sha256').update(value).digest('hex').slice(0, 16)}` : value
  }
  return snapshot
}

/** Field changes between two hashes (or snapshots), masked for the trail. */
export function auditChanges(before: Hash | undefined, after: Hash | undefined): AuditChange[] {
  const fields = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].sort()
  const shown = (field: string, value: string | undefined): string | undefined => {
    if (value === undefined) return undefined
    if (field === 'secret') return '(hidden)'
    return cap(field === 'url' ? shownTemplate(value) : value, 500)
  }
  return fields
    .filter((field) => before?.[field] !== after?.[field])
    .map((field) => ({ field: cap(field, 64) ?? '', before: shown(field, before?.[field]), after: shown(field, after?.[field]) }))
}

// Compare-and-set of one snapshot: only the first console to notice an outside change records it.
const SWAP = `local current = redis.call('HGET', KEYS[1], ARGV[1])
if (current or '') ~= ARGV[2] then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
return 1`

export class AuditTrail implements AuditSink {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RecordKeys,
    private readonly now: () => number = Date.now,
  ) {}

  async remember(name: string, hash: Hash | undefined): Promise<void> {
    if (hash === undefined) await this.redis.hdel(this.keys.snapshots, name)
    else await this.redis.hset(this.keys.snapshots, name, JSON.stringify(snapshotOf(hash)))
  }

  async record(entry: Omit<AuditRecord, 'type' | 't'>): Promise<void> {
    const json = JSON.stringify({ type: 'audit', t: this.now(), ...entry, who: cap(entry.who, 120) ?? '' } satisfies AuditRecord)
    await this.redis.xadd(this.keys.all('audit'), 'MAXLEN', AUDIT_TOTAL, '*', 'r', json)
    await this.redis.xadd(this.keys.of('audit', entry.webhook), 'MAXLEN', AUDIT_PER_WEBHOOK, '*', 'r', json)
    await this.redis.zadd(this.keys.names, 0, entry.webhook)
  }

  /** Every name with a snapshot. */
  async remembered(): Promise<string[]> {
    return this.redis.hkeys(this.keys.snapshots)
  }

  /**
   * Compares what a config key holds now with the last recorded snapshot; a
   * difference nobody recorded is an outside change, recorded once. True when
   * it was one.
   */
  async notice(name: string, hash: Hash | undefined): Promise<boolean> {
    const previousText = (await this.redis.hget(this.keys.snapshots, name)) ?? ''
    const next = hash === undefined ? undefined : snapshotOf(hash)
    const nextText = next === undefined ? '' : JSON.stringify(next)
    if (previousText === nextText) return false
    const swapped = await this.redis.eval(SWAP, 1, this.keys.snapshots, name, previousText, nextText)
    if (swapped !== 1) return false
    const previous = previousText === '' ? undefined : (JSON.parse(previousText) as Record<string, string>)
    const action = next === undefined ? 'removed' : previous === undefined ? 'created' : 'updated'
    await this.record({ webhook: name, who: 'outside the console', action, outside: true, changes: auditChanges(previous, next) })
    return true
  }
}

/** `cli: alice@host`: who a command-line change is recorded as. */
export function cliActor(): string {
  let user = process.env['USER'] ?? ''
  try {
    user = userInfo().username
  } catch {
    // no passwd entry (a container's arbitrary uid): the environment's USER, or nobody
  }
  return `cli: ${user || 'unknown'}@${hostname()}`
}

/** What ConfigAdmin takes to record its changes in the trail under `recordsPrefix`. */
export function auditFor(redis: RedisClient, recordsPrefix: string, who: string = cliActor()): { readonly sink: AuditSink; readonly who: string } {
  return { sink: new AuditTrail(redis, new RecordKeys(recordsPrefix)), who }
}
