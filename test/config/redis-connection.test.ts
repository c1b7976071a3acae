/**
 * What the router asks of ioredis for each Redis form (SPEC 4): RESP2, no
 * offline queue and a short command timeout on the call path, the backoff,
 * credentials decoded from the URL, TLS with SNI for a name and never for an
 * IP address, the database number, Sentinel and Cluster options; and the
 * connection watcher's log lines once per change, against a real
 * redis-server that is stopped and started again.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import type { Cluster, Redis } from 'ioredis'
import type { RedisTarget } from '../../src/config/env.ts'
import { connectNode, connectRedis, watchConnection, type RedisClient } from '../../src/config/redis-connection.ts'
import { eventually } from '../support/deadline.ts'
import { captureLogs } from '../support/log-capture.ts'
import { freePort, RedisProcess } from '../support/redis-server.ts'

const opened: RedisClient[] = []

/** A client for `target`, never connected anywhere that answers (a closed local port). */
function optionsOf(target: RedisTarget, options: Parameters<typeof connectRedis>[1] = {}): Redis['options'] {
  const client = connectRedis(target, options)
  client.on('error', () => {})
  opened.push(client)
  client.disconnect()
  return (client as Redis).options
}

describe('Redis connection options', () => {
  after(() => {
    for (const client of opened) client.disconnect()
  })

  it('the call path: RESP2, no offline queue, no retry per request, 1 s commands, 2 s connect, the backoff', () => {
    const options = optionsOf({ kind: 'url', url: 'redis://127.0.0.1:1' }, { connectionName: 'webhook-router' })
    assert.equal(options.protocol, 2)
    assert.equal(options.enableOfflineQueue, false)
    assert.equal(options.maxRetriesPerRequest, 0)
    assert.equal(options.commandTimeout, 1000)
    assert.equal(options.connectTimeout, 2000)
    assert.equal(options.autoResubscribe, true)
    assert.equal(options.connectionName, 'webhook-router')
    assert.deepEqual([1, 2, 39, 40, 41, 1000].map((times) => options.retryStrategy?.(times)), [50, 100, 1950, 2000, 2000, 2000])
  })

  it('tools: an offline queue with three retries, a chosen timeout, giving up after maxReconnects', () => {
    const options = optionsOf({ kind: 'url', url: 'redis://127.0.0.1:1' }, { offlineQueue: true, commandTimeoutMs: 250, maxReconnects: 2, autoResubscribe: false })
    assert.equal(options.enableOfflineQueue, true)
    assert.equal(options.maxRetriesPerRequest, 3)
    assert.equal(options.commandTimeout, 250)
    assert.equal(options.autoResubscribe, false)
    assert.equal(options.connectionName, null, 'none given: ioredis sets none')
    assert.deepEqual([1, 2, 3].map((times) => options.retryStrategy?.(times)), [50, 100, null])
  })

  it('a URL: host, port (6379 by default), database, credentials decoded; brackets off an IPv6 host', () => {
    const options = optionsOf({ kind: 'url', url: 'redis://us%40er:p%3Ass@redis.example.com:6380/7' })
    assert.deepEqual([options.host, options.port, options.db, options.username, options.password, options.tls], ['redis.example.com', 6380, 7, 'us@er', 'p:ss', undefined])
    const plain = optionsOf({ kind: 'url', url: 'redis://[::1]' })
    assert.deepEqual([plain.host, plain.port, plain.db, plain.username, plain.password], ['::1', 6379, 0, null, null])
  })

  it('rediss://: TLS with the host name as SNI; an IP address gets none', () => {
    assert.deepEqual(optionsOf({ kind: 'url', url: 'rediss://redis.example.com:6380' }).tls, { servername: 'redis.example.com' })
    assert.deepEqual(optionsOf({ kind: 'url', url: 'rediss://10.0.0.5:6380' }).tls, {})
    assert.deepEqual(optionsOf({ kind: 'url', url: 'rediss://[::1]:6380' }).tls, {})
  })

  it('a unix socket, as a path or a unix:// URL', () => {
    assert.equal(optionsOf({ kind: 'url', url: '/run/redis/redis.sock' }).path, '/run/redis/redis.sock')
    assert.equal(optionsOf({ kind: 'url', url: 'unix:///run/redis/other.sock' }).path, '/run/redis/other.sock')
  })

  it('Sentinel: the sentinels, the master name, the credentials of REDIS_URL, a slower backoff', () => {
    const options = optionsOf({ kind: 'sentinel', sentinels: [{ host: 's1', port: 26379 }], name: 'main', url: 'redis://u:pw@ignored:1' })
    assert.deepEqual(options.sentinels, [{ host: 's1', port: 26379 }])
    assert.equal(options.name, 'main')
    assert.deepEqual([options.username, options.password], ['u', 'pw'])
    assert.deepEqual([1, 2, 20, 21].map((times) => options.sentinelRetryStrategy?.(times)), [100, 200, 2000, 2000])
    const bare = optionsOf({ kind: 'sentinel', sentinels: [{ host: 's1', port: 26379 }], name: 'main', url: undefined })
    assert.deepEqual([bare.username, bare.password], [null, null])
  })

  it('Cluster: the nodes, per-node options with the credentials, no offline queue', () => {
    const cluster = connectRedis({ kind: 'cluster', nodes: [{ host: '127.0.0.1', port: 1 }], url: 'redis://u:pw@x' }) as Cluster
    cluster.on('error', () => {})
    opened.push(cluster)
    cluster.disconnect()
    assert.deepEqual((cluster as unknown as { startupNodes: unknown }).startupNodes, [{ host: '127.0.0.1', port: 1 }])
    assert.equal(cluster.options.enableOfflineQueue, false)
    assert.deepEqual([cluster.options.redisOptions?.username, cluster.options.redisOptions?.password, cluster.options.redisOptions?.protocol], ['u', 'pw', 2])
    assert.deepEqual([1, 30].map((times) => cluster.options.clusterRetryStrategy?.(times)), [100, 2000])
  })

  it('one node of a target: its host and port, the target\'s credentials, TLS with that node\'s name', () => {
    const node = connectNode('10.0.0.9', 7001, { kind: 'cluster', nodes: [], url: 'rediss://u:pw@cluster.example.com' })
    node.on('error', () => {})
    opened.push(node)
    node.disconnect()
    assert.deepEqual([node.options.host, node.options.port, node.options.username, node.options.password], ['10.0.0.9', 7001, 'u', 'pw'])
    assert.deepEqual(node.options.tls, {}, 'an IP address: no SNI')
    const named = connectNode('node1.example.com', 7001, { kind: 'cluster', nodes: [], url: 'rediss://cluster.example.com' })
    named.on('error', () => {})
    opened.push(named)
    named.disconnect()
    assert.deepEqual(named.options.tls, { servername: 'node1.example.com' })
    const plain = connectNode('10.0.0.9', 7001, { kind: 'cluster', nodes: [], url: undefined })
    plain.on('error', () => {})
    opened.push(plain)
    plain.disconnect()
    assert.deepEqual([plain.options.tls, plain.options.username, plain.options.password], [undefined, null, null])
  })
})

