/**
 * Prometheus metrics (prom-client), served on /metrics. Counters and
 * histograms are updated as calls and requests finish; gauges that mirror
 * state (active calls, cache, circuits, Redis) are read at scrape time.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { CallSummary } from '../call/flow.ts'
import type { FailureReason, WebhookResult } from '../webhook/client.ts'
import type { CircuitState } from '../webhook/circuit-breaker.ts'

/** What the metrics read at scrape time. */
export interface MetricSources {
  activeCalls(): number
  cache(): { entries: number; hits: number; reads: number; readErrors: number; invalidations: number; refused: number; tracking: boolean } | undefined
  redisUp(): boolean | undefined
  circuits(): Array<[string, CircuitState]>
}

const CIRCUIT_VALUE: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 }
const WEBHOOK_OUTCOMES: ReadonlyArray<'ok' | FailureReason> = ['ok', 'http_error', 'http_timeout', 'bad_response', 'circuit_open', 'aborted']

export class Metrics {
  readonly registry = new Registry()
  private readonly calls: Counter<'result' | 'reason'>
  private readonly dispositions: Counter<'disposition'>
  private readonly webhookRequests: Counter<'webhook' | 'outcome'>
  private readonly webhookLatency: Histogram<'webhook'>
  private readonly ivrAttempts: Histogram

  constructor(sources: MetricSources) {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry })
    this.calls = new Counter({ name: 'webhook_router_calls_total', help: 'Calls finished, by outcome result and reason', labelNames: ['result', 'reason'], registers })
    this.dispositions = new Counter({ name: 'webhook_router_call_dispositions_total', help: 'How calls left the router: bridged, handed-back, transferred, hung-up, lost', labelNames: ['disposition'], registers })
    this.webhookRequests = new Counter({ name: 'webhook_router_webhook_requests_total', help: 'Webhook requests by webhook and outcome (ok, http_error, http_timeout, bad_response, circuit_open, aborted)', labelNames: ['webhook', 'outcome'], registers })
    this.webhookLatency = new Histogram({
      name: 'webhook_router_webhook_latency_seconds',
      help: 'Webhook request duration, connect to last byte',
      labelNames: ['webhook'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    })
    this.ivrAttempts = new Histogram({ name: 'webhook_router_ivr_attempts', help: 'IVR attempts used per call that ran the IVR', buckets: [1, 2, 3, 4, 5, 6, 8, 10], registers })
    new Gauge({
      name: 'webhook_router_active_calls',
      help: 'Calls the router holds now',
      registers,
      collect() {
        this.set(sources.activeCalls())
      },
    })
    type Cache = NonNullable<ReturnType<MetricSources['cache']>>
    const cacheGauge = (name: string, help: string, read: (cache: Cache) => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const cache = sources.cache()
          if (cache) this.set(read(cache))
        },
      })
    }
    // The store counts; these mirror its counts at scrape time.
    const cacheCounter = (name: string, help: string, read: (cache: Cache) => number): void => {
      new Counter({
        name,
        help,
        registers,
        collect() {
          const cache = sources.cache()
          if (!cache) return
          this.reset()
          this.inc(read(cache))
        },
      })
    }
    cacheGauge('webhook_router_config_cache_entries', 'Webhook configs held in memory', (cache) => cache.entries)
    cacheGauge('webhook_router_config_tracking', '1 while Redis pushes invalidations (cache trusted), else 0', (cache) => (cache.tracking ? 1 : 0))
    cacheCounter('webhook_router_config_cache_hits_total', 'Config lookups answered from memory', (cache) => cache.hits)
    cacheCounter('webhook_router_config_cache_misses_total', 'Config lookups that read Redis', (cache) => cache.reads)
    cacheCounter('webhook_router_config_read_errors_total', 'Config reads that failed (Redis unreachable)', (cache) => cache.readErrors)
    cacheCounter('webhook_router_config_invalidations_total', 'Invalidation messages received from Redis', (cache) => cache.invalidations)
    cacheCounter('webhook_router_config_refused_edits_total', 'Config edits refused because they did not validate', (cache) => cache.refused)
    new Gauge({
      name: 'webhook_router_redis_up',
      help: '1 while the config connection to Redis is ready, else 0',
      registers,
      collect() {
        const up = sources.redisUp()
        if (up !== undefined) this.set(up ? 1 : 0)
      },
    })
    new Gauge({
      name: 'webhook_router_circuit_state',
      help: 'Webhook origins whose circuit is not closed: 1 half-open, 2 open',
      labelNames: ['origin'],
      registers,
      collect() {
        this.reset()
        for (const [origin, state] of sources.circuits()) this.set({ origin }, CIRCUIT_VALUE[state])
      },
    })
  }

  callDone(summary: CallSummary): void {
    this.calls.inc({ result: summary.outcome.result, reason: summary.outcome.reason })
    this.dispositions.inc({ disposition: summary.disposition })
    if (summary.ivr && summary.outcome.attempts > 0) this.ivrAttempts.observe(summary.outcome.attempts)
  }

  /** Drops a deleted webhook's series, so their number follows the configs, not every name ever served. */
  forgetWebhook(webhook: string): void {
    for (const outcome of WEBHOOK_OUTCOMES) this.webhookRequests.remove({ webhook, outcome })
    this.webhookLatency.remove({ webhook })
  }

  webhookDone(webhook: string, result: WebhookResult): void {
    this.webhookRequests.inc({ webhook, outcome: result.ok ? 'ok' : result.reason })
    if (result.ok || (result.reason !== 'circuit_open' && result.reason !== 'aborted')) this.webhookLatency.observe({ webhook }, result.latencyMs / 1000)
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() }
  }
}
