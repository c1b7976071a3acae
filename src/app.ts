/**
 * Builds the router from validated settings: Redis, the config source, the
 * webhook client and the Event Socket server whose sessions run the call
 * flow. No I/O happens until `listen()`; `close()` stops in order.
 */
import type { AddressInfo } from 'node:net'
import { handleCall, type CallSummary } from './call/flow.ts'
import type { Settings } from './config/env.ts'
import { connectRedis, watchConnection, type RedisClient } from './config/redis-connection.ts'
import { ConfigStore } from './config/store.ts'
import type { ConfigSource } from './config/source.ts'
import { EslServer } from './esl/server.ts'
import type { Logger } from './logger.ts'
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
  /** Told about every finished call (tests, metrics). */
  readonly onCallDone?: (summary: CallSummary) => void
}

export interface App {
  listen(): Promise<{ readonly esl: AddressInfo }>
  /** Stops accepting calls, lets calls in progress run for `drainMs`, hands the rest back, then closes Redis and HTTP. */
  close(options?: { drainMs?: number }): Promise<void>
  readonly esl: EslServer
  readonly webhooks: WebhookClient
  readonly redis: RedisClient | undefined
  /** The cached config store (absent when configs were injected). */
  readonly store: ConfigStore | undefined
}

export function createApp(options: AppOptions): App {
  const { settings, logger } = options
  const redis = options.configs ? undefined : connectRedis(settings.redis, { connectionName: 'webhook-router' })
  const unwatchRedis = redis ? watchConnection(redis, 'configs', logger) : undefined
  const store = redis
    ? new ConfigStore({
        redis,
        target: settings.redis,
        prefix: settings.redisPrefix,
        rules: { allowedApps: settings.allowedApps },
        maxEntries: settings.cacheMaxEntries,
        logger,
      })
    : undefined
  const configs = options.configs ?? (store as ConfigStore)
  const webhooks = new WebhookClient({
    allowNets: settings.webhookAllowNets,
    logger,
    circuitThreshold: settings.circuitFailures,
    circuitCooldownMs: settings.circuitCooldownMs,
    ...(options.webhookCa ? { ca: options.webhookCa } : {}),
  })
  const callDependencies = {
    configs,
    webhooks,
    dial: { dialE164: settings.dialE164, dialExtension: settings.dialExtension },
    defaultOnFailure: settings.defaultOnFailure,
    logger,
  }
  const esl = new EslServer({
    host: settings.eslHost,
    port: settings.eslPort,
    allow: settings.eslAllow,
    logger,
    onSession: async (session) => {
      const summary = await handleCall(session, callDependencies)
      if (summary) options.onCallDone?.(summary)
    },
  })
  return {
    esl,
    webhooks,
    redis,
    store,
    async listen() {
      if (store) {
        store.start()
        // Calls that arrive before Redis answers would all take the fallback: give it a moment first.
        if (!(await store.whenReady(options.redisStartWaitMs ?? 5000))) {
          logger.warn({}, 'Redis not reachable yet: starting anyway; calls take DEFAULT_ON_FAILURE until it is')
        }
      }
      const address = await esl.listen()
      logger.info({ host: address.address, port: address.port }, 'event socket server listening')
      return { esl: address }
    },
    async close(closeOptions = {}) {
      await esl.close({ drainMs: closeOptions.drainMs ?? 0 })
      await webhooks.close()
      await store?.close()
      unwatchRedis?.()
      if (redis) await redis.quit().catch(() => redis.disconnect())
    },
  }
}
