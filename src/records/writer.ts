/**
 * Appends call records and alerts to Redis off the call's path: `add()` only
 * queues; a timer writes what is queued in one batch. While Redis is down (or
 * the queue is full) records are dropped and counted, never held up: a call
 * never waits for a record. Every stream is capped (per webhook and overall)
 * and a webhook's own streams expire when it stops receiving calls.
 */
import { Counter, type Registry } from 'prom-client'
import type { RedisClient } from '../config/redis-connection.ts'
import type { Logger } from '../logger.ts'
import { hasOwnStream, type RecordKeys, type StreamKind } from './keys.ts'
import type { AlertRecord, CallRecord } from './types.ts'

/** A webhook's own streams vanish this long after its last record (a removed webhook leaves nothing behind for good). */
export const OWN_STREAM_TTL_MS = 30 * 24 * 3600 * 1000
/** Alerts kept per webhook and overall. */
export const ALERTS_PER_WEBHOOK = 100
export const ALERTS_TOTAL = 2000
const BATCH = 500

export interface RecordWriterOptions {
  readonly redis: RedisClient
  readonly keys: RecordKeys
  /** Call records kept per webhook (RECORDS_PER_WEBHOOK). */
  readonly perWebhook: number
  /** Call records kept overall (RECORDS_TOTAL). */
  readonly total: number
  readonly logger: Logger
  readonly flushMs?: number
  readonly maxQueue?: number
  /** Where the written/dropped counters go (the router's /metrics). */
  readonly registry?: Registry
}

interface Queued {
  readonly kind: 'calls' | 'alerts'
  readonly webhook: string
  readonly json: string
  /** Also in the webhook's own stream (calls of a missing config are not: a caller-chosen name would create keys). */
  readonly own: boolean
}

type Command = [name: string, ...args: Array<string | number>]

export class RecordWriter {
  /** Records dropped since start, by kind. */
  readonly dropped = { calls: 0, alerts: 0 }
  readonly written = { calls: 0, alerts: 0 }
  private queue: Queued[] = []
  private readonly timer: NodeJS.Timeout
  private flushing: Promise<void> | undefined
  private readonly droppedCounter: Counter<'kind'> | undefined
  private readonly writtenCounter: Counter<'kind'> | undefined
  private closed = false

  constructor(private readonly options: RecordWriterOptions) {
    this.timer = setInterval(() => void this.flush(), options.flushMs ?? 250)
    this.timer.unref()
    const registers = options.registry ? [options.registry] : []
    if (options.registry) {
      this.droppedCounter = new Counter({ name: 'webhook_router_records_dropped_total', help: 'Call records and alerts dropped (Redis down or the queue full)', labelNames: ['kind'], registers })
      this.writtenCounter = new Counter({ name: 'webhook_router_records_written_total', help: 'Call records and alerts written to Redis', labelNames: ['kind'], registers })
    }
  }

  call(record: CallRecord): void {
    if (this.options.perWebhook === 0) return
    this.add({ kind: 'calls', webhook: record.webhook, json: JSON.stringify(record), own: hasOwnStream(record.webhook) && record.reason !== 'config_missing' })
  }

  alert(record: AlertRecord): void {
    this.add({ kind: 'alerts', webhook: record.webhook, json: JSON.stringify(record), own: hasOwnStream(record.webhook) })
  }

  private add(entry: Queued): void {
    if (this.closed || this.queue.length >= (this.options.maxQueue ?? 10_000)) {
      this.drop(entry.kind, 1)
      return
    }
    this.queue.push(entry)
  }

  private drop(kind: 'calls' | 'alerts', count: number): void {
    this.dropped[kind] += count
    this.droppedCounter?.inc({ kind: kind === 'calls' ? 'call' : 'alert' }, count)
  }

  /** Writes what is queued (one batch at a time); records that cannot be written are dropped and counted. */
  flush(): Promise<void> {
    this.flushing ??= this.writeQueued().finally(() => {
      this.flushing = undefined
    })
    return this.flushing
  }

  private async writeQueued(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, BATCH)
      const redis = this.options.redis
      if (redis.status !== 'ready') {
        for (const entry of batch) this.drop(entry.kind, 1)
        continue
      }
      const failed = await this.write(batch.map((entry) => this.commands(entry)))
      batch.forEach((entry, index) => {
        if (failed.has(index)) this.drop(entry.kind, 1)
        else {
          this.written[entry.kind]++
          this.writtenCounter?.inc({ kind: entry.kind === 'calls' ? 'call' : 'alert' })
        }
      })
      if (failed.size > 0) this.options.logger.debug({ failed: failed.size }, 'records not written')
    }
  }

  private commands(entry: Queued): Command[] {
    const keys = this.options.keys
    const kind: StreamKind = entry.kind
    const total = kind === 'calls' ? this.options.total : ALERTS_TOTAL
    const own = kind === 'calls' ? this.options.perWebhook : ALERTS_PER_WEBHOOK
    const commands: Command[] = [['xadd', keys.all(kind), 'MAXLEN', total, '*', 'r', entry.json]]
    if (entry.own) {
      const key = keys.of(kind, entry.webhook)
      commands.push(['xadd', key, 'MAXLEN', own, '*', 'r', entry.json], ['pexpire', key, OWN_STREAM_TTL_MS], ['zadd', keys.names, 0, entry.webhook])
    }
    return commands
  }

  /** Runs each record's commands; the indexes of records with a failed command. */
  private async write(perRecord: Command[][]): Promise<Set<number>> {
    const redis = this.options.redis
    const failed = new Set<number>()
    if (!redis.isCluster) {
      const pipeline = redis.pipeline()
      const owner: number[] = []
      perRecord.forEach((commands, index) => {
        for (const [name, ...args] of commands) {
          pipeline.call(name, ...args)
          owner.push(index)
        }
      })
      const results = await pipeline.exec().catch(() => null)
      if (!results) return new Set(perRecord.keys())
      results.forEach(([error], position) => {
        if (error) failed.add(owner[position] as number)
      })
      return failed
    }
    // A Cluster pipeline must stay within one slot: each command goes on its own (to its node).
    await Promise.all(
      perRecord.map(async (commands, index) => {
        for (const [name, ...args] of commands) {
          try {
            await redis.call(name, ...args)
          } catch {
            failed.add(index)
            return
          }
        }
      }),
    )
    return failed
  }

  /** Writes what is left (bounded by the Redis command timeout) and stops. */
  async close(): Promise<void> {
    clearInterval(this.timer)
    await this.flush()
    this.closed = true
  }
}
