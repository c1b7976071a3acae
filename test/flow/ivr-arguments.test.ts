/**
 * The IVR as FreeSWITCH receives it (SPEC 5.4): every play_and_get_digits
 * argument (bounds, one try, timeout in milliseconds, terminator, prompt,
 * invalid sound, a fresh variable, the regexp, the digit timeout), the prompt
 * per attempt, and ERR or an HTTP failure inside the IVR taking the failure
 * path at once.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { RouterHarness } from '../support/router-harness.ts'

describe('IVR arguments', () => {
  let h: RouterHarness
  before(async () => {
    h = await RouterHarness.start()
  })
  after(async () => h.close())

  const pagd = (call: { executed: ReadonlyArray<{ app: string; arg: string }> }): string[] => call.executed.filter((app) => app.app === 'play_and_get_digits').map((app) => app.arg)

  it('sends every argument of play_and_get_digits: bounds, one try, milliseconds, terminator, prompt, silence, variable, regexp', async () => {
    await h.configure('args', {
      url: h.webhook.url('/pin?code={code}'),
      ivr: '1',
      ivr_timeout: '7',
      ivr_attempts: '3',
      ivr_min_digits: '3',
      ivr_max_digits: '5',
      ivr_terminator: '*',
      ivr_start_message: 'ivr/start.wav',
      ivr_error_message: 'say:wrong code, try again',
      ivr_timeout_message: 'tone_stream://%(200,0,440)',
    })
    h.webhook.reply((request) => ({ body: request.query.get('code') === '98765' ? 'status=ACK&destination=%2B31502102544' : 'status=NAK' }))
    const before = h.webhook.requests.length
    // No input; "12" ended by the terminator (too short: a wrong code); nine keys, of which five count.
    const { call, summary } = await h.call({ variables: { webhook: 'args' }, dtmf: [{ timeout: true }, '12*', '987654321'] })
    assert.deepEqual(pagd(call), [
      '3 5 1 7000 * ivr/start.wav silence_stream://250 webhook_ivr_entry_1 ^[0-9*#]+$ 7000',
      '3 5 1 7000 * tone_stream://%(200,0,440) silence_stream://250 webhook_ivr_entry_2 ^[0-9*#]+$ 7000',
      "3 5 1 7000 * 'say:wrong code, try again' silence_stream://250 webhook_ivr_entry_3 ^[0-9*#]+$ 7000",
    ])
    // Only the third entry reaches the webhook, cut at ivr_max_digits.
    assert.deepEqual(
      h.webhook.requests.slice(before).map((request) => request.query.get('code')),
      ['98765'],
    )
    assert.equal(summary.outcome.reason, 'ok')
    assert.equal(summary.outcome.code, '98765')
    assert.equal(summary.outcome.attempts, 3)
  })

  it('an entry shorter than ivr_min_digits is a wrong code: the webhook is not asked, the error prompt follows', async () => {
    await h.configure('short', { url: h.webhook.url('/short?code={code}'), ivr: '1', ivr_attempts: '2', ivr_min_digits: '4', ivr_error_message: 'ivr/wrong.wav' })
    h.webhook.reply({ body: 'status=ACK' })
    const before = h.webhook.requests.length
    const { call, summary } = await h.call({ variables: { webhook: 'short' }, dtmf: ['12#', '1234#'] })
    assert.equal(pagd(call)[1]?.split(' ')[5], 'ivr/wrong.wav')
    assert.deepEqual(h.webhook.requests.slice(before).map((request) => request.query.get('code')), ['1234'])
    assert.equal(summary.outcome.reason, 'ok')
  })

  for (const [label, reply, reason] of [
    ['ERR', { body: 'status=ERR' }, 'err'],
    ['an HTTP 500', { status: 500, body: 'down' }, 'http_error'],
  ] as const) {
    it(`${label} inside the IVR takes the failure path at once, without another attempt`, async () => {
      await h.configure('ivr-err', { url: h.webhook.url('/err?code={code}'), ivr: '1', ivr_attempts: '3', on_failure: '["transfer operator XML default"]' })
      h.webhook.reply(reply)
      const before = h.webhook.requests.length
      const { call, summary } = await h.call({ variables: { webhook: 'ivr-err' }, dtmf: ['1234#', '5678#', '9999#'] })
      assert.equal(pagd(call).length, 1, 'one collection only')
      assert.equal(h.webhook.requests.length - before, 1, 'one webhook request only')
      assert.equal(summary.outcome.reason, reason)
      assert.equal(summary.outcome.attempts, 1)
      assert.deepEqual(
        call.executed.filter((app) => app.app === 'transfer').map((app) => app.arg),
        ['operator XML default'],
      )
      assert.equal(call.variable('webhook_reason'), reason)
      assert.equal(call.variable('webhook_code'), '1234')
    })
  }
})
