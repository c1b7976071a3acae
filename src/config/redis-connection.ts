/**
 * Redis clients for the configured deployment form (URL, unix socket,
 * Sentinel, Cluster), with options chosen for a call path that must never
 * wait on Redis: RESP2 (invalidations arrive as ordinary pub/sub messages),
 * no offline queue (a command fails at once while disconnected instead of
 * piling up), a command timeout, and reconnection forever with backoff.
 */
import { Redis, Cluster, type RedisOptions } from 'ioredis'
import type { RedisTarget } from './env.ts'

export type RedisClient = Redis | Cluster

// ioredis's option types carry `replyMapping?: X | undefined`, which its own constructor
// overloads refuse under exactOptionalPropertyTypes; the options are checked where built.
type Options = Omit<RedisOptions, 'replyMapping'>
const newRedis = (options: Options): Redis => new Redis(options as never)

export interface ConnectionOptions {
  /** ms before a command fails (the call then uses its cached config or fails over). */
  readonly commandTimeoutMs?: number
  /** Queue commands while disconnected (CLI tools: yes; the call path: no). */
  readonly offlineQueue?: boolean
  readonly connectionName?: string
}

function baseOptions(options: ConnectionOptions): Options {
  return {
    protocol: 2,
    enableOfflineQueue: options.offlineQueue ?? false,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    maxRetriesPerRequest: options.offlineQueue ? 3 : 0,
    connectTimeout: 2000,
    // Reconnect forever: 50 ms, 100 ms... up to 2 s between attempts.
    retryStrategy: (times) => Math.min(times * 50, 2000),
    lazyConnect: false,
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
  }
}

/** Options from a redis:// or rediss:// URL, or a unix socket path. */
function urlOptions(url: string): Options {
  if (url.startsWith('/')) return { path: url }
  const parsed = new URL(url)
  if (parsed.protocol === 'unix:') return { path: parsed.pathname }
  const db = parsed.pathname.replace('/', '')
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db !== '' ? { db: Number(db) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: { servername: parsed.hostname } } : {}),
  }
}

export function connectRedis(target: RedisTarget, options: ConnectionOptions = {}): RedisClient {
  const base = baseOptions(options)
  switch (target.kind) {
    case 'url':
      return newRedis({ ...base, ...urlOptions(target.url) })
    case 'sentinel': {
      const auth: Options = target.url ? urlOptions(target.url) : {}
      return newRedis({
        ...base,
        ...(auth.password ? { password: auth.password } : {}),
        ...(auth.username ? { username: auth.username } : {}),
        sentinels: [...target.sentinels],
        name: target.name,
        sentinelRetryStrategy: (times) => Math.min(times * 100, 2000),
      })
    }
    case 'cluster': {
      const auth: Options = target.url ? urlOptions(target.url) : {}
      return new Cluster([...target.nodes], {
        redisOptions: { ...base, ...(auth.password ? { password: auth.password } : {}), ...(auth.username ? { username: auth.username } : {}) },
        enableOfflineQueue: options.offlineQueue ?? false,
        clusterRetryStrategy: (times) => Math.min(times * 100, 2000),
      })
    }
  }
}
