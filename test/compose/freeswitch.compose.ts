/**
 * Integration tests against a real FreeSWITCH, run inside the compose stack
 * (`npm run test:compose`; they need a Docker engine, so `npm test` only
 * compiles them). esl-lite's FreeSwitchClient drives FreeSWITCH on port 8021:
 * it originates loopback calls into the public context, where the production
 * dialplan hands them to the router; the router's bridges land in the
 * `compose-targets` context, where the tests read who was called and what the
 * callee was shown. DTMF is injected with `uuid_recv_dtmf`.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { FreeSwitchClient, type FreeSwitchEventData } from 'esl-lite'
import { pino } from 'pino'
import { request } from 'undici'
import { ConfigAdmin } from '../../src/config/admin.ts'
import { DEFAULT_STEP_POLICY } from '../../src/steps/grammar.ts'
import { connectRedis, type RedisClient } from '../../src/config/redis-connection.ts'
import { untilAsync } from '../support/esl-harness.ts'

const env = (name: string, fallback: string): string => process.env[name] ?? fallback
const WEBHOOK = env('WEBHOOK_BASE_URL', 'http://webhook:8090')
const SECRET = env('WEBHOOK_SECRET', 'compose-shared-secret')
const EVENTS = ['CHANNEL_EXECUTE', 'CHANNEL_ANSWER', 'CHANNEL_HANGUP_COMPLETE'] as const
type EventName = (typeof EVENTS)[number]

/** An event's fields as strings. */
type Fields = Readonly<Record<string, string>>

function fields(event: FreeSwitchEventData): Fields {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(event.body.data)) out[key] = typeof value === 'string' ? value : JSON.stringify(value)
  return out
}

/** Collects FreeSWITCH events and lets a test wait for the first one matching a predicate. */
class EventLog {
  private readonly seen: Array<{ name: EventName; fields: Fields }> = []
  private readonly waiters = new Set<{ name: EventName; match: (f: Fields) => boolean; resolve: (f: Fields) => void }>()

  constructor(client: FreeSwitchClient) {
    for (const name of EVENTS) client.on(name, (event: FreeSwitchEventData) => this.add(name, fields(event)))
  }

  /** The first event (already seen since `mark`, or future) that matches. */
  wait(name: EventName, match: (f: Fields) => boolean, since = 0): Promise<Fields> {
    const found = this.seen.slice(since).find((entry) => entry.name === name && match(entry.fields))
    if (found) return Promise.resolve(found.fields)
    return new Promise((resolve) => this.waiters.add({ name, match, resolve }))
  }

  get mark(): number {
    return this.seen.length
  }

  private add(name: EventName, f: Fields): void {
    this.seen.push({ name, fields: f })
    for (const waiter of this.waiters) {
      if (waiter.name !== name || !waiter.match(f)) continue
      this.waiters.delete(waiter)
      waiter.resolve(f)
    }
  }
}

