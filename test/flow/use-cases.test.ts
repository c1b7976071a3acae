/**
 * The seed's use cases, each as its own call through the simulator, a real
 * redis-server and a real webhook HTTP server.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { RouterHarness } from '../support/router-harness.ts'

const COMPANY = '+31502102544'

describe('use cases', () => {
  let h: RouterHarness
  before(async () => {
    h = await RouterHarness.start({ env: { DIAL_EXTENSION: 'user/{number}@example.com' } })
  })
  after(async () => h.close())

  it('CRM name lookup: no IVR, the callee sees the name from the CRM, the call rings until bridged', async () => {
    await h.configure('crm', { url: h.webhook.url('/lookup?callerid={callerid}&did={did}'), callername_mode: 'webhook', caller_id: 'caller' })
    h.webhook.reply((request) => ({
      body: request.query.get('callerid') === '31612345678' ? 'status=ACK&destination=%2B31502102544&callername=ACME%20Corp' : 'status=NAK',
    }))
    const { call, result, summary } = await h.call({
      variables: { webhook: 'crm' },
      callerIdNumber: '31612345678',
      callerIdName: 'Jan',
      destinationNumber: '31201234567',
    })
    const request = h.webhook.requests.at(-1)
    assert.equal(request?.query.get('did'), '31201234567')
    assert.equal(request?.headers['x-call-uuid'], call.uuid)
    assert.equal(summary.outcome.reason, 'ok')
    assert.deepEqual(
      call.executed.map((app) => app.app),
      ['bridge'],
      'nothing answers the call before the bridge',
    )
    const bridge = call.bridges[0]
    assert.equal(bridge?.dialString, `sofia/gateway/default/${COMPANY}`)
    assert.equal(bridge?.callee.callerIdName, 'ACME Corp')
    assert.equal(bridge?.callee.callerIdNumber, '31612345678')
    assert.equal(bridge?.variables.get('webhook_callername'), 'ACME Corp')
    assert.equal(result.bridged, true)
  })

  it('routing by caller number: each caller goes where the database says', async () => {
    await h.configure('by-caller', { url: h.webhook.url('/route?from={callerid}') })
    const table: Record<string, string> = { '31611111111': '+441632960001', '31622222222': '+441632960002' }
    h.webhook.reply((request) => ({ body: `status=ACK&destination=${encodeURIComponent(table[request.query.get('from') ?? ''] ?? '')}` }))
    for (const [caller, destination] of Object.entries(table)) {
      const { call, summary } = await h.call({ variables: { webhook: 'by-caller' }, callerIdNumber: caller })
      assert.equal(summary.outcome.reason, 'ok')
      assert.equal(call.bridges[0]?.dialString, `sofia/gateway/default/${destination}`)
    }
  })

  it('routing by dialled number: the DID picks an internal extension', async () => {
    await h.configure('by-did', { url: h.webhook.url('/route/{did}'), destinations: '^10[0-9]{2}$' })
    h.webhook.reply((request) => ({ body: request.url === '/route/31201234567' ? 'status=ACK&destination=1007' : 'status=NAK' }))
    const { call, summary } = await h.call({ variables: { webhook: 'by-did' }, destinationNumber: '31201234567' })
    assert.equal(summary.outcome.reason, 'ok')
    assert.equal(call.bridges[0]?.dialString, 'user/1007@example.com')
    assert.equal(call.bridges[0]?.variables.get('webhook_destination'), '1007')
  })

  it('PIN routing: no input, then a wrong code (NAK), then the right code (ACK), with the right prompt each time', async () => {
    await h.configure('pin', {
      url: h.webhook.url('/pin?code={code}'),
      ivr: 'yes',
      ivr_timeout: '2',
      ivr_attempts: '3',
      ivr_min_digits: '4',
      ivr_max_digits: '6',
      ivr_start_message: 'ivr/enter-pin.wav',
      ivr_error_message: 'ivr/wrong-pin.wav',
      ivr_timeout_message: 'ivr/no-pin.wav',
    })
    h.webhook.reply((request) => ({ body: request.query.get('code') === '4242' ? 'status=ACK&destination=%2B31502102544' : 'status=NAK' }))
    const before = h.webhook.requests.length
    const { call, summary } = await h.call({ variables: { webhook: 'pin' }, dtmf: [{ timeout: true }, '1111#', '4242#'] })
    const apps = call.executed.map((app) => app.app)
    assert.deepEqual(apps, ['answer', 'play_and_get_digits', 'play_and_get_digits', 'play_and_get_digits', 'bridge'])
    const prompts = call.executed.filter((app) => app.app === 'play_and_get_digits').map((app) => app.arg.split(' ')[5])
    assert.deepEqual(prompts, ['ivr/enter-pin.wav', 'ivr/no-pin.wav', 'ivr/wrong-pin.wav'])
    const codes = h.webhook.requests.slice(before).map((request) => request.query.get('code'))
    assert.deepEqual(codes, ['1111', '4242'], 'no webhook call for the attempt without input')
    assert.equal(call.bridges[0]?.dialString, `sofia/gateway/default/${COMPANY}`)
    assert.equal(summary.outcome.attempts, 3)
    const vars = call.bridges[0]?.variables
    assert.equal(vars?.get('webhook_code'), '4242')
    assert.equal(vars?.get('webhook_attempts'), '3')
    assert.equal(vars?.get('webhook_status'), 'ACK')
  })

  it('call tracking: the URL is hit, then the call goes to the company number whether the webhook answers or fails', async () => {
    const toCompany = JSON.stringify([`bridge ${COMPANY}`])
    await h.configure('tracking', { url: h.webhook.url('/hit?campaign=spring&did={did}'), on_success: toCompany, on_failure: toCompany })
    for (const reply of [{ body: 'status=ACK' }, { status: 503, body: 'down' }]) {
      h.webhook.reply(reply)
      const before = h.webhook.requests.length
      const { call, result, summary } = await h.call({ variables: { webhook: 'tracking' } })
      assert.equal(h.webhook.requests.length, before + 1, 'the tracking URL was hit')
      assert.equal(call.bridges[0]?.dialString, `sofia/gateway/default/${COMPANY}`)
      assert.equal(result.bridged, true)
      assert.equal(summary.outcome.result, reply.status === 503 ? 'failure' : 'success')
      assert.equal(call.bridges[0]?.variables.get('webhook_reason'), reply.status === 503 ? 'http_error' : 'ok')
    }
  })

  it('missed-call notification: the webhook is told, then the call goes back to the dialplan', async () => {
    await h.configure('missed', { url: h.webhook.url('/missed'), method: 'POST' })
    h.webhook.reply({ body: 'status=ACK' })
    const { call, result, summary } = await h.call({
      variables: { webhook: 'missed' },
      callerIdNumber: '31699999999',
      afterSocket: [
        ['playback', 'voicemail/greeting.wav'],
        ['hangup', ''],
      ],
    })
    const request = h.webhook.requests.at(-1)
    assert.equal(request?.method, 'POST')
    assert.equal(new URLSearchParams(request?.body).get('callerid'), '31699999999')
    assert.equal(result.disposition, 'handed-back')
    assert.equal(summary.disposition, 'handed-back')
    assert.deepEqual(
      call.dialplanApps.map(([app]) => app),
      ['playback', 'hangup'],
    )
    assert.equal(call.variable('webhook_result'), 'success')
    assert.equal(call.variable('webhook_reason'), 'ok')
  })

  it('VIP PIN: the right code jumps the queue to an extension', async () => {
    await h.configure('vip', {
      url: h.webhook.url('/vip?pin={code}&from={callerid}'),
      ivr: 'true',
      ivr_start_message: 'tone_stream://%(200,0,440)',
      destinations: '^(1[0-9]{3})$',
      on_failure: JSON.stringify(['transfer support XML default']),
    })
    h.webhook.reply((request) => ({ body: request.query.get('pin') === '777' ? 'status=ACK&destination=1001' : 'status=NAK' }))
    const { call, summary } = await h.call({ variables: { webhook: 'vip' }, dtmf: ['777#'] })
    assert.equal(summary.outcome.reason, 'ok')
    assert.equal(call.bridges[0]?.dialString, 'user/1001@example.com')
    assert.equal(call.bridges[0]?.variables.get('webhook_code'), '777')
  })
})
