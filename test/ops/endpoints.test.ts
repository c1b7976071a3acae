/** /healthz, /readyz and /metrics of a router taking calls. */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { request } from 'undici'
import { RedisProcess } from '../support/redis-server.ts'
import { RouterHarness } from '../support/router-harness.ts'
import { WebhookServer } from '../support/webhook-server.ts'

async function get(url: string): Promise<{ status: number; body: string; type: string }> {
  const response = await request(url)
  return { status: response.statusCode, body: await response.body.text(), type: String(response.headers['content-type']) }
}

/** The value of one sample line of the Prometheus text, e.g. `name{a="b"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

describe('operations endpoints', () => {
  let redis: RedisProcess
  let h: RouterHarness
  before(async () => {
    redis = await RedisProcess.start()
    h = await RouterHarness.start({ redis, env: { CIRCUIT_FAILURES: '1' } })
  })
  after(async () => {
    await h.close()
    await redis.stop()
  })

  it('/healthz answers; /readyz is ready; other paths are 404', async () => {
    assert.deepEqual(await get(`${h.opsUrl}/healthz`), { status: 200, body: 'ok\n', type: 'text/plain' })
    const ready = await get(`${h.opsUrl}/readyz`)
    assert.equal(ready.status, 200)
    assert.deepEqual(JSON.parse(ready.body), { ready: true, reasons: [] })
    assert.equal((await get(`${h.opsUrl}/nope`)).status, 404)
  })

  it('/metrics counts calls, webhook requests and latency, IVR attempts, the cache, circuits and Redis', async () => {
    await h.configure('m-ok', { url: h.webhook.url('/ok') })
    await h.configure('m-ivr', { url: h.webhook.url('/ivr?c={code}'), ivr: '1', ivr_attempts: '3' })
    h.webhook.reply((req) => ({ body: req.url.startsWith('/ivr') && req.query.get('c') !== '42' ? 'status=NAK' : 'status=ACK' }))
    for (let i = 0; i < 3; i++) await h.call({ variables: { webhook: 'm-ok' } })
    await h.call({ variables: { webhook: 'm-ivr' }, dtmf: ['1#', '42#'] })
    await h.call({ variables: { webhook: 'nobody' } })
    const down = await WebhookServer.start()
    down.reply({ status: 500 })
    await h.configure('m-down', { url: down.url('/x') })
    await h.call({ variables: { webhook: 'm-down' } })
    await h.call({ variables: { webhook: 'm-down' } })
    const downOrigin = new URL(down.url()).origin
    await down.close()

    const metrics = await get(`${h.opsUrl}/metrics`)
    assert.equal(metrics.status, 200)
    assert.match(metrics.type, /^text\/plain/)
    const text = metrics.body
    assert.equal(sample(text, 'webhook_router_calls_total{result="success",reason="ok"}'), 4)
    assert.equal(sample(text, 'webhook_router_calls_total{result="failure",reason="config_missing"}'), 1)
    assert.equal(sample(text, 'webhook_router_calls_total{result="failure",reason="http_error"}'), 1)
    assert.equal(sample(text, 'webhook_router_calls_total{result="failure",reason="circuit_open"}'), 1)
    assert.equal(sample(text, 'webhook_router_call_dispositions_total{disposition="handed-back"}'), 7)
    assert.equal(sample(text, 'webhook_router_webhook_requests_total{webhook="m-ok",outcome="ok"}'), 3)
    assert.equal(sample(text, 'webhook_router_webhook_requests_total{webhook="m-down",outcome="circuit_open"}'), 1)
    assert.equal(sample(text, 'webhook_router_webhook_latency_seconds_count{webhook="m-ok"}'), 3)
    assert.equal(sample(text, 'webhook_router_webhook_latency_seconds_count{webhook="m-ivr"}'), 2)
    assert.equal(sample(text, 'webhook_router_ivr_attempts_count'), 1)
    assert.equal(sample(text, 'webhook_router_ivr_attempts_sum'), 2)
    assert.equal(sample(text, 'webhook_router_active_calls'), 0)
    assert.equal(sample(text, 'webhook_router_config_cache_hits_total'), 3)
    assert.equal(sample(text, 'webhook_router_config_cache_misses_total'), 4)
    assert.equal(sample(text, 'webhook_router_config_cache_entries'), 4)
    assert.equal(sample(text, 'webhook_router_config_tracking'), 1)
    assert.equal(sample(text, 'webhook_router_redis_up'), 1)
    assert.equal(sample(text, `webhook_router_circuit_state{origin="${downOrigin}"}`), 2)
    assert.ok(text.includes('process_cpu_user_seconds_total'), 'the default process metrics')
  })

  it('/readyz stays ready on a warm cache when Redis dies, and metrics show Redis down', async () => {
    // Listen before the kill: the router may log the loss before kill() resolves.
    const lost = h.logs.next('redis connection lost')
    await redis.kill()
    await lost
    assert.equal((await get(`${h.opsUrl}/readyz`)).status, 200, 'configs are cached')
    assert.equal(sample((await get(`${h.opsUrl}/metrics`)).body, 'webhook_router_redis_up'), 0)
    const back = h.logs.next('redis reconnected')
    await redis.restart()
    await back
  })

  it('/readyz is not ready while shutting down', async () => {
    const other = await RouterHarness.start({ redis })
    const closing = other.app.close({ drainMs: 0 })
    const readiness = other.app.readiness()
    assert.equal(readiness.ready, false)
    assert.ok(readiness.reasons.includes('shutting down'))
    await closing
    await other.close()
  })
})

describe('readiness without Redis', () => {
  it('is not ready while Redis is unreachable and nothing is cached', async () => {
    const redis = await RedisProcess.start()
    await redis.kill()
    const h = await RouterHarness.start({ redis, redisStartWaitMs: 0 })
    try {
      const ready = await get(`${h.opsUrl}/readyz`)
      assert.equal(ready.status, 503)
      assert.deepEqual(JSON.parse(ready.body), { ready: false, reasons: ['Redis not reachable and no config cached'] })
      assert.equal((await get(`${h.opsUrl}/healthz`)).status, 200)
    } finally {
      await h.close()
      await redis.stop()
    }
  })
})
