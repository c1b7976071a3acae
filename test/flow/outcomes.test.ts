/**
 * Every outcome reason of SPEC section 9, produced by a real call and read
 * back from the channel variables FreeSWITCH (the simulator) holds; the
 * on_success / on_failure lists and the hand-back that follows them.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { SimCall } from '../sim/simulator.ts'
import { RedisProcess } from '../support/redis-server.ts'
import { RouterHarness } from '../support/router-harness.ts'
import { WebhookServer } from '../support/webhook-server.ts'

const OUTCOME_VARIABLES = [
  'webhook_result',
  'webhook_reason',
  'webhook_status',
  'webhook_destination',
  'webhook_callername',
  'webhook_code',
  'webhook_http_status',
  'webhook_latency_ms',
  'webhook_attempts',
  'webhook_bridge_cause',
] as const

/** The outcome variables as the channel holds them now (unset = absent). */
function outcomeOf(call: SimCall): Partial<Record<(typeof OUTCOME_VARIABLES)[number], string>> {
  const found: Partial<Record<(typeof OUTCOME_VARIABLES)[number], string>> = {}
  for (const name of OUTCOME_VARIABLES) {
    const value = call.variable(name)
    if (value !== undefined) found[name] = value
  }
  return found
}

const apps = (call: SimCall): string[] => call.executed.map((app) => app.app)

