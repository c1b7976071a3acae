/**
 * Live configuration (SPEC 3): edits made with a separate Redis client apply
 * to the next call, the steady state costs no Redis command, invalid edits
 * keep the last valid version, and a dead Redis does not stop cached
 * webhooks. Real redis-server processes throughout.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { ConfigStore } from '../../src/config/store.ts'
import { until } from '../support/esl-harness.ts'
import { commandStats, RedisProcess } from '../support/redis-server.ts'
import { RouterHarness } from '../support/router-harness.ts'
import { loadCalls } from '../support/load.ts'

function storeOf(h: RouterHarness): ConfigStore {
  const store = h.app.store
  assert.ok(store)
  return store
}

/** Resolves once the router's store returns a config for `name` that satisfies `check`; ms it took. */
async function timeUntilApplied(h: RouterHarness, name: string, check: (url: string) => boolean, since: number): Promise<number> {
  const store = storeOf(h)
  for (;;) {
    const lookup = await store.lookup(name)
    if (lookup.kind === 'found' && check(lookup.config.url.source)) return performance.now() - since
    await new Promise((resolve) => setImmediate(resolve))
  }
}

describe('live configuration', () => {
  let h: RouterHarness
  before(async () => {
    h = await RouterHarness.start({ env: { DEFAULT_ON_FAILURE: '["playback ivr/not-configured.wav"]' } })
  })
  after(async () => h.close())

  it('an HSET from another client applies to the next call; edit-to-effect delay is bounded', async () => {
    await h.configure('live', { url: h.webhook.url('/v0') })
    h.webhook.reply({ body: 'status=ACK' })
    await h.call({ variables: { webhook: 'live' } })
    const delays: number[] = []
    for (let version = 1; version <= 30; version++) {
      const started = performance.now()
      await h.admin.hset('webhook:live', 'url', h.webhook.url(`/v${version}`))
      delays.push(await timeUntilApplied(h, 'live', (url) => url.endsWith(`/v${version}`), started))
      // And the call placed right after the edit uses it.
      await h.call({ variables: { webhook: 'live' } })
      assert.equal(h.webhook.requests.at(-1)?.url, `/v${version}`)
    }
    delays.sort((a, b) => a - b)
    const p50 = delays[Math.floor(delays.length / 2)] ?? 0
    const max = delays.at(-1) ?? 0
    console.log(`edit-to-effect: p50 ${p50.toFixed(2)} ms, max ${max.toFixed(2)} ms over ${delays.length} edits`)
    assert.ok(max < 500, `an edit took ${max} ms to apply`)
  })

  it(`the steady state makes zero Redis commands per call (INFO commandstats across ${loadCalls} calls)`, async () => {
    await h.configure('steady', { url: h.webhook.url('/steady'), on_success: '["hangup"]' })
    h.webhook.reply({ body: 'status=ACK' })
    await h.call({ variables: { webhook: 'steady' } })
    await h.app.recorder?.writer.flush()
    const before = await commandStats(h.admin)
    const calls = loadCalls
    const concurrency = 25
    let placed = 0
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (placed < calls) {
          placed++
          const { summary } = await h.call({ variables: { webhook: 'steady' } })
          assert.equal(summary.outcome.reason, 'ok')
        }
      }),
    )
    await h.app.recorder?.writer.flush()
    const after = await commandStats(h.admin)
    // Call records are written off the call's path, batched (src/records): those are the only commands.
    const records = new Set(['xadd', 'pexpire', 'zadd'])
    const ran = [...after].filter(([name]) => name !== 'info').map(([name, count]) => [name, count - (before.get(name) ?? 0)] as const)
    assert.deepEqual(
      ran.filter(([name, count]) => count > 0 && !records.has(name)),
      [],
      `Redis commands during ${calls} calls, besides call records`,
    )
    assert.deepEqual(
      ran.filter(([name]) => records.has(name)).sort(),
      [
        ['pexpire', calls],
        ['xadd', 2 * calls],
        ['zadd', calls],
      ],
      'one record per call, in its webhook stream and the overall one',
    )
  })

  it('unknown names are cached as missing until the key appears', async () => {
    const store = storeOf(h)
    const reads = store.stats.reads
    assert.equal((await h.call({ variables: { webhook: 'later' } })).summary.outcome.reason, 'config_missing')
    assert.equal((await h.call({ variables: { webhook: 'later' } })).summary.outcome.reason, 'config_missing')
    assert.equal(store.stats.reads, reads + 1, 'one read for two calls')
    const started = performance.now()
    await h.configure('later', { url: h.webhook.url('/later') })
    await timeUntilApplied(h, 'later', (url) => url.endsWith('/later'), started)
    h.webhook.reply({ body: 'status=ACK' })
    assert.equal((await h.call({ variables: { webhook: 'later' } })).summary.outcome.reason, 'ok')
  })

  it('a deleted webhook takes the config_missing path on the next call', async () => {
    await h.configure('doomed', { url: h.webhook.url('/doomed') })
    h.webhook.reply({ body: 'status=ACK' })
    assert.equal((await h.call({ variables: { webhook: 'doomed' } })).summary.outcome.reason, 'ok')
    const removed = h.logs.next('webhook config removed', (line) => line['key'] === 'webhook:doomed')
    await h.admin.del('webhook:doomed')
    await removed
    assert.equal((await h.call({ variables: { webhook: 'doomed' } })).summary.outcome.reason, 'config_missing')
  })

  it('invalid edits of every kind are refused with a log line; the last valid version keeps serving', async () => {
    const good = { url: h.webhook.url('/good'), on_failure: '["playback ivr/sorry.wav"]' }
    await h.configure('guarded', good)
    h.webhook.reply({ body: 'status=ACK' })
    await h.call({ variables: { webhook: 'guarded' } })
    const edits: Array<[string, string]> = [
      ['url', 'https://crm.example.com/x?c={pin}'],
      ['url', 'not a url'],
      ['method', 'DELETE'],
      ['timeout_ms', 'soon'],
      ['timeout_ms', '999999'],
      ['caller_id', 'nobody'],
      ['callername_mode', 'loud'],
      ['callername_text', 'x'.repeat(100)],
      ['ivr', 'perhaps'],
      ['ivr_timeout', '0'],
      ['ivr_attempts', 'many'],
      ['ivr_max_digits', '0'],
      ['ivr_terminator', 'enter'],
      ['ivr_start_message', '${system reboot}'],
      ['destinations', '(unclosed'],
      ['on_success', '{not json'],
      ['on_failure', '["system rm -rf /"]'],
      ['secret', 'line\nbreak'],
    ]
    for (const [field, value] of edits) {
      const refused = h.logs.next('webhook config edit refused', (line) => line['key'] === 'webhook:guarded' && line['field'] === field)
      await h.admin.hset('webhook:guarded', field, value)
      const line = await refused
      assert.equal(line['reason'] !== undefined, true)
      if (field === 'secret') assert.ok(!JSON.stringify(line).includes('line\\nbreak'), 'the secret is not logged')
      else assert.ok(String(line['value']).includes(JSON.stringify(value).slice(1, 20)), `${field}: ${String(line['value'])}`)
      const before = h.webhook.requests.length
      const { summary } = await h.call({ variables: { webhook: 'guarded' } })
      assert.equal(summary.outcome.reason, 'ok', field)
      assert.equal(h.webhook.requests.at(-1)?.url, '/good', field)
      assert.equal(h.webhook.requests.length, before + 1)
      // Put the field back; the valid hash applies again.
      const restored = h.logs.next('webhook config updated', (l) => l['key'] === 'webhook:guarded')
      if (field in good) await h.admin.hset('webhook:guarded', field, good[field as keyof typeof good])
      else await h.admin.hdel('webhook:guarded', field)
      await restored
    }
  })

  it('FLUSHALL empties the cache', async () => {
    await h.configure('flushed', { url: h.webhook.url('/f') })
    h.webhook.reply({ body: 'status=ACK' })
    assert.equal((await h.call({ variables: { webhook: 'flushed' } })).summary.outcome.reason, 'ok')
    const removed = h.logs.next('webhook config removed', (line) => line['key'] === 'webhook:flushed')
    await h.admin.flushall()
    await removed
    assert.equal((await h.call({ variables: { webhook: 'flushed' } })).summary.outcome.reason, 'config_missing')
  })
})

