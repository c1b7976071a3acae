/**
 * The config store on its own against a real redis-server: what each lookup
 * costs (hits, reads), what each edit logs (loaded, updated, refused once,
 * restored, removed, invalid) with the fields an alert rule reads, a key that
 * is not a hash, one read per name at a time, and Redis going away.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { connectRedis, type RedisClient } from '../../src/config/redis-connection.ts'
import { ConfigStore } from '../../src/config/store.ts'
import { DEFAULT_STEP_POLICY } from '../../src/steps/grammar.ts'
import { eventually, within } from '../support/deadline.ts'
import { captureLogs, type CapturedLogs } from '../support/log-capture.ts'
import { RedisProcess, testClient } from '../support/redis-server.ts'

describe('config store', () => {
  let redis: RedisProcess
  let client: RedisClient
  let admin: RedisClient
  let logs: CapturedLogs
  let store: ConfigStore
  const removed: string[] = []

  before(async () => {
    redis = await RedisProcess.start()
    const target = { kind: 'url', url: redis.url } as const
    client = connectRedis(target, { connectionName: 'store-test' })
    client.on('error', () => {})
    admin = testClient(target)
    logs = captureLogs()
    store = new ConfigStore({ redis: client, target, prefix: 'webhook:', rules: DEFAULT_STEP_POLICY, maxEntries: 100, logger: logs.logger, onRemoved: (name) => removed.push(name) })
    store.start()
    assert.equal(await store.whenReady(10_000), true, 'the store did not become ready')
    assert.equal(store.ready, true)
    assert.equal(store.tracking, true)
  })
  after(async () => {
    await store.close()
    client.disconnect()
    admin.disconnect()
    await redis.stop()
  })

  const url = (path: string): string => `https://crm.example.com/${path}`
  const lookupUrl = async (name: string): Promise<string | undefined> => {
    const lookup = await store.lookup(name)
    return lookup.kind === 'found' ? lookup.config.url.source : undefined
  }
  const linesFor = (message: string, key: string) => logs.find(message).filter((line) => line['key'] === key)

  it('a name that is not a webhook name is missing without a read', async () => {
    const reads = store.stats.reads
    assert.deepEqual(await store.lookup('not a name!'), { kind: 'missing' })
    assert.deepEqual(await store.lookup(''), { kind: 'missing' })
    assert.equal(store.stats.reads, reads)
  })

  it('an unknown name is read once, then answered from memory as missing', async () => {
    const { reads, hits } = store.stats
    assert.deepEqual(await store.lookup('absent'), { kind: 'missing' })
    assert.deepEqual(await store.lookup('absent'), { kind: 'missing' })
    assert.equal(store.stats.reads, reads + 1)
    assert.equal(store.stats.hits, hits + 1)
    assert.equal(linesFor('webhook config removed', 'webhook:absent').length, 0, 'never there, never removed')
  })

  it('concurrent lookups of one name share one read', async () => {
    await admin.hset('webhook:shared', 'url', url('shared'))
    const reads = store.stats.reads
    const lookups = await Promise.all([store.lookup('shared'), store.lookup('shared'), store.lookup('shared')])
    assert.deepEqual(lookups.map((lookup) => lookup.kind), ['found', 'found', 'found'])
    assert.equal(store.stats.reads, reads + 1)
  })

  it('an edit\'s life: loaded, a rewrite of the same values silent, updated, refused once, restored, removed', async () => {
    const key = 'webhook:life'
    await admin.hset(key, 'url', url('v1'))
    assert.equal(await lookupUrl('life'), url('v1'))
    assert.equal(linesFor('webhook config loaded', key).length, 1)

    // The same values written again: invalidated and read, nothing logged.
    const invalidations = store.stats.invalidations
    await admin.hset(key, 'url', url('v1'))
    await eventually(() => store.stats.invalidations > invalidations, 5000, 'the invalidation of a rewrite')
    await eventually(async () => (await store.lookup('life')).kind === 'found' && store.stats.reads > 0, 5000, 'the re-read')
    assert.equal(linesFor('webhook config updated', key).length, 0)

    await admin.hset(key, 'url', url('v2'))
    await eventually(async () => (await lookupUrl('life')) === url('v2'), 5000, 'the edit to v2 applying')
    assert.equal(linesFor('webhook config updated', key).length, 1)

    const refused = store.stats.refused
    await admin.hset(key, 'ivr', 'maybe')
    const [line] = await within(Promise.all([logs.next('webhook config edit refused', (entry) => entry['key'] === key)]), 5000, 'the refused edit logged')
    assert.equal(line.msg, 'webhook config edit refused, the last valid version keeps serving')
    assert.equal(line['field'], 'ivr')
    assert.equal(line['value'], '"maybe"')
    assert.equal(line['reason'], 'must be 1/true/yes or 0/false/no')
    assert.deepEqual(line['problems'], ['webhook:life field ivr = "maybe": must be 1/true/yes or 0/false/no'])
    assert.equal(store.stats.refused, refused + 1)
    assert.equal(await lookupUrl('life'), url('v2'), 'the last valid version keeps serving')

    // The same refused values again: not refused (nor logged) twice.
    const before = store.stats.invalidations
    await admin.hset(key, 'ivr', 'maybe')
    await eventually(() => store.stats.invalidations > before, 5000, 'the invalidation of the repeated refused edit')
    await eventually(async () => (await lookupUrl('life')) === url('v2'), 5000, 'serving v2')
    assert.equal(store.stats.refused, refused + 1)
    assert.equal(linesFor('webhook config edit refused, the last valid version keeps serving', key).length, 1)

    // Undone: the valid version is what Redis holds again.
    const restored = logs.next('webhook config updated', (entry) => entry['key'] === key)
    await admin.hdel(key, 'ivr')
    await within(restored, 5000, 'the restored version logged')
    assert.equal(linesFor('webhook config updated', key).length, 2)

    const gone = logs.next('webhook config removed', (entry) => entry['key'] === key)
    await admin.del(key)
    await within(gone, 5000, 'the removal logged')
    assert.deepEqual(await store.lookup('life'), { kind: 'missing' })
    assert.deepEqual(removed, ['life'])
  })

  it('a config invalid from the start: invalid, with the whole message, logged once', async () => {
    const key = 'webhook:broken'
    await admin.hset(key, { url: url('b'), ivr: 'maybe', method: 'PUT' })
    const lookup = await store.lookup('broken')
    assert.equal(lookup.kind, 'invalid')
    assert.equal(lookup.kind === 'invalid' ? lookup.error.message : '', 'webhook:broken field method = "PUT": must be GET or POST; webhook:broken field ivr = "maybe": must be 1/true/yes or 0/false/no')
    const [line] = linesFor('webhook config invalid, calls take the failure path (config_invalid)', key)
    assert.equal(line?.['field'], 'method')
    assert.equal(line?.['value'], '"PUT"')
    assert.equal((line?.['problems'] as unknown[]).length, 2)
    // Unchanged: served from memory, not logged again.
    assert.equal((await store.lookup('broken')).kind, 'invalid')
    await admin.hset(key, 'url', url('b'))
    await eventually(() => linesFor('webhook config invalid, calls take the failure path (config_invalid)', key).length === 1 && store.stats.invalidations > 0, 5000, 'the rewrite read')
    assert.equal(linesFor('webhook config invalid, calls take the failure path (config_invalid)', key).length, 1)
    await admin.hset(key, { ivr: '1', method: 'POST' })
    await eventually(async () => (await store.lookup('broken')).kind === 'found', 5000, 'the fixed config found')
    assert.equal(linesFor('webhook config loaded', key).length, 1, 'a fixed config is loaded, not updated')
  })

  it('a key that is not a hash is an invalid config, not an outage', async () => {
    await admin.set('webhook:string', 'oops')
    const errors = store.stats.readErrors
    const lookup = await store.lookup('string')
    assert.equal(lookup.kind, 'invalid')
    assert.equal(lookup.kind === 'invalid' ? lookup.error.message : '', 'webhook:string field (key): is not a hash (use HSET)')
    assert.equal(store.stats.readErrors, errors)
  })

  it('Redis gone: cached configs keep serving, an unknown name is unavailable at once, and the store is not ready', async () => {
    await admin.hset('webhook:cached', 'url', url('cached'))
    assert.equal(await lookupUrl('cached'), url('cached'))
    const errors = store.stats.readErrors
    await redis.kill()
    await eventually(() => !store.ready, 5000, 'the store noticing Redis is gone')
    assert.equal(await store.whenReady(20), false)
    const lookup = await within(store.lookup('never-seen'), 3000, 'a lookup while Redis is gone')
    assert.equal(lookup.kind, 'unavailable')
    assert.match(lookup.kind === 'unavailable' ? lookup.reason : '', /^Redis: /)
    assert.equal(store.stats.readErrors, errors + 1)
    assert.equal(await lookupUrl('cached'), url('cached'))
    assert.equal(logs.find('Redis cache invalidation lost: cached configs keep serving until it is re-armed').length, 1)
    await redis.restart()
    assert.equal(await store.whenReady(10_000), true, 'ready again after the restart')
    // The restarted Redis is empty (no persistence here): re-armed, the store reads what it holds again.
    await eventually(async () => (await store.lookup('cached')).kind === 'missing', 5000, 'the cached config re-read after the re-arm')
    assert.deepEqual(removed.slice(-1), ['cached'])
  })
})
