/**
 * Builds the router from validated settings: Redis and the cached config
 * store, the webhook client, the Event Socket server whose sessions run the
 * call flow, metrics and the operations endpoints. No I/O happens until
 * `listen()`; `close()` stops in order.
 */
import type { AddressInfo } from 'node:net'
import { handleCall, type CallSummary } from './call/flow.ts'
import type { Settings } from './config/env.ts'
import { connectRedis, watchConnection, type RedisClient } from './config/redis-connection.ts'
import type { ConfigSource } from './config/source.ts'
import { ConfigStore } from './config/store.ts'
import { EslServer } from './esl/server.ts'
import type { SessionOptions } from './esl/session.ts'
import type { Logger } from './logger.ts'
import { OpsServer, type Readiness } from './ops/http-server.ts'
import { Metrics } from './ops/metrics.ts'
import { CallRecorder } from './records/recorder.ts'
import { WebhookClient } from './webhook/client.ts'

export interface AppOptions {
  readonly settings: Settings
  readonly logger: Logger
  /** Replaces the Redis-backed config source (tests). */
  readonly configs?: ConfigSource
  /** Extra CA for webhook TLS (tests). */
  readonly webhookCa?: string | Buffer
  /** How long `listen()` waits for Redis before accepting calls anyway (5 s). */
  readonly redisStartWaitMs?: number
  /** Told about every finished call (tests). */
  readonly onCallDone?: (summary: CallSummary) => void
  /** Event Socket session tuning (tests: short reply deadlines). */
  readonly session?: Partial<SessionOptions>
}

export interface App {
  listen(): Promise<{ readonly esl: AddressInfo; readonly http: AddressInfo | undefined }>
  /**
   * Graceful stop: no new calls; conversations already bridged are handed back
   * at once (they go on in FreeSWITCH); other calls in progress may finish for
   * `drainMs`, then are handed back to the dialplan; then Redis and the HTTP
   * agent close.
   */
  close(options?: { drainMs?: number }): Promise<void>
  readiness(): Readiness
  readonly esl: EslServer
  readonly webhooks: WebhookClient
  readonly redis: RedisClient | undefined
  /** The cached config store (absent when configs were injected). */
  readonly store: ConfigStore | undefined
  readonly metrics: Metrics
  /** Call records and alerts (absent when configs were injected). */
  readonly recorder: CallRecorder | undefined
}

export function createApp(options: AppOptions): App {
  const { settings, logger } = options
  const redis = options.configs ? undefined : connectRedis(settings.redis, { connectionName: 'webhook-router' })
  let redisUp = false
  let recorder: CallRecorder | undefined
  const unwatchRedis = redis
    ? watchConnection(redis, 'configs', logger, (up) => {
        redisUp = up
        recorder?.redisChanged(up)
      })
    : undefined
  const store = redis
    ? new ConfigStore({
        redis,
        target: settings.redis,
        prefix: settings.redisPrefix,
        rules: settings.stepPolicy,
        maxEntries: settings.cacheMaxEntries,
        logger,
        onRemoved: (name) => metrics.forgetWebhook(name),
      })
    : undefined
  const configs = options.configs ?? (store as ConfigStore)

  let esl: EslServer | undefined
  let webhooks: WebhookClient | undefined
  const metrics = new Metrics({
    activeCalls: () => esl?.activeSessions ?? 0,
    cache: () => (store ? { entries: store.size, tracking: store.tracking, ...store.stats } : undefined),
    redisUp: () => (redis ? redisUp : undefined),
    circuits: () => webhooks?.breaker.openOrigins() ?? [],
  })
  // Call records and alerts go to Redis off the call's path (src/records).
  recorder = redis ? new CallRecorder({ redis, prefix: settings.recordsPrefix, perWebhook: settings.recordsPerWebhook, total: settings.recordsTotal, logger, registry: metrics.registry }) : undefined
  webhooks = new WebhookClient({
    allowNets: settings.webhookAllowNets,
    logger,
    circuitThreshold: settings.circuitFailures,
    circuitCooldownMs: settings.circuitCooldownMs,
    onResult: (webhook, result) => metrics.webhookDone(webhook, result),
    onCircuitChange: (origin, state) => recorder?.circuitChanged(origin, state),
    ...(options.webhookCa ? { ca: options.webhookCa } : {}),
  })
  const callDependencies = {
    configs,
    webhooks: recorder ? recorder.wrap(webhooks) : webhooks,
    dial: { dialE164: settings.dialE164, dialExtension: settings.dialExtension },
    defaultOnFailure: settings.defaultOnFailure,
    logger,
  }
  esl = new EslServer({
    host: settings.eslHost,
    port: settings.eslPort,
    allow: settings.eslAllow,
    logger,
    ...(options.session ? { session: options.session } : {}),
    onSession: async (session) => {
      const summary = await handleCall(session, callDependencies)
      if (!summary) return
      metrics.callDone(summary)
      recorder?.callDone(summary)
      options.onCallDone?.(summary)
    },
  })
  const ops = settings.httpPort === undefined ? undefined : new OpsServer({ readiness: () => readiness(), metrics: () => metrics.render() }, logger)
  let stopping = false
  let closing: Promise<void> | undefined

  function readiness(): Readiness {
    const reasons: string[] = []
    if (stopping) reasons.push('shutting down')
    if (!esl?.listening) reasons.push('event socket server not listening')
    if (store && !store.ready && store.size === 0) reasons.push('Redis not reachable and no config cached')
    return { ready: reasons.length === 0, reasons }
  }

  return {
    esl,
    webhooks,
    redis,
    store,
    metrics,
    recorder,
    readiness,
    async listen() {
      // The probes answer from the start (not ready until the socket server listens).
      const http = ops && settings.httpPort !== undefined ? await ops.listen(settings.httpHost, settings.httpPort) : undefined
      if (http) logger.info({ host: http.address, port: http.port }, 'operations endpoints listening (/healthz, /readyz, /metrics)')
      if (store) {
        store.start()
        // Calls that arrive before Redis answers would all take the fallback: give it a moment first.
        if (!(await store.whenReady(options.redisStartWaitMs ?? 5000))) {
          logger.warn({}, 'Redis not reachable yet: starting anyway; calls take DEFAULT_ON_FAILURE until it is')
        }
      }
      const address = await esl.listen()
      logger.info({ host: address.address, port: address.port }, 'event socket server listening')
      return { esl: address, http }
    },
    close(closeOptions = {}) {
      // Idempotent: a second call (a second signal, a test's cleanup) waits for the first.
      closing ??= (async () => {
        stopping = true
        await esl.close({ drainMs: closeOptions.drainMs ?? 0, handBackBridged: true })
        await webhooks.close()
        await store?.close()
        await recorder?.close()
        unwatchRedis?.()
        if (redis) await redis.quit().catch(() => redis.disconnect())
        await ops?.close()
      })()
      return closing
    },
  }
}
