/**
 * The router's side of call records and alerts: what app.ts wires in. It
 * watches webhook requests and finished calls, and hands records to the
 * writer, which stores them off the call's path.
 */
import type { Registry } from 'prom-client'
import type { CallSummary } from '../call/flow.ts'
import type { RedisClient } from '../config/redis-connection.ts'
import type { Logger } from '../logger.ts'
import type { CircuitState } from '../webhook/circuit-breaker.ts'
import type { WebhookClient } from '../webhook/client.ts'
import { AlertTracker } from './alerts.ts'
import { CallTracker } from './call-tracker.ts'
import { RecordKeys } from './keys.ts'
import { RecordWriter } from './writer.ts'

export interface CallRecorderOptions {
  readonly redis: RedisClient
  readonly prefix: string
  readonly perWebhook: number
  readonly total: number
  readonly logger: Logger
  readonly registry?: Registry
  /** How often queued records are written (250 ms). */
  readonly flushMs?: number
  /** Failures of one webhook and reason make at most one alert per window (60 s). */
  readonly alertWindowMs?: number
}

export class CallRecorder {
  readonly writer: RecordWriter
  private readonly alerts: AlertTracker
  private readonly calls: CallTracker
  private readonly timer: NodeJS.Timeout

  constructor(options: CallRecorderOptions) {
    this.writer = new RecordWriter({
      redis: options.redis,
      keys: new RecordKeys(options.prefix),
      perWebhook: options.perWebhook,
      total: options.total,
      logger: options.logger,
      ...(options.flushMs !== undefined ? { flushMs: options.flushMs } : {}),
      ...(options.registry ? { registry: options.registry } : {}),
    })
    this.alerts = new AlertTracker((alert) => this.writer.alert(alert), options.alertWindowMs ?? 60_000)
    this.calls = new CallTracker(20_000, (webhook, origin, result) => this.alerts.request(webhook, origin, result))
    this.timer = setInterval(() => this.alerts.tick(), Math.min(options.alertWindowMs ?? 60_000, 1000))
    this.timer.unref()
  }

  /** The webhook client the call flow uses, observed for the call records. */
  wrap(client: Pick<WebhookClient, 'call'>): Pick<WebhookClient, 'call'> {
    return this.calls.wrap(client)
  }

  callDone(summary: CallSummary): void {
    const record = this.calls.finish(summary)
    this.writer.call(record)
    this.alerts.callDone(record)
  }

  circuitChanged(origin: string, state: CircuitState): void {
    this.alerts.circuitChanged(origin, state)
  }

  redisChanged(up: boolean): void {
    this.alerts.redisChanged(up, this.writer.dropped.calls + this.writer.dropped.alerts)
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    this.alerts.tick()
    await this.writer.close()
  }
}
