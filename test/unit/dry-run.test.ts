// The dry run behind `webhook-router simulate` and the console's "test this
// webhook", against a real HTTP webhook: every decision it can reach, printed
// word for word as an operator reads it.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { dryRun, formatDryRun, type DryRunResult } from '../../src/call/dry-run.ts'
import { parseAllowList, type AllowList } from '../../src/net/allow-list.ts'
import { DEFAULT_STEP_POLICY } from '../../src/steps/grammar.ts'
import { WebhookClient } from '../../src/webhook/client.ts'
import { WebhookServer } from '../support/webhook-server.ts'

const INPUT = { did: '+31201234567', callerid: '+31612345678', callername: 'Jan', code: '' }
const DIAL = { dialE164: 'sofia/gateway/pstn/{number}', dialExtension: 'user/{number}@example.com' }

describe('dry run (simulate, "test this webhook")', () => {
  let server: WebhookServer
  let client: WebhookClient
  before(async () => {
    server = await WebhookServer.start()
    client = new WebhookClient({ allowNets: parseAllowList(['127.0.0.0/8']) as AllowList })
  })
  after(async () => {
    await client.close()
    await server.close()
  })

  async function run(fields: Record<string, string>, input = INPUT): Promise<{ result: DryRunResult; text: string }> {
    const result = await dryRun('webhook:t', 't', { url: server.url('/route?token=abc&did={did}'), ...fields }, input, { client, dial: DIAL, rules: DEFAULT_STEP_POLICY })
    // Latency varies: the printed figure is replaced.
    return { result, text: formatDryRun(result, false).replace(/\(\d+ ms\)|in \d+ ms|webhook_latency_ms=\d+/g, (m) => m.replace(/\d+/, 'N')) }
  }

  it('a missing config and an invalid one say what a call would do instead', async () => {
    const missing = await dryRun('webhook:gone', 'gone', undefined, INPUT, { client, dial: DIAL, rules: DEFAULT_STEP_POLICY })
    assert.deepEqual(missing, { kind: 'missing', key: 'webhook:gone' })
    assert.equal(formatDryRun(missing, false), 'webhook:gone does not exist: a call would take DEFAULT_ON_FAILURE (reason config_missing)\n')
    const invalid = await dryRun('webhook:t', 't', { url: 'ftp://x.example/' }, INPUT, { client, dial: DIAL, rules: DEFAULT_STEP_POLICY })
    assert.equal(invalid.kind, 'invalid')
    assert.match(formatDryRun(invalid, false), /^webhook:t field url = "ftp:\/\/x\.example\/": scheme ftp: is not http: or https:\na call would take DEFAULT_ON_FAILURE \(reason config_invalid\), unless the router still holds an earlier valid version\n$/)
  })

  const SCENARIOS: ReadonlyArray<{ name: string; fields: Record<string, string>; reply: Parameters<WebhookServer['reply']>[0]; input?: typeof INPUT; expected: string }> = [
    { name: 'ACK, E.164, signed', fields: { secret: 's' }, reply: { body: 'status=ACK&destination=%2B31207654321&callername=Piet' }, expected: 'request   GET http://127.0.0.1:PORT/route?token=<3>&did=<12>  (signed)\nanswer    HTTP 200 in N ms: status=ACK destination="+31207654321" callername="Piet"\ndecision  bridge sofia/gateway/pstn/+31207654321\ncallee    sees name "Piet", number "+31612345678" (caller_id caller, callername_mode webhook)\nvariables webhook_result=success webhook_reason=ok webhook_status=ACK webhook_destination=+31207654321 webhook_callername=Piet webhook_http_status=200 webhook_latency_ms=N webhook_attempts=1\n' },
    { name: 'ACK, E.164, suppressed', fields: { caller_id: 'suppressed', callername_mode: 'prepend' }, reply: { body: 'status=ACK&destination=%2B31207654321&callername=Piet' }, expected: 'request   GET http://127.0.0.1:PORT/route?token=<3>&did=<12>\nanswer    HTTP 200 in N ms: status=ACK destination="+31207654321" callername="Piet"\ndecision  bridge {origination_privacy=screen+hide_name+hide_number,sip_cid_type=pid,sip_from_display=Anonymous}sofia/gateway/pstn/+31207654321\ncallee    sees an anonymous caller (Privacy: id); P-Asserted-Identity carries name "Piet", number "+31612345678" (caller_id suppressed, callername_mode prepend)\nvariables webhook_result=success webhook_reason=ok webhook_status=ACK webhook_destination=+31207654321 webhook_callername=Piet webhook_http_status=200 webhook_latency_ms=N webhook_attempts=1\n' },
    { name: 'ACK, extension', fields: { caller_id: 'dialed' }, reply: { body: 'status=ACK&destination=1001' }, expected: 'request   GET http://127.0.0.1:PORT/route?token=<3>&did=<12>\nanswer    HTTP 200 in N ms: status=ACK destination="1001"\ndecision  bridge user/1001@example.com\ncallee    sees name "Jan", number "+31201234567" (caller_id dialed, callername_mode webhook)\nvariables webhook_result=success webhook_reason=ok webhook_status=ACK webhook_destination=1001 webhook_http_status=200 webhook_latency_ms=N webhook_attempts=1\n' },
    { name: 'ACK without destination', fields: { on_success: '["playback ivr/ivr-thank_you.wav","bridge 1002"]' }, reply: { body: 'status=ACK&callername=Piet' }, expected: 'request   GET http://127.0.0.1:PORT/route?token=<3>&did=<12>\nanswer    HTTP 200 in N ms: status=ACK callername="Piet"\ndecision  ACK without destination: run playback ivr/ivr-thank_you.wav, then bridge user/1002@example.com\nvariables webhook_result=success webhook_reason=ok webhook_status=ACK webhook_callername=Piet webhook_http_status=200 webhook_latency_ms=N webhook_attempts=1\n' },
    { name: 'ACK, refused destination', fields: { destinations: '\\+316\\d+', on_failure: '["hangup CALL_REJECTED"]' }, reply: { body: 'status=ACK&destination=%2B31207654321' }, expected: 'request   GET http://127.0.0.1:PORT/route?token=<3>&did=<12>\nanswer    HTTP 200 in N ms: status=ACK destination="+31207654321"\ndecision  destination refused (does not match the webhook\'s "destinations" pattern): failure path: run hangup CALL_REJECTED\nvariables webhook_result=failure webhook_reason=bad_destination webhook_status=ACK webhook_destination=+31207654321 webhook_http_status=200 webhook_latency_ms=N webhook_attempts=1\n' },
    { name: 'NAK with IVR, no code', fields: { ivr: 'true' }, reply: { body: 'status=NAK' }, expected: 'note: this webhook runs the IVR first; pass --code to simulate the digits typed\nrequest   GET http://127.0.0.1:PORT/route?token=<3>&did=<12>\nanswer    HTTP 200 in N ms: status=NAK\ndecision  NAK: the caller would try again (IVR), then failure path: hand back to the dialplan\nvariables webhook_result=failure webhook_reason=nak webhook_status=NAK webhook_http_status=200 webhook_latency_ms=N webhook_attempts=1\n' },
    { name: 'NAK with IVR, code', fields: { ivr: 'true' }, reply: { body: 'status=NAK' }, input: { ...INPUT, code: '1234' }, expected: 'request   GET http://127.0.0.1:PORT/route?token=<3>&did=<12>\nanswer    HTTP 200 in N ms: status=NAK\ndecision  NAK: the caller would try again (IVR), then failure path: hand back to the dialplan\nvariables webhook_result=failure webhook_reason=nak webhook_status=NAK webhook_code=1234 webhook_http_status=200 webhook_latency_ms=N webhook_attempts=1\n' },
    { name: 'ERR', fields: { method: 'POST' }, reply: { body: 'status=ERR' }, expected: 'request   POST http://127.0.0.1:PORT/route?token=<3>&did=<12>\nanswer    HTTP 200 in N ms: status=ERR\ndecision  ERR: failure path: hand back to the dialplan\nvariables webhook_result=failure webhook_reason=err webhook_status=ERR webhook_http_status=200 webhook_latency_ms=N webhook_attempts=1\n' },
    { name: 'HTTP 500', fields: { on_failure: '["bridge +31209999999"]' }, reply: { status: 500 }, expected: 'request   GET http://127.0.0.1:PORT/route?token=<3>&did=<12>\nanswer    http_error: HTTP 500 (N ms)\ndecision  failure path: run bridge sofia/gateway/pstn/+31209999999\nvariables webhook_result=failure webhook_reason=http_error webhook_http_status=500 webhook_latency_ms=N webhook_attempts=1\n' },
    { name: 'ERR with IVR', fields: { ivr: 'true' }, reply: { body: 'status=ERR' }, input: { ...INPUT, code: '1234' }, expected: 'request   GET http://127.0.0.1:PORT/route?token=<3>&did=<12>\nanswer    HTTP 200 in N ms: status=ERR\ndecision  ERR: failure path: hand back to the dialplan\nvariables webhook_result=failure webhook_reason=err webhook_status=ERR webhook_code=1234 webhook_http_status=200 webhook_latency_ms=N webhook_attempts=1\n' },
    { name: 'NAK without IVR, steps without arguments', fields: { on_failure: '["answer","playback ivr/closed.wav"]' }, reply: { body: 'status=NAK' }, expected: 'request   GET http://127.0.0.1:PORT/route?token=<3>&did=<12>\nanswer    HTTP 200 in N ms: status=NAK\ndecision  NAK: failure path: run answer, then playback ivr/closed.wav\nvariables webhook_result=failure webhook_reason=nak webhook_status=NAK webhook_http_status=200 webhook_latency_ms=N webhook_attempts=1\n' },
    { name: 'ACK, extension, suppressed', fields: { caller_id: 'suppressed' }, reply: { body: 'status=ACK&destination=1001' }, expected: 'request   GET http://127.0.0.1:PORT/route?token=<3>&did=<12>\nanswer    HTTP 200 in N ms: status=ACK destination="1001"\ndecision  bridge {origination_privacy=screen+hide_name+hide_number,sip_cid_type=pid,sip_from_display=Anonymous}user/1001@example.com\ncallee    sees name "Anonymous", number "anonymous" (caller_id suppressed, callername_mode webhook)\nvariables webhook_result=success webhook_reason=ok webhook_status=ACK webhook_destination=1001 webhook_http_status=200 webhook_latency_ms=N webhook_attempts=1\n' },
  ]
  for (const scenario of SCENARIOS) {
    it(scenario.name, async () => {
      server.reply(scenario.reply)
      const { text } = await run(scenario.fields, scenario.input)
      assert.equal(text.replaceAll(String(server.port), 'PORT'), scenario.expected)
    })
  }

  it('the decision as data: which list, why, and each step as it would be sent', async () => {
    server.reply({ body: 'status=NAK' })
    const failed = await run({ on_failure: '["answer","bridge 1002"]' })
    assert.equal(failed.result.kind, 'ran')
    assert.deepEqual(failed.result.kind === 'ran' ? failed.result.decision : undefined, {
      kind: 'list',
      list: 'on_failure',
      why: 'NAK: failure path',
      steps: [
        { app: 'answer', args: '' },
        { app: 'bridge', args: 'user/1002@example.com' },
      ],
    })
    server.reply({ body: 'status=ACK' })
    const succeeded = await run({ on_success: '["playback ivr/thanks.wav"]' })
    assert.deepEqual(succeeded.result.kind === 'ran' ? succeeded.result.decision : undefined, {
      kind: 'list',
      list: 'on_success',
      why: 'ACK without destination',
      steps: [{ app: 'playback', args: 'ivr/thanks.wav' }],
    })
    server.reply({ body: 'status=ACK&destination=1001' })
    const bridged = await run({ caller_id: 'suppressed' })
    assert.deepEqual(bridged.result.kind === 'ran' && bridged.result.decision.kind === 'bridge' ? bridged.result.decision.callee : undefined, { name: 'Anonymous', number: 'anonymous', anonymous: false })
  })

  it('shows the URL in full only when asked', async () => {
    server.reply({ body: 'status=NAK' })
    const { result } = await run({})
    assert.match(formatDryRun(result, true), /^request   GET http:\/\/127\.0\.0\.1:\d+\/route\?token=abc&did=%2B31201234567\n/)
    assert.match(formatDryRun(result, false), /^request   GET http:\/\/127\.0\.0\.1:\d+\/route\?token=<3>&did=<12>\n/)
  })
})
