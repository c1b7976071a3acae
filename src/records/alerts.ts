/**
 * Turns what the router sees into alerts, per webhook: webhook failures by
 * reason (the first at once, then at most one per window per webhook and
 * reason, carrying the count), circuits that opened and closed (told to every
 * webhook that recently called that origin, so each tenant sees its own), and
 * Redis outages (the router as a whole, written once Redis is back).
 */
import type { CircuitState } from '../webhook/circuit-breaker.ts'
import type { WebhookResult } from '../webhook/client.ts'
import { cap, type AlertRecord, type CallRecord } from './types.ts'

/** Outcome reasons that mean the webhook (or its config) failed the call. */
export const FAILURE_REASONS: ReadonlySet<string> = new Set(['http_error', 'http_timeout', 'bad_response', 'bad_destination', 'circuit_open', 'err', 'config_invalid', 'config_unavailable'])

interface Window {
  readonly webhook: string
  readonly reason: string
  lastEmitted: number
  /** Failures since the last alert. */
  pending: number
  detail: string | undefined
}

const MAX_ORIGINS = 1000
const NAMES_PER_ORIGIN = 32

export class AlertTracker {
  private readonly windows = new Map<string, Window>()
  private readonly origins = new Map<string, Set<string>>()
  private redisDownSince: number | undefined
  private droppedAtDown = 0

  constructor(
    private readonly emit: (alert: AlertRecord) => void,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  callDone(record: CallRecord): void {
    if (record.result !== 'failure' || !FAILURE_REASONS.has(record.reason)) return
    const key = `${record.reason}\n${record.webhook}`
    let window = this.windows.get(key)
    if (!window) {
      // Bounded: when many webhooks fail at once, the oldest windows are forgotten (they alerted already).
      if (this.windows.size >= 10_000) this.windows.delete(this.windows.keys().next().value as string)
      window = { webhook: record.webhook, reason: record.reason, lastEmitted: 0, pending: 0, detail: undefined }
      this.windows.set(key, window)
    }
    window.pending++
    const last = record.requests.at(-1)
    window.detail = last && !last.ok ? last.detail : record.bridgeCause
    if (this.now() - window.lastEmitted >= this.windowMs) this.flushWindow(window)
  }

  /** Webhook requests, to know which webhooks use which origin (a circuit is per origin). */
  request(webhook: string, origin: string, _result: WebhookResult): void {
    if (origin === '') return
    let names = this.origins.get(origin)
    if (!names) {
      if (this.origins.size >= MAX_ORIGINS) this.origins.delete(this.origins.keys().next().value as string)
      names = new Set()
      this.origins.set(origin, names)
    }
    names.delete(webhook)
    names.add(webhook)
    if (names.size > NAMES_PER_ORIGIN) names.delete(names.values().next().value as string)
  }

  circuitChanged(origin: string, state: CircuitState): void {
    if (state === 'half-open') return
    for (const webhook of this.origins.get(origin) ?? []) {
      this.emit({ type: 'alert', t: this.now(), webhook, kind: state === 'open' ? 'circuit_open' : 'circuit_closed', count: 1 })
    }
  }

  /** Redis went down or came back; `dropped` is how many records were dropped so far. */
  redisChanged(up: boolean, dropped: number): void {
    if (!up) {
      this.redisDownSince ??= this.now()
      this.droppedAtDown = dropped
      return
    }
    if (this.redisDownSince === undefined) return
    const lost = dropped - this.droppedAtDown
    this.emit({ type: 'alert', t: this.now(), webhook: '', kind: 'redis_outage', since: this.redisDownSince, count: 1, detail: `Redis unreachable for ${Math.round((this.now() - this.redisDownSince) / 1000)} s; ${lost} records dropped` })
    this.redisDownSince = undefined
  }

  /** Failures held back by the window, once it has passed. */
  tick(): void {
    for (const window of this.windows.values()) {
      if (window.pending > 0 && this.now() - window.lastEmitted >= this.windowMs) this.flushWindow(window)
    }
  }

  private flushWindow(window: Window): void {
    this.emit({ type: 'alert', t: this.now(), webhook: window.webhook, kind: 'webhook_failures', reason: window.reason, count: window.pending, detail: cap(window.detail, 200) })
    window.pending = 0
    window.lastEmitted = this.now()
  }
}
