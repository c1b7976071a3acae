/**
 * Notices config changes nobody recorded: edits made directly in Redis
 * (redis-cli) go to the audit trail as "changed outside the console", and a
 * config that an edit made invalid raises an alert. It listens for every
 * change of a key under REDIS_PREFIX (Redis client-side caching in broadcast
 * mode, the router's own mechanism), and on start, and after every reconnect,
 * compares every config with the trail's snapshots (changes made while the
 * console was not running).
 */
import { ConfigAdmin } from '../config/admin.ts'
import type { Settings } from '../config/env.ts'
import { InvalidationListener } from '../config/invalidation.ts'
import type { RedisClient } from '../config/redis-connection.ts'
import type { Logger } from '../logger.ts'
import type { AuditTrail } from '../records/audit.ts'
import { hasOwnStream, type RecordKeys } from '../records/keys.ts'
import { cap, type AlertRecord } from '../records/types.ts'
import { ALERTS_PER_WEBHOOK, ALERTS_TOTAL } from '../records/writer.ts'

/** Changes of one key within this window are looked at once (a DEL + HSET pair is one edit). */
const SETTLE_MS = 150

export class OutsideChangeWatcher {
  private readonly listener: InvalidationListener
  private readonly admin: ConfigAdmin
  private readonly due = new Map<string, NodeJS.Timeout>()
  private running: Promise<void> = Promise.resolve()
  private closed = false

  constructor(
    private readonly redis: RedisClient,
    settings: Settings,
    private readonly trail: AuditTrail,
    private readonly keys: RecordKeys,
    private readonly logger: Logger,
  ) {
    this.admin = new ConfigAdmin(redis, settings.redisPrefix, settings.stepPolicy)
    this.listener = new InvalidationListener(
      settings.redis,
      settings.redisPrefix,
      {
        onInvalidate: (changed) => {
          if (changed === null) this.enqueue(() => this.reconcile())
          else for (const key of changed) if (key.startsWith(settings.redisPrefix)) this.schedule(key.slice(settings.redisPrefix.length))
        },
        onArmed: () => this.enqueue(() => this.reconcile()),
        onDisarmed: () => logger.warn({}, 'console: config change notifications lost until Redis is back'),
      },
      logger,
      redis,
    )
  }

  start(): void {
    this.listener.start()
  }

  /** Resolves when every change noticed so far has been looked at. */
  async settled(): Promise<void> {
    while (this.due.size > 0) await new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
    await this.running
  }

  async close(): Promise<void> {
    this.closed = true
    for (const timer of this.due.values()) clearTimeout(timer)
    this.due.clear()
    await this.listener.close()
    await this.running
  }

  private schedule(name: string): void {
    if (this.closed) return
    clearTimeout(this.due.get(name))
    this.due.set(
      name,
      setTimeout(() => {
        this.due.delete(name)
        this.enqueue(() => this.check(name))
      }, SETTLE_MS),
    )
  }

  /** One look at a time, in order. */
  private enqueue(work: () => Promise<void>): void {
    this.running = this.running.then(work).catch((error: unknown) => this.logger.warn({ err: (error as Error).message }, 'console: could not check a config change'))
  }

  /** Every config and every snapshot, compared. */
  private async reconcile(): Promise<void> {
    if (this.closed) return
    const names = new Set([...(await this.admin.names()), ...(await this.trail.remembered())])
    for (const name of names) await this.check(name)
  }

  private async check(name: string): Promise<void> {
    if (this.closed) return
    const inspection = await this.admin.inspect(name)
    const hash = inspection.status === 'missing' ? undefined : (inspection.hash ?? { '(not a hash)': '' })
    const outside = await this.trail.notice(name, hash)
    if (!outside || inspection.status !== 'invalid') return
    await this.alert({ type: 'alert', t: Date.now(), webhook: name, kind: 'config_invalid', count: 1, detail: cap(inspection.error.problems.map((problem) => `${problem.field}: ${problem.reason}`).join('; '), 300) })
  }

  private async alert(record: AlertRecord): Promise<void> {
    const json = JSON.stringify(record)
    await this.redis.xadd(this.keys.all('alerts'), 'MAXLEN', ALERTS_TOTAL, '*', 'r', json)
    if (!hasOwnStream(record.webhook)) return
    await this.redis.xadd(this.keys.of('alerts', record.webhook), 'MAXLEN', ALERTS_PER_WEBHOOK, '*', 'r', json)
    await this.redis.zadd(this.keys.names, 0, record.webhook)
  }
}