describe('against a real FreeSWITCH', { timeout: 120_000 }, () => {
  let client: FreeSwitchClient
  let events: EventLog
  let redis: RedisClient
  let configs: ConfigAdmin

  before(async () => {
    client = new FreeSwitchClient({
      host: env('FREESWITCH_HOST', 'freeswitch'),
      port: Number(env('FREESWITCH_ESL_PORT', '8021')),
      password: env('FREESWITCH_ESL_PASSWORD', 'ClueCon'),
      logger: pino({ level: 'warn' }),
    })
    events = new EventLog(client)
    redis = connectRedis({ kind: 'url', url: env('REDIS_URL', 'redis://redis:6379') }, { offlineQueue: true })
    configs = new ConfigAdmin(redis, 'webhook:', { ...DEFAULT_STEP_POLICY, transferContexts: new Set(['default', 'compose-targets']) })
    await configs.replace('crm', { url: `${WEBHOOK}/crm?callerid={callerid}&did={did}`, secret: SECRET, callername_mode: 'webhook' })
    await configs.replace('pin', {
      url: `${WEBHOOK}/pin?code={code}`,
      secret: SECRET,
      ivr: 'yes',
      ivr_timeout: '10',
      ivr_min_digits: '4',
      ivr_start_message: 'tone_stream://%(200,0,440)',
      ivr_error_message: 'tone_stream://%(200,0,330)',
      ivr_timeout_message: 'tone_stream://%(200,0,550)',
    })
    await configs.replace('down', { url: `${WEBHOOK}/down`, secret: SECRET, timeout_ms: '2000', on_failure: '["transfer fallback XML compose-targets"]' })
    // The router is up once its readiness probe says so.
    await untilAsync(async () => {
      const ready = await request(env('ROUTER_METRICS_URL', 'http://freeswitch:9464/metrics').replace('/metrics', '/readyz')).catch(() => undefined)
      await ready?.body.dump()
      return ready?.statusCode === 200
    }, 60_000)
  })

  after(() => {
    client.end()
    redis.disconnect()
  })

  /** Originates a loopback call into the public context towards `did`, from `callerNumber`. */
  async function call(did: string, callerNumber: string, callerName: string): Promise<void> {
    const result = await client.bgapi(
      `originate {origination_caller_id_number=${callerNumber},origination_caller_id_name='${callerName}',ignore_early_media=true}loopback/${did}/public &park()`,
      30_000,
    )
    assert.ok(!(result instanceof Error), `originate: ${String(result)}`)
  }

  /** The channel the router controls: the loopback leg in `public` dialling `did`. */
  const routed = (did: string, callerNumber: string) => (f: Fields) =>
    f['Caller-Destination-Number'] === did && f['Caller-Caller-ID-Number'] === callerNumber && f['Caller-Context'] === 'public'

  it('CRM lookup: the callee sees the name from the CRM; the outcome variables are on the channel', async () => {
    const mark = events.mark
    await call('31201234567', '31612345678', 'Jan')
    const answered = await events.wait('CHANNEL_ANSWER', (f) => f['Caller-Context'] === 'compose-targets' && f['Caller-Destination-Number'] === '+31502102544', mark)
    assert.equal(answered['Caller-Caller-ID-Name'], 'ACME Corp')
    assert.equal(answered['Caller-Caller-ID-Number'], '31612345678')
    const done = await events.wait('CHANNEL_HANGUP_COMPLETE', routed('31201234567', '31612345678'), mark)
    assert.equal(done['variable_webhook_result'], 'success')
    assert.equal(done['variable_webhook_reason'], 'ok')
    assert.equal(done['variable_webhook_callername'], 'ACME Corp')
  })

  it('PIN routing: a wrong code (NAK), then the right one (ACK) with DTMF from the caller', async () => {
    const mark = events.mark
    const caller = '31655500001'
    await call('31201234590', caller, 'Pin Caller')
    const first = await events.wait('CHANNEL_EXECUTE', (f) => routed('31201234590', caller)(f) && f['Application'] === 'play_and_get_digits', mark)
    const uuid = first['Unique-ID'] ?? ''
    assert.ok(!((await client.bgapi(`uuid_recv_dtmf ${uuid} 1111#`, 10_000)) instanceof Error))
    const second = events.mark
    await events.wait('CHANNEL_EXECUTE', (f) => f['Unique-ID'] === uuid && f['Application'] === 'play_and_get_digits', second)
    assert.ok(!((await client.bgapi(`uuid_recv_dtmf ${uuid} 4242#`, 10_000)) instanceof Error))
    const answered = await events.wait('CHANNEL_ANSWER', (f) => f['Caller-Context'] === 'compose-targets' && f['Caller-Destination-Number'] === '+31502102544', second)
    assert.equal(answered['Caller-Caller-ID-Number'], caller)
    const done = await events.wait('CHANNEL_HANGUP_COMPLETE', (f) => f['Unique-ID'] === uuid, mark)
    assert.equal(done['variable_webhook_reason'], 'ok')
    assert.equal(done['variable_webhook_code'], '4242')
    assert.equal(done['variable_webhook_attempts'], '2')
  })

  it('webhook down: the fallback transfers the call, with http_error in the variables', async () => {
    const mark = events.mark
    const caller = '31655500002'
    await call('31201234591', caller, 'Down Caller')
    const fallback = await events.wait('CHANNEL_EXECUTE', (f) => f['Caller-Destination-Number'] === 'fallback' && f['Caller-Context'] === 'compose-targets' && f['Application'] === 'answer', mark)
    assert.equal(fallback['variable_webhook_result'], 'failure')
    assert.equal(fallback['variable_webhook_reason'], 'http_error')
    assert.equal(fallback['variable_webhook_http_status'], '503')
  })

  it('the router counted the calls', async () => {
    const response = await request(env('ROUTER_METRICS_URL', 'http://freeswitch:9464/metrics'))
    const text = await response.body.text()
    assert.match(text, /webhook_router_calls_total\{result="success",reason="ok"\} [1-9]/)
    assert.match(text, /webhook_router_calls_total\{result="failure",reason="http_error"\} [1-9]/)
  })
})