describe('outcome reasons in the channel variables', () => {
  let h: RouterHarness
  before(async () => {
    h = await RouterHarness.start({ env: { DEFAULT_ON_FAILURE: '["playback ivr/not-configured.wav"]' } })
  })
  after(async () => h.close())

  it('ok: ACK with a destination bridges, with every outcome variable set before the bridge', async () => {
    await h.configure('ok', { url: h.webhook.url('/ok') })
    h.webhook.reply({ body: 'status=ack&destination=%2B442079460000&callername=Alice' })
    const { call, result } = await h.call({ variables: { webhook: 'ok' } })
    const atBridge = call.bridges[0]?.variables
    assert.equal(atBridge?.get('webhook_result'), 'success')
    assert.equal(atBridge?.get('webhook_reason'), 'ok')
    assert.equal(atBridge?.get('webhook_status'), 'ACK')
    assert.equal(atBridge?.get('webhook_destination'), '+442079460000')
    assert.equal(atBridge?.get('webhook_callername'), 'Alice')
    assert.equal(atBridge?.get('webhook_http_status'), '200')
    assert.match(String(atBridge?.get('webhook_latency_ms')), /^\d+$/)
    assert.equal(atBridge?.get('webhook_attempts'), '1')
    assert.equal(atBridge?.get('continue_on_fail'), 'true')
    assert.equal(atBridge?.get('hangup_after_bridge'), 'true')
    assert.equal(result.bridged, true)
  })

  it('ok without a destination: on_success runs, then the call is handed back', async () => {
    await h.configure('ok-list', { url: h.webhook.url('/ok'), on_success: '["playback ivr/thanks.wav", "set call_timeout=25"]' })
    h.webhook.reply({ body: 'status=ACK' })
    const { call, result, summary } = await h.call({ variables: { webhook: 'ok-list' } })
    assert.deepEqual(apps(call), ['playback', 'set'])
    assert.equal(call.variable('call_timeout'), '25')
    assert.equal(result.disposition, 'handed-back')
    assert.equal(summary.disposition, 'handed-back')
    assert.deepEqual(outcomeOf(call), {
      webhook_result: 'success',
      webhook_reason: 'ok',
      webhook_status: 'ACK',
      webhook_http_status: '200',
      webhook_latency_ms: outcomeOf(call).webhook_latency_ms,
      webhook_attempts: '1',
    })
  })

  it('nak: the failure list runs, then the call is handed back', async () => {
    await h.configure('nak', { url: h.webhook.url('/nak'), on_failure: '["playback ivr/sorry.wav"]' })
    h.webhook.reply({ body: 'Status=Nak' })
    const { call, result } = await h.call({ variables: { webhook: 'nak' } })
    assert.deepEqual(apps(call), ['playback'])
    assert.equal(result.disposition, 'handed-back')
    const outcome = outcomeOf(call)
    assert.equal(outcome.webhook_result, 'failure')
    assert.equal(outcome.webhook_reason, 'nak')
    assert.equal(outcome.webhook_status, 'NAK')
    assert.equal(outcome.webhook_http_status, '200')
  })

  it('err: a transfer in the failure list takes the call away', async () => {
    await h.configure('err', { url: h.webhook.url('/err'), on_failure: '["transfer operator XML default"]' })
    h.webhook.reply({ headers: { 'content-type': 'application/json' }, body: '{"STATUS":"err"}' })
    const { call, result, summary } = await h.call({ variables: { webhook: 'err' }, dialplan: { operator: [['hangup', 'NORMAL_CLEARING']] } })
    assert.deepEqual(apps(call), ['transfer', 'hangup'], 'the transfer, then the operator extension')
    assert.equal(result.disposition, 'transferred')
    assert.equal(summary.disposition, 'transferred')
    assert.equal(outcomeOf(call).webhook_reason, 'err')
    assert.equal(outcomeOf(call).webhook_status, 'ERR')
  })

  it('ivr_exhausted: no input on every attempt, and the webhook is never called', async () => {
    await h.configure('exhaust', { url: h.webhook.url('/never'), ivr: '1', ivr_attempts: '2', ivr_timeout: '1' })
    const before = h.webhook.requests.length
    const { call } = await h.call({ variables: { webhook: 'exhaust' }, dtmf: [{ timeout: true }, { timeout: true }] })
    assert.equal(h.webhook.requests.length, before)
    assert.deepEqual(apps(call), ['answer', 'play_and_get_digits', 'play_and_get_digits'])
    assert.deepEqual(outcomeOf(call), { webhook_result: 'failure', webhook_reason: 'ivr_exhausted', webhook_attempts: '2' })
  })

  it('ivr_exhausted: wrong codes on every attempt; the last status and code are kept', async () => {
    await h.configure('exhaust-nak', { url: h.webhook.url('/pin?c={code}'), ivr: '1', ivr_attempts: '2' })
    h.webhook.reply({ body: 'status=NAK' })
    const { call } = await h.call({ variables: { webhook: 'exhaust-nak' }, dtmf: ['11#', '22#'] })
    const outcome = outcomeOf(call)
    assert.equal(outcome.webhook_reason, 'ivr_exhausted')
    assert.equal(outcome.webhook_status, 'NAK')
    assert.equal(outcome.webhook_code, '22')
    assert.equal(outcome.webhook_attempts, '2')
  })

  it('ivr: a code typed without the terminator is taken when the digit timeout ends it', async () => {
    await h.configure('no-terminator', { url: h.webhook.url('/pin?c={code}'), ivr: '1', ivr_attempts: '1' })
    h.webhook.reply({ body: 'status=ACK&destination=1001' })
    const { call } = await h.call({ variables: { webhook: 'no-terminator' }, dtmf: ['4321'] })
    assert.equal(h.webhook.requests.at(-1)?.query.get('c'), '4321')
    assert.equal(call.bridges[0]?.variables.get('webhook_code'), '4321')
  })

  it('ivr: a code shorter than ivr_min_digits counts as a wrong code without a webhook request', async () => {
    await h.configure('short', { url: h.webhook.url('/pin?c={code}'), ivr: '1', ivr_attempts: '2', ivr_min_digits: '4', ivr_error_message: 'ivr/wrong.wav' })
    h.webhook.reply({ body: 'status=ACK' })
    const before = h.webhook.requests.length
    const { call } = await h.call({ variables: { webhook: 'short' }, dtmf: ['12#', '1234#'] })
    assert.equal(h.webhook.requests.length, before + 1)
    assert.equal(h.webhook.requests.at(-1)?.query.get('c'), '1234')
    assert.equal(call.executed[2]?.arg.split(' ')[5], 'ivr/wrong.wav')
    assert.equal(outcomeOf(call).webhook_reason, 'ok')
  })

  it('http_error: a 5xx answer', async () => {
    await h.configure('e500', { url: h.webhook.url('/500') })
    h.webhook.reply({ status: 500, body: 'oops' })
    const { call } = await h.call({ variables: { webhook: 'e500' } })
    assert.equal(outcomeOf(call).webhook_reason, 'http_error')
    assert.equal(outcomeOf(call).webhook_http_status, '500')
  })

  it('http_timeout: no answer within timeout_ms', async () => {
    await h.configure('slow', { url: h.webhook.url('/slow'), timeout_ms: '200' })
    h.webhook.reply({ hang: true })
    const { call } = await h.call({ variables: { webhook: 'slow' } })
    assert.equal(outcomeOf(call).webhook_reason, 'http_timeout')
    assert.equal(outcomeOf(call).webhook_http_status, undefined)
  })

  it('bad_response: a 200 without a status', async () => {
    await h.configure('garbage', { url: h.webhook.url('/garbage') })
    h.webhook.reply({ body: '<html>hello</html>' })
    const { call } = await h.call({ variables: { webhook: 'garbage' } })
    assert.equal(outcomeOf(call).webhook_reason, 'bad_response')
  })

  it('bad_destination: neither E.164 nor an extension, or outside the destinations pattern; never dialled', async () => {
    await h.configure('dest', { url: h.webhook.url('/dest'), destinations: '^\\+31' })
    for (const destination of ['sip:evil@example.com', '+0123456', '123456789', '+441632960001']) {
      h.webhook.reply({ body: `status=ACK&destination=${encodeURIComponent(destination)}` })
      const { call } = await h.call({ variables: { webhook: 'dest' } })
      assert.equal(call.bridges.length, 0, destination)
      assert.equal(outcomeOf(call).webhook_reason, 'bad_destination', destination)
      assert.equal(outcomeOf(call).webhook_result, 'failure')
    }
  })

  it('bridge_failed: the cause is kept, the caller stays up and the failure list runs', async () => {
    await h.configure('busy', { url: h.webhook.url('/busy'), on_failure: '["playback ivr/busy.wav"]' })
    h.webhook.reply({ body: 'status=ACK&destination=%2B31201112222' })
    const { call, result } = await h.call({ variables: { webhook: 'busy' }, bridge: [{ fail: 'USER_BUSY' }] })
    assert.deepEqual(apps(call), ['bridge', 'playback'])
    assert.equal(result.disposition, 'handed-back')
    const outcome = outcomeOf(call)
    assert.equal(outcome.webhook_result, 'failure')
    assert.equal(outcome.webhook_reason, 'bridge_failed')
    assert.equal(outcome.webhook_bridge_cause, 'USER_BUSY')
    assert.equal(outcome.webhook_destination, '+31201112222')
  })

  it('bridge_failed: a bridge in the failure list gets continue_on_fail too', async () => {
    await h.configure('busy-twice', { url: h.webhook.url('/busy'), on_failure: '["bridge +31209999999", "playback ivr/busy.wav"]' })
    h.webhook.reply({ body: 'status=ACK&destination=%2B31201112222' })
    const { call, result } = await h.call({ variables: { webhook: 'busy-twice' }, bridge: [{ fail: 'NO_ANSWER' }, { fail: 'USER_BUSY' }] })
    assert.deepEqual(apps(call), ['bridge', 'bridge', 'playback'])
    // The step's destination is dialled through DIAL_E164, like a webhook's.
    assert.equal(call.bridges[1]?.dialString, 'sofia/gateway/default/+31209999999')
    assert.equal(result.disposition, 'handed-back')
    assert.equal(outcomeOf(call).webhook_bridge_cause, 'NO_ANSWER')
  })

  it('config_missing: an unknown webhook name runs DEFAULT_ON_FAILURE', async () => {
    for (const variables of [{ webhook: 'nobody-configured-this' }, {}]) {
      const { call } = await h.call({ variables })
      assert.deepEqual(apps(call), ['playback'])
      assert.equal(call.executed[0]?.arg, 'ivr/not-configured.wav')
      assert.deepEqual(outcomeOf(call), { webhook_result: 'failure', webhook_reason: 'config_missing', webhook_attempts: '0' })
    }
  })

  it('config_invalid: a hash that never validated; the log names key, field and reason', async () => {
    await h.configure('broken', { url: h.webhook.url('/x'), caller_id: 'nobody' })
    const before = h.webhook.requests.length
    const { call } = await h.call({ variables: { webhook: 'broken' } })
    assert.equal(h.webhook.requests.length, before)
    assert.equal(outcomeOf(call).webhook_reason, 'config_invalid')
    assert.deepEqual(apps(call), ['playback'], 'the global default fallback')
    const line = h.logs.find('no usable webhook config').at(-1)
    assert.match(String(line?.['detail']), /webhook:broken/)
    assert.match(String(line?.['detail']), /caller_id/)
    assert.match(String(line?.['detail']), /nobody/)
  })

  it('a second pass through the router leaves no stale outcome variable', async () => {
    await h.configure('first', { url: h.webhook.url('/first'), on_failure: '["transfer second XML default"]' })
    h.webhook.reply({ body: 'status=NAK' })
    const { call } = await h.call({
      variables: { webhook: 'first', webhook_bridge_cause: 'USER_BUSY', webhook_code: '99' },
      dialplan: { second: [['hangup', '']] },
    })
    assert.equal(outcomeOf(call).webhook_bridge_cause, undefined)
    assert.equal(outcomeOf(call).webhook_code, undefined)
  })
})

