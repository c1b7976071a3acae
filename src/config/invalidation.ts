/**
 * Server-assisted cache invalidation: Redis client-side caching in broadcast
 * mode. One connection per Redis node runs
 * `CLIENT TRACKING ON REDIRECT <its own id> BCAST PREFIX <prefix>` and then
 * subscribes to `__redis__:invalidate` (RESP2), so Redis pushes the name of
 * every key under the prefix that changes (HSET, DEL, EXPIRE, FLUSHALL...),
 * including keys the router never read (a new webhook replaces a cached
 * "missing"). Tracking lives and dies with the connection: on every
 * (re)connect it is armed again and the store is told to re-check what it
 * holds, since anything may have changed in between.
 */
import type { Cluster, Redis } from 'ioredis'
import type { Logger } from '../logger.ts'
import type { RedisTarget } from './env.ts'
import { connectNode, connectRedis, type RedisClient } from './redis-connection.ts'

const CHANNEL = '__redis__:invalidate'

export interface InvalidationEvents {
  /** These keys changed; `null`: everything may have (FLUSHALL, FLUSHDB). */
  onInvalidate(keys: readonly string[] | null): void
  /** Tracking is armed again on every node after a (re)connect: what is cached may be stale. */
  onArmed(): void
  /** A node's tracking connection went down: invalidations may be missed until it is armed again. */
  onDisarmed(): void
}

interface NodeListener {
  readonly connection: Redis
  armed: boolean
}

export class InvalidationListener {
  private readonly nodes = new Map<string, NodeListener>()
  private closed = false
  private refreshHandler: (() => void) | undefined

  constructor(
    private readonly target: RedisTarget,
    private readonly prefix: string,
    private readonly events: InvalidationEvents,
    private readonly logger: Logger,
    /** The data client; for a Cluster, where the masters are learnt from. */
    private readonly dataClient: RedisClient,
  ) {}

  /** True when every node's tracking is armed: cached entries are kept fresh by Redis. */
  get armed(): boolean {
    if (this.nodes.size === 0) return false
    for (const node of this.nodes.values()) if (!node.armed) return false
    return true
  }

  start(): void {
    if (this.target.kind !== 'cluster') {
      // Not a cluster target, so a single-node client (it follows Sentinel failovers by itself).
      this.addNode('redis', connectRedis(this.target, { connectionName: 'webhook-router:invalidations', autoResubscribe: false }) as Redis)
      return
    }
    // Cluster: keys live on every master; each master tracks its own.
    const cluster = this.dataClient as Cluster
    this.refreshHandler = () => this.syncClusterMasters(cluster)
    cluster.on('refresh', this.refreshHandler)
    this.syncClusterMasters(cluster)
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.refreshHandler) (this.dataClient as Cluster).off('refresh', this.refreshHandler)
    for (const node of this.nodes.values()) node.connection.disconnect()
    this.nodes.clear()
  }

  private syncClusterMasters(cluster: Cluster): void {
    if (this.closed) return
    const masters = new Map<string, Redis>(cluster.nodes('master').map((redis) => [`${redis.options.host ?? ''}:${redis.options.port ?? 0}`, redis]))
    for (const [key, node] of this.nodes) {
      if (masters.has(key)) continue
      node.connection.disconnect()
      this.nodes.delete(key)
    }
    for (const [key, redis] of masters) {
      if (this.nodes.has(key)) continue
      const connection = connectNode(redis.options.host ?? '127.0.0.1', redis.options.port ?? 6379, this.target, {
        connectionName: 'webhook-router:invalidations',
        autoResubscribe: false,
      })
      this.addNode(key, connection)
    }
    // A new master's keys were not tracked before: treat it like a re-arm once it is armed.
  }

  private addNode(key: string, connection: Redis): void {
    const node: NodeListener = { connection, armed: false }
    this.nodes.set(key, node)
    connection.on('error', (error: Error) => this.logger.debug({ node: key, err: error.message }, 'invalidation connection error'))
    connection.on('messageBuffer', (channel: Buffer, message: Buffer[] | Buffer | null) => {
      if (channel.toString() !== CHANNEL) return
      if (message === null) this.events.onInvalidate(null)
      else this.events.onInvalidate((Array.isArray(message) ? message : [message]).map((name) => name.toString('utf8')))
    })
    connection.on('close', () => {
      if (!node.armed || this.closed) return
      node.armed = false
      this.events.onDisarmed()
    })
    connection.on('ready', () => void this.arm(key, node))
  }

  private async arm(key: string, node: NodeListener): Promise<void> {
    const connection = node.connection
    try {
      const id = await connection.client('ID')
      await connection.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(id), 'BCAST', 'PREFIX', this.prefix)
      await connection.subscribe(CHANNEL)
    } catch (error) {
      if (this.closed) return
      // Redis before 6.0 has no CLIENT TRACKING: without it nothing may be cached.
      this.logger.error({ node: key, err: (error as Error).message }, 'cannot arm Redis cache invalidation (CLIENT TRACKING needs Redis 6+): configs are read on every call')
      return
    }
    if (this.closed || connection.status !== 'ready') return
    node.armed = true
    this.logger.debug({ node: key, prefix: this.prefix }, 'cache invalidation armed')
    if (this.armed) this.events.onArmed()
  }
}