describe('Redis connection watcher', () => {
  it('logs connected, lost and reconnected once each, and tells the listener', async () => {
    const port = await freePort()
    const redis = await RedisProcess.start([], port)
    const logs = captureLogs()
    const client = connectRedis({ kind: 'url', url: redis.url })
    const changes: boolean[] = []
    const stop = watchConnection(client, 'configs', logs.logger, (up) => changes.push(up))
    try {
      await eventually(() => changes.length === 1, 5000, 'the first connection')
      await redis.kill()
      await eventually(() => changes.length === 2, 5000, 'the connection loss noticed')
      await redis.restart()
      await eventually(() => changes.length === 3, 10_000, 'the reconnection')
      assert.deepEqual(changes, [true, false, true])
      const lines = logs.lines.filter((line) => line['redis'] === 'configs' && line.msg !== 'redis error')
      assert.deepEqual(
        lines.map((line) => [line.level, line.msg]),
        [
          [30, 'redis connected'],
          [40, 'redis connection lost: reconnecting; cached configs keep serving'],
          [30, 'redis reconnected'],
        ],
      )
      stop()
      await redis.kill()
      await eventually(() => client.status !== 'ready', 5000, 'the second loss')
      assert.deepEqual(changes, [true, false, true], 'stopped: no more changes reported')
    } finally {
      client.disconnect()
      await redis.stop()
    }
  })
})