describe('the cache is bounded', () => {
  it('keeps at most CONFIG_CACHE_SIZE entries, least recently used out first', async () => {
    const h = await RouterHarness.start({ env: { CONFIG_CACHE_SIZE: '3' } })
    try {
      const store = storeOf(h)
      for (const name of ['a', 'b', 'c', 'd', 'e']) await h.configure(name, { url: h.webhook.url(`/${name}`) })
      for (const name of ['a', 'b', 'c', 'd', 'e']) await store.lookup(name)
      assert.equal(store.size, 3)
      const reads = store.stats.reads
      await store.lookup('e')
      assert.equal(store.stats.reads, reads, 'a recent one is a hit')
      await store.lookup('a')
      assert.equal(store.stats.reads, reads + 1, 'the oldest was evicted')
    } finally {
      await h.close()
    }
  })
})

describe('Redis outages', () => {
  it('SIGKILL while calls flow: cached webhooks keep working; after a restart edits apply again', async () => {
    // Persistence on, as in production: the configs survive the restart.
    const redis = await RedisProcess.start(['--appendonly', 'yes', '--appendfsync', 'always'])
    const h = await RouterHarness.start({ redis, env: { DEFAULT_ON_FAILURE: '["playback ivr/not-configured.wav"]' } })
    try {
      const store = storeOf(h)
      await h.configure('cached', { url: h.webhook.url('/before') })
      h.webhook.reply({ body: 'status=ACK' })
      assert.equal((await h.call({ variables: { webhook: 'cached' } })).summary.outcome.reason, 'ok')

      // Calls keep flowing while Redis dies.
      let stop = false
      let failures = 0
      let completed = 0
      const flow = (async () => {
        while (!stop) {
          const { summary } = await h.call({ variables: { webhook: 'cached' } })
          if (summary.outcome.reason !== 'ok') failures++
          completed++
        }
      })()
      const lost = h.logs.next('redis connection lost')
      await redis.kill()
      await lost
      const during = completed
      await until(() => completed >= during + 20)
      assert.equal((await h.call({ variables: { webhook: 'never-seen' } })).summary.outcome.reason, 'config_unavailable')
      assert.equal(h.logs.find('redis connection lost: reconnecting; cached configs keep serving').length, 1, 'logged once, not per call or retry')

      const reconnected = h.logs.next('redis reconnected')
      await redis.restart()
      await reconnected
      await until(() => store.tracking)
      stop = true
      await flow
      assert.equal(failures, 0, `${failures} of ${completed} calls failed`)

      const started = performance.now()
      await h.admin.hset('webhook:cached', 'url', h.webhook.url('/after'))
      await timeUntilApplied(h, 'cached', (url) => url.endsWith('/after'), started)
      await h.call({ variables: { webhook: 'cached' } })
      assert.equal(h.webhook.requests.at(-1)?.url, '/after')
    } finally {
      await h.close()
      await redis.stop()
    }
  })

  it('edits made while the router was cut off apply once it reconnects', async () => {
    const redis = await RedisProcess.start(['--appendonly', 'yes', '--appendfsync', 'always'])
    const h = await RouterHarness.start({ redis })
    try {
      const store = storeOf(h)
      await h.configure('offline', { url: h.webhook.url('/old') })
      h.webhook.reply({ body: 'status=ACK' })
      await h.call({ variables: { webhook: 'offline' } })
      // Cut the router's connections only (CLIENT KILL): Redis stays up and takes an edit meanwhile.
      const lost = h.logs.next('redis connection lost')
      await h.admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes')
      await h.admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
      await h.admin.hset('webhook:offline', 'url', h.webhook.url('/new'))
      await lost
      await until(() => store.tracking)
      await timeUntilApplied(h, 'offline', (url) => url.endsWith('/new'), performance.now())
      // Re-armed and re-read: from now on a hit again, no Redis read.
      const reads = store.stats.reads
      await h.call({ variables: { webhook: 'offline' } })
      assert.equal(h.webhook.requests.at(-1)?.url, '/new')
      assert.equal(store.stats.reads, reads)
    } finally {
      await h.close()
      await redis.stop()
    }
  })

  it('Redis down at start: calls take DEFAULT_ON_FAILURE at once; once it is up they route', async () => {
    const redis = await RedisProcess.start()
    await redis.kill()
    const h = await RouterHarness.start({ redis, redisStartWaitMs: 0, env: { DEFAULT_ON_FAILURE: '["playback ivr/not-configured.wav"]' } })
    try {
      const { call, summary } = await h.call({ variables: { webhook: 'crm' } })
      assert.equal(summary.outcome.reason, 'config_unavailable')
      assert.deepEqual(
        call.executed.map((app) => app.app),
        ['playback'],
      )
      const armed = h.app.store?.whenReady(60_000)
      await redis.restart()
      assert.equal(await armed, true)
      await h.configure('crm', { url: h.webhook.url('/crm') })
      h.webhook.reply({ body: 'status=ACK' })
      assert.equal((await h.call({ variables: { webhook: 'crm' } })).summary.outcome.reason, 'ok')
    } finally {
      await h.close()
      await redis.stop()
    }
  })
})