describe('outcome reasons that need their own router', () => {
  it('circuit_open: after repeated failures the origin is not called and the call fails at once', async () => {
    const h = await RouterHarness.start({ env: { CIRCUIT_FAILURES: '2', CIRCUIT_COOLDOWN_MS: '3600000' } })
    const down = await WebhookServer.start()
    try {
      await h.configure('down', { url: down.url('/down') })
      down.reply({ status: 502 })
      for (let i = 0; i < 2; i++) assert.equal(outcomeOf((await h.call({ variables: { webhook: 'down' } })).call).webhook_reason, 'http_error')
      const { call, summary } = await h.call({ variables: { webhook: 'down' } })
      assert.equal(down.requests.length, 2, 'the open circuit sends nothing')
      assert.equal(outcomeOf(call).webhook_reason, 'circuit_open')
      assert.equal(summary.outcome.latencyMs, 0)
      assert.equal(h.logs.find('webhook circuit opened: failing fast').length, 1)
      // Another origin is not affected.
      await h.configure('up', { url: h.webhook.url('/up') })
      assert.equal(outcomeOf((await h.call({ variables: { webhook: 'up' } })).call).webhook_reason, 'ok')
    } finally {
      await down.close()
      await h.close()
    }
  })

  it('config_unavailable: Redis down and the config unknown: the default fallback runs at once', async () => {
    const redis = await RedisProcess.start()
    const h = await RouterHarness.start({ redis, env: { DEFAULT_ON_FAILURE: '["transfer 0 XML default"]' } })
    try {
      await redis.kill()
      const { call, result } = await h.call({ variables: { webhook: 'crm' }, dialplan: { '0': [['hangup', '']] } })
      assert.equal(result.disposition, 'transferred')
      assert.deepEqual(outcomeOf(call), { webhook_result: 'failure', webhook_reason: 'config_unavailable', webhook_attempts: '0' })
    } finally {
      await h.close()
      await redis.stop()
    }
  })
})
