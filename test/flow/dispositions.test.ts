/**
 * How each call left the router's hands, as its summary says (the "call done"
 * log line, call records and metrics read it): bridged, handed back,
 * transferred, hung up. One test per path through the call flow and the
 * fallback list, each also checking what FreeSWITCH received on that path.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { RouterHarness } from '../support/router-harness.ts'

describe('call dispositions', () => {
  let h: RouterHarness
  before(async () => {
    h = await RouterHarness.start()
  })
  after(async () => h.close())

  const apps = (call: { executed: ReadonlyArray<{ app: string; arg: string }> }): string[] => call.executed.map((app) => `${app.app} ${app.arg}`.trim())
  const linesFor = (message: string, uuid: string) => h.logs.find(message).filter((line) => line['call'] === uuid)

  it('a call without a webhook variable: config_missing, no IVR, the default fallback hands it back, and the log names the empty name', async () => {
    const { call, result, summary } = await h.call({})
    assert.equal(summary.webhook, '')
    assert.equal(summary.ivr, false)
    assert.equal(summary.outcome.reason, 'config_missing')
    assert.equal(summary.outcome.attempts, 0)
    assert.equal(summary.disposition, 'handed-back')
    assert.equal(result.disposition, 'handed-back')
    assert.ok(summary.durationMs >= 0 && summary.durationMs < 60_000, `durationMs ${summary.durationMs}`)
    assert.deepEqual(apps(call), [])
    const [line] = linesFor('no usable webhook config', call.uuid)
    assert.equal(line?.['reason'], 'config_missing')
    assert.equal(line?.['detail'], 'no webhook ""')
    assert.equal(line?.['webhook'], '')
  })

  it('a config that does not validate: config_invalid, and the log carries the validation error', async () => {
    await h.configure('broken', { url: h.webhook.url('/broken'), ivr: 'maybe' })
    const { call, summary } = await h.call({ variables: { webhook: 'broken' } })
    assert.equal(summary.outcome.reason, 'config_invalid')
    assert.equal(summary.ivr, false)
    assert.equal(summary.disposition, 'handed-back')
    const [line] = linesFor('no usable webhook config', call.uuid)
    assert.equal(line?.['reason'], 'config_invalid')
    assert.match(String(line?.['detail']), /\bivr\b/)
  })

  it('the log binding carries a webhook name of up to 130 characters whole, a longer one cut with "..."', async () => {
    const whole = 'w'.repeat(130)
    const long = 'x'.repeat(131)
    const first = await h.call({ variables: { webhook: whole } })
    const second = await h.call({ variables: { webhook: long } })
    assert.equal(linesFor('no usable webhook config', first.call.uuid)[0]?.['webhook'], whole)
    assert.equal(linesFor('no usable webhook config', second.call.uuid)[0]?.['webhook'], `${'x'.repeat(130)}...`)
    assert.equal(first.summary.webhook, whole, 'the summary keeps the name as signalled')
  })

  it('ACK with a destination, answered, the callee hangs up: bridged', async () => {
    await h.configure('talk', { url: h.webhook.url('/talk') })
    h.webhook.reply({ body: 'status=ACK&destination=%2B31201111111' })
    const { call, summary, result } = await h.call({ variables: { webhook: 'talk' }, bridge: [{ answer: true, talkMs: 50, hangupBy: 'callee' }] })
    assert.equal(summary.outcome.reason, 'ok')
    assert.equal(summary.disposition, 'bridged')
    assert.equal(result.bridged, true)
    assert.deepEqual(apps(call), ['bridge sofia/gateway/default/+31201111111'])
  })

  it('ACK with a destination, the caller hangs up while it rings: hung up, the outcome still ok', async () => {
    await h.configure('ringing', { url: h.webhook.url('/ringing') })
    h.webhook.reply({ body: 'status=ACK&destination=%2B31201111111' })
    const { summary, result } = await h.call({
      variables: { webhook: 'ringing' },
      bridge: [{ fail: 'NO_ANSWER', afterMs: 60_000 }],
      hangups: [{ on: 'execute', app: 'bridge', afterMs: 100 }],
    })
    assert.equal(summary.outcome.reason, 'ok')
    assert.equal(summary.disposition, 'hung-up')
    assert.equal(result.bridged, false)
  })

  it('a failed bridge: bridge_failed with the originate cause, on_failure runs without setting the presentation again, then hand-back', async () => {
    await h.configure('busy', { url: h.webhook.url('/busy'), on_failure: '["playback ivr/busy.wav"]', callername_mode: 'webhook' })
    h.webhook.reply({ body: 'status=ACK&destination=%2B31201111111&callername=Jan' })
    const { call, summary, result } = await h.call({ variables: { webhook: 'busy' }, bridge: [{ fail: 'USER_BUSY' }] })
    assert.equal(summary.outcome.reason, 'bridge_failed')
    assert.equal(summary.outcome.bridgeCause, 'USER_BUSY')
    assert.equal(summary.disposition, 'handed-back')
    assert.equal(result.disposition, 'handed-back')
    assert.deepEqual(apps(call), ['bridge sofia/gateway/default/+31201111111', 'playback ivr/busy.wav'])
    assert.equal(call.variable('webhook_bridge_cause'), 'USER_BUSY')
    // The presentation went with the bridge; the outcome variables after it carry none, and no bridge settings
    // (on_failure has no bridge).
    const setvars = call.apiCommands.filter((command) => command.startsWith('uuid_setvar_multi'))
    assert.equal(setvars.length, 2, setvars.join('\n'))
    assert.match(setvars[0] ?? '', /effective_caller_id_name=Jan/)
    assert.doesNotMatch(setvars[1] ?? '', /effective_caller_id|continue_on_fail|hangup_after_bridge/)
    assert.match(setvars[1] ?? '', /webhook_reason=bridge_failed/)
  })

  it('an on_failure list with a bridge sets continue_on_fail and hangup_after_bridge first; its answered bridge ends bridged', async () => {
    await h.configure('backup', { url: h.webhook.url('/backup'), on_failure: '["bridge +31209999999", "playback ivr/never.wav"]' })
    h.webhook.reply({ body: 'status=NAK' })
    const { call, summary } = await h.call({ variables: { webhook: 'backup' }, bridge: [{ answer: true, talkMs: 50, hangupBy: 'callee' }] })
    assert.equal(summary.outcome.reason, 'nak')
    assert.equal(summary.disposition, 'bridged')
    assert.equal(call.variable('continue_on_fail'), 'true')
    assert.equal(call.variable('hangup_after_bridge'), 'true')
    assert.deepEqual(apps(call), ['bridge sofia/gateway/default/+31209999999'], 'nothing after the bridge that connected')
  })

  it('an on_failure bridge that fails goes on with the next step; one that connects and returns (hangup_after_bridge=false) hands back', async () => {
    await h.configure('backup-busy', { url: h.webhook.url('/backup-busy'), on_failure: '["bridge +31208888888", "playback ivr/sorry.wav"]' })
    h.webhook.reply({ body: 'status=NAK' })
    const busy = await h.call({ variables: { webhook: 'backup-busy' }, bridge: [{ fail: 'USER_BUSY' }] })
    assert.deepEqual(apps(busy.call), ['bridge sofia/gateway/default/+31208888888', 'playback ivr/sorry.wav'])
    assert.equal(busy.summary.disposition, 'handed-back')

    await h.configure('backup-return', { url: h.webhook.url('/backup-return'), on_failure: '["set hangup_after_bridge=false", "bridge +31207777777", "playback ivr/never.wav"]' })
    const returned = await h.call({ variables: { webhook: 'backup-return' }, bridge: [{ answer: true, talkMs: 50, hangupBy: 'callee' }] })
    assert.deepEqual(apps(returned.call), ['set hangup_after_bridge=false', 'bridge sofia/gateway/default/+31207777777'], 'nothing after the bridge that connected')
    assert.equal(returned.summary.disposition, 'handed-back')
    assert.equal(returned.result.disposition, 'handed-back')
  })

  it('an on_failure list without a bridge leaves continue_on_fail and hangup_after_bridge alone', async () => {
    await h.configure('prompt', { url: h.webhook.url('/prompt'), on_failure: '["playback ivr/closed.wav"]' })
    h.webhook.reply({ body: 'status=NAK' })
    const { call, summary } = await h.call({ variables: { webhook: 'prompt' } })
    assert.equal(summary.disposition, 'handed-back')
    assert.equal(call.variable('continue_on_fail'), undefined)
    assert.equal(call.variable('hangup_after_bridge'), undefined)
  })

  it('the caller hangs up during an on_failure step: hung up, the rest of the list not run', async () => {
    await h.configure('gone', { url: h.webhook.url('/gone'), on_failure: '["playback ivr/one.wav", "playback ivr/two.wav"]' })
    h.webhook.reply({ body: 'status=NAK' })
    const { call, summary } = await h.call({ variables: { webhook: 'gone' }, hangups: [{ on: 'execute', app: 'playback', afterMs: 50 }], fileDurations: { 'ivr/one.wav': 5000 } })
    assert.equal(summary.outcome.reason, 'nak')
    assert.equal(summary.disposition, 'hung-up')
    assert.deepEqual(apps(call), ['playback ivr/one.wav'])
  })

  it('the caller hangs up while the webhook is asked: abandoned, hung up, nothing run', async () => {
    await h.configure('slow', { url: h.webhook.url('/slow'), on_failure: '["playback ivr/never.wav"]' })
    h.webhook.reply({ hang: true })
    const { call, summary } = await h.call({ variables: { webhook: 'slow' }, hangups: [{ on: 'connect', afterMs: 20 }] })
    assert.equal(summary.outcome.reason, 'abandoned')
    assert.equal(summary.disposition, 'hung-up')
    assert.deepEqual(apps(call), [])
  })

  it('IVR: the caller hangs up during the answer: abandoned after 0 attempts, hung up, the webhook not asked', async () => {
    await h.configure('ivr-answer', { url: h.webhook.url('/ivr-answer?code={code}'), ivr: '1' })
    const before = h.webhook.requests.length
    const { summary } = await h.call({ variables: { webhook: 'ivr-answer' }, hangups: [{ on: 'command', nth: 1 }] })
    assert.equal(summary.ivr, true)
    assert.equal(summary.outcome.reason, 'abandoned')
    assert.equal(summary.outcome.attempts, 0)
    assert.equal(summary.disposition, 'hung-up')
    assert.equal(h.webhook.requests.length, before)
  })

  it('IVR: the caller hangs up in the second attempt: abandoned after 2 attempts, hung up', async () => {
    await h.configure('ivr-second', { url: h.webhook.url('/ivr-second?code={code}'), ivr: '1', ivr_attempts: '3' })
    const { summary } = await h.call({
      variables: { webhook: 'ivr-second' },
      dtmf: [{ timeout: true }, { timeout: true }],
      hangups: [{ on: 'execute', app: 'play_and_get_digits', nth: 2, afterMs: 10 }],
    })
    assert.equal(summary.outcome.reason, 'abandoned')
    assert.equal(summary.outcome.attempts, 2)
    assert.equal(summary.disposition, 'hung-up')
  })

  it('IVR: every attempt silent: ivr_exhausted with no code, the webhook never asked', async () => {
    await h.configure('ivr-silent', { url: h.webhook.url('/ivr-silent?code={code}'), ivr: '1', ivr_attempts: '2' })
    const before = h.webhook.requests.length
    const { call, summary } = await h.call({ variables: { webhook: 'ivr-silent' }, dtmf: [{ timeout: true }, { timeout: true }] })
    assert.equal(summary.outcome.reason, 'ivr_exhausted')
    assert.equal(summary.outcome.code, '')
    assert.equal(summary.outcome.attempts, 2)
    assert.equal(summary.disposition, 'handed-back')
    assert.equal(h.webhook.requests.length, before)
    assert.equal(call.variable('webhook_code'), undefined)
  })

  it('IVR: a key the pattern refuses (a DTMF letter) is a wrong code: the webhook is not asked, the error prompt follows', async () => {
    await h.configure('ivr-letter', { url: h.webhook.url('/ivr-letter?code={code}'), ivr: '1', ivr_attempts: '2', ivr_error_message: 'ivr/wrong.wav', ivr_timeout_message: 'ivr/again.wav' })
    h.webhook.reply({ body: 'status=ACK' })
    const before = h.webhook.requests.length
    const { call, summary } = await h.call({ variables: { webhook: 'ivr-letter' }, dtmf: ['12A4#', '4321#'] })
    const prompts = call.executed.filter((app) => app.app === 'play_and_get_digits').map((app) => app.arg.split(' ')[5])
    assert.equal(prompts[1], 'ivr/wrong.wav')
    assert.deepEqual(h.webhook.requests.slice(before).map((request) => request.query.get('code')), ['4321'])
    assert.equal(summary.outcome.reason, 'ok')
    assert.equal(summary.outcome.attempts, 2)
  })

  it('IVR: the refused entry is the code the outcome reports when no attempt is left (webhook_code keeps only keys)', async () => {
    await h.configure('ivr-letter-last', { url: h.webhook.url('/ivr-letter-last?code={code}'), ivr: '1', ivr_attempts: '1' })
    const before = h.webhook.requests.length
    const { call, summary } = await h.call({ variables: { webhook: 'ivr-letter-last' }, dtmf: ['12A4#'] })
    assert.equal(h.webhook.requests.length, before)
    assert.equal(summary.outcome.reason, 'ivr_exhausted')
    assert.equal(summary.outcome.code, '12A4')
    assert.equal(call.variable('webhook_code'), '124')
  })
})
