/**
 * Redis clients for the configured deployment form (URL, unix socket,
 * Sentinel, Cluster), with options chosen for a call path that must never
 * wait on Redis: RESP2 (invalidations arrive as ordinary pub/sub messages),
 * no offline queue (a command fails at once while disconnected instead of
 * piling up), a command timeout, and reconnection forever with backoff.
 */
import { createRequire } from 'node:module'
import { isIP } from 'node:net'
import { Redis, Cluster, type AbstractConnector, type RedisOptions } from 'ioredis'
import type { Logger } from '../logger.ts'
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
  /** Resubscribe after a reconnect (the invalidation listener re-arms by itself instead). */
  readonly autoResubscribe?: boolean
  /** Give up after this many reconnection attempts (tools); the router retries forever. */
  readonly maxReconnects?: number
}

/** Backoff between reconnections: 50 ms, 100 ms... up to 2 s; null gives up. */
function backoff(options: ConnectionOptions, step: number): (times: number) => number | null {
  return (times) => (options.maxReconnects !== undefined && times > options.maxReconnects ? null : Math.min(times * step, 2000))
}

function baseOptions(options: ConnectionOptions): Options {
  return {
    protocol: 2,
    enableOfflineQueue: options.offlineQueue ?? false,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    maxRetriesPerRequest: options.offlineQueue ? 3 : 0,
    connectTimeout: 2000,
    retryStrategy: backoff(options, 50),
    lazyConnect: false,
    autoResubscribe: options.autoResubscribe ?? true,
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
  }
}

/**
 * ioredis's own connector with one more listener: ioredis handles one
 * 'error' per socket, and a TLS socket can emit two (a certificate refused,
 * then the alert the server sends back), which would crash the process.
 * Later errors of a socket ioredis already gave up are dropped here.
 */
const require = createRequire(import.meta.url)
type ErrorEmitter = Parameters<AbstractConnector['connect']>[0]
interface Connector extends AbstractConnector {
  connect(onError: ErrorEmitter): ReturnType<AbstractConnector['connect']>
}
const { default: StandaloneConnector } = require('ioredis/built/connectors/StandaloneConnector.js') as { default: new (options: unknown) => Connector }
class TolerantConnector extends StandaloneConnector {
  override async connect(onError: ErrorEmitter): ReturnType<AbstractConnector['connect']> {
    const stream = await super.connect(onError)
    stream.on('error', () => {})
    return stream
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
    ...(parsed.protocol === 'rediss:' ? { tls: tlsFor(parsed.hostname.replace(/^\[|\]$/g, '')), Connector: TolerantConnector } : {}),
  }
}

/** TLS options for a host: a name is sent as the server name (SNI); an IP address never is (RFC 6066). */
function tlsFor(host: string): { servername?: string } {
  return isIP(host) === 0 ? { servername: host } : {}
}

/** Credentials and TLS of the target, for connections made to one node of it. */
function authOptions(target: RedisTarget): Options {
  if (target.url === undefined) return {}
  const parsed = urlOptions(target.url)
  return {
    ...(parsed.username ? { username: parsed.username } : {}),
    ...(parsed.password ? { password: parsed.password } : {}),
    ...(parsed.tls ? { tls: parsed.tls, Connector: TolerantConnector } : {}),
  }
}

/** A standalone connection to one node of the target (a Cluster master), with its credentials. */
export function connectNode(host: string, port: number, target: RedisTarget, options: ConnectionOptions = {}): Redis {
  const auth = authOptions(target)
  return newRedis({ ...baseOptions(options), ...auth, ...(auth.tls ? { tls: tlsFor(host) } : {}), host, port })
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
        sentinelRetryStrategy: backoff(options, 100),
      })
    }
    case 'cluster': {
      const auth: Options = target.url ? urlOptions(target.url) : {}
      return new Cluster([...target.nodes], {
        redisOptions: { ...base, ...(auth.password ? { password: auth.password } : {}), ...(auth.username ? { username: auth.username } : {}) },
        enableOfflineQueue: options.offlineQueue ?? false,
        clusterRetryStrategy: backoff(options, 100),
      })
    }
  }
}

/**
 * Logs a client's connection state changes once each (connected, lost,
 * reconnected), not every retry; `onChange` feeds health checks and metrics.
 */
export function watchConnection(client: RedisClient, name: string, logger: Logger, onChange?: (up: boolean) => void): () => void {
  let up = false
  let everUp = false
  let lastError = ''
  const onError = (error: Error): void => {
    lastError = error.message
    logger.debug({ redis: name, err: error.message }, 'redis error')
  }
  const onReady = (): void => {
    if (up) return
    up = true
    logger.info({ redis: name }, everUp ? 'redis reconnected' : 'redis connected')
    everUp = true
    onChange?.(true)
  }
  const onClose = (): void => {
    if (!up) return
    up = false
    logger.warn({ redis: name, err: lastError || undefined }, 'redis connection lost: reconnecting; cached configs keep serving')
    onChange?.(false)
  }
  client.on('error', onError)
  client.on('ready', onReady)
  client.on('close', onClose)
  // Stops the state logging (shutdown); errors stay handled so none is ever unhandled.
  return () => {
    client.off('ready', onReady)
    client.off('close', onClose)
  }
}
