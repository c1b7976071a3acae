/**
 * A rude or dead webhook never strands a call: every fault ends in the
 * failure path within timeout_ms plus a small margin, a caller who hangs up
 * aborts the request, and the request itself follows SPEC 6 (redirects,
 * signing, TLS verification, the outbound address guard, keep-alive).
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { verifySignature } from '../../src/webhook/signing.ts'
import { until } from '../support/esl-harness.ts'
import { freePort } from '../support/redis-server.ts'
import { RouterHarness } from '../support/router-harness.ts'
import { WebhookServer, type Reply } from '../support/webhook-server.ts'

const TLS_DIR = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'tls')
const tlsFile = (name: string): string => readFileSync(join(TLS_DIR, name), 'utf8')

/** Generous against a loaded machine, small against a caller's patience. */
const MARGIN_MS = 1000
const TIMEOUT_MS = 400

describe('webhook faults end in the failure path within the budget', () => {
  let h: RouterHarness
  before(async () => {
    // A high threshold: these failures are consecutive on one origin, and this suite is not about the breaker.
    h = await RouterHarness.start({ env: { CIRCUIT_FAILURES: '1000' } })
  })
  after(async () => h.close())

  const faults: Array<{ name: string; reply?: Reply; url?: () => Promise<string>; reason: string }> = [
    { name: 'no answer (timeout)', reply: { hang: true }, reason: 'http_timeout' },
    { name: '5xx', reply: { status: 503, body: 'maintenance' }, reason: 'http_error' },
    { name: '4xx', reply: { status: 404 }, reason: 'http_error' },
    { name: 'connection refused', url: async () => `http://127.0.0.1:${await freePort()}/gone`, reason: 'http_error' },
    { name: 'reset mid-body', reply: { resetMidBody: true }, reason: 'http_error' },
    { name: 'garbage body', reply: { body: Buffer.from([0xff, 0x00, 0xfe, 0x13, 0x37, 0xc0]) }, reason: 'bad_response' },
    { name: 'unknown status', reply: { body: 'status=MAYBE' }, reason: 'bad_response' },
    { name: 'broken JSON', reply: { headers: { 'content-type': 'application/json' }, body: '{"status": "ACK"' }, reason: 'bad_response' },
    { name: 'oversized body', reply: { body: `status=ACK&pad=${'x'.repeat(100 * 1024)}` }, reason: 'bad_response' },
    { name: 'redirect loop', reply: { redirect: '/loop' }, reason: 'http_error' },
    { name: 'slow drip', reply: { drip: true }, reason: 'http_timeout' },
  ]
  for (const fault of faults) {
    it(`${fault.name}: ${fault.reason}, fallback run`, async () => {
      const url = fault.url ? await fault.url() : h.webhook.url('/loop?id={uuid}')
      await h.configure('faulty', { url, timeout_ms: String(TIMEOUT_MS), on_failure: '["transfer fallback XML default"]' })
      if (fault.reply) h.webhook.reply(fault.reply)
      const started = performance.now()
      const { call, result, summary } = await h.call({ variables: { webhook: 'faulty' }, dialplan: { fallback: [['hangup', '']] } })
      const elapsed = performance.now() - started
      assert.equal(summary.outcome.reason, fault.reason)
      assert.equal(call.variable('webhook_reason'), fault.reason)
      assert.equal(result.disposition, 'transferred')
      assert.ok((summary.outcome.latencyMs ?? 0) <= TIMEOUT_MS + MARGIN_MS, `webhook took ${summary.outcome.latencyMs} ms`)
      assert.ok(elapsed <= TIMEOUT_MS + MARGIN_MS, `the call took ${Math.round(elapsed)} ms`)
      if (fault.reason === 'http_timeout') assert.ok((summary.outcome.latencyMs ?? 0) >= TIMEOUT_MS - 5, 'ended by the deadline')
    })
  }

  it('a refused connection is retried once, inside the same budget', async () => {
    const port = await freePort()
    await h.configure('refused', { url: `http://127.0.0.1:${port}/x`, timeout_ms: String(TIMEOUT_MS) })
    const before = h.logs.find('webhook connection failed before sending, retrying once').length
    await h.call({ variables: { webhook: 'refused' } })
    assert.equal(h.logs.find('webhook connection failed before sending, retrying once').length - before, 1)
  })

  it('a 5xx is not retried (the request was sent)', async () => {
    await h.configure('once', { url: h.webhook.url('/once') })
    h.webhook.reply({ status: 500 })
    const before = h.webhook.requests.length
    await h.call({ variables: { webhook: 'once' } })
    assert.equal(h.webhook.requests.length, before + 1)
  })

  it('the caller hanging up aborts the request at once and nothing more is sent to FreeSWITCH', async () => {
    await h.configure('abandon', { url: h.webhook.url('/slow'), timeout_ms: '30000' })
    const aborted = h.webhook.abortedRequests
    let framesAtHangup = -1
    const call = h.sim.placeCall({ variables: { webhook: 'abandon' } })
    h.webhook.reply(() => {
      framesAtHangup = call.received.length
      call.hangup('ORIGINATOR_CANCEL')
      return { hang: true }
    })
    const [result, summary] = await Promise.all([call.done, h.summaryFor(call.uuid)])
    assert.equal(result.disposition, 'hungup')
    assert.equal(summary.outcome.reason, 'abandoned')
    assert.equal(summary.disposition, 'hung-up')
    assert.ok(summary.durationMs < 30_000)
    await until(() => h.webhook.abortedRequests > aborted)
    assert.deepEqual(
      call.received.slice(framesAtHangup).filter((frame) => frame.command?.startsWith('sendmsg')),
      [],
      'no command after the hang-up',
    )
  })

  it('up to 3 redirects are followed; a fourth is an error', async () => {
    h.webhook.reply((request) => {
      const hop = Number(request.query.get('hop'))
      return hop < Number(request.query.get('of')) ? { redirect: `/r?hop=${hop + 1}&of=${request.query.get('of')}` } : { body: 'status=ACK' }
    })
    await h.configure('three', { url: h.webhook.url('/r?hop=0&of=3') })
    assert.equal((await h.call({ variables: { webhook: 'three' } })).summary.outcome.reason, 'ok')
    await h.configure('four', { url: h.webhook.url('/r?hop=0&of=4') })
    assert.equal((await h.call({ variables: { webhook: 'four' } })).summary.outcome.reason, 'http_error')
  })

  it('connections are kept alive and reused across calls', async () => {
    await h.configure('pooled', { url: h.webhook.url('/pooled') })
    h.webhook.reply({ body: 'status=ACK' })
    await h.call({ variables: { webhook: 'pooled' } })
    const connections = h.webhook.connections
    for (let i = 0; i < 20; i++) await h.call({ variables: { webhook: 'pooled' } })
    assert.equal(h.webhook.connections, connections)
  })
})

describe('webhook request', () => {
  let h: RouterHarness
  before(async () => {
    h = await RouterHarness.start()
  })
  after(async () => h.close())

  it('is signed with the secret (GET and POST) and carries the User-Agent and X-Call-UUID', async () => {
    for (const method of ['GET', 'POST']) {
      await h.configure('signed', { url: h.webhook.url('/signed?callerid={callerid}&code={code}'), secret: 'correct horse battery staple', method })
      h.webhook.reply({ body: 'status=ACK' })
      const { call } = await h.call({ variables: { webhook: 'signed' }, callerIdNumber: '+31 6 1234' })
      const request = h.webhook.requests.at(-1)
      assert.ok(request)
      assert.equal(request.method, method)
      assert.match(String(request.headers['user-agent']), /^freeswitch-webhook-router\/\d+\.\d+\.\d+/)
      assert.equal(request.headers['x-call-uuid'], call.uuid)
      const headers = { timestamp: request.headers['x-webhook-timestamp'] as string, signature: request.headers['x-webhook-signature'] as string }
      assert.match(headers.signature, /^v1=[0-9a-f]{64}$/)
      const url = h.webhook.url(request.url)
      assert.ok(verifySignature('correct horse battery staple', headers, method, url, request.body))
      assert.ok(!verifySignature('wrong secret', headers, method, url, request.body))
      if (method === 'POST') {
        const form = new URLSearchParams(request.body)
        assert.deepEqual([...form.keys()], ['code', 'did', 'callerid', 'callername', 'uuid'])
        assert.equal(form.get('callerid'), '+31 6 1234')
        assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded')
      } else {
        assert.equal(request.body, '')
        assert.equal(request.query.get('callerid'), '+31 6 1234')
      }
    }
    const everything = h.logs.raw.join('')
    assert.ok(!everything.includes('correct horse'), 'the secret is never logged')
  })

  it('logs one child line per webhook request and one summary per call, with no query values', async () => {
    await h.configure('logged', { url: h.webhook.url('/crm?token=T0pS3cretT0ken&callerid={callerid}') })
    h.webhook.reply({ body: 'status=ACK&destination=%2B31502102544' })
    const { call } = await h.call({ variables: { webhook: 'logged' }, callerIdNumber: '31687654321' })
    const mine = h.logs.lines.filter((line) => line['call'] === call.uuid)
    const request = mine.find((line) => line.msg === 'webhook answered')
    assert.equal(request?.['webhook'], 'logged')
    assert.equal(request?.['url'], `${h.webhook.url('/crm')}?token=<14>&callerid=<11>`)
    const summaries = mine.filter((line) => line.msg === 'call done')
    assert.equal(summaries.length, 1)
    assert.deepEqual(
      Object.keys(summaries[0] ?? {}).filter((key) => ['result', 'reason', 'attempts', 'httpStatus', 'latencyMs', 'disposition'].includes(key)).sort(),
      ['attempts', 'disposition', 'httpStatus', 'latencyMs', 'reason', 'result'],
    )
    const everything = h.logs.raw.join('')
    assert.ok(!everything.includes('T0pS3cretT0ken'))
    assert.ok(!everything.includes('31687654321'))
  })
})

describe('TLS', () => {
  it('certificates are verified: trusted CA works, an unknown CA fails the call into its fallback', async () => {
    const tls = { key: tlsFile('server.key'), cert: tlsFile('server.crt') }
    const trusting = await RouterHarness.start({ webhookTls: tls, webhookCa: tlsFile('ca.crt') })
    const plain = await RouterHarness.start({ webhookTls: tls, redis: trusting.redis })
    try {
      for (const host of ['127.0.0.1', 'localhost']) {
        await trusting.configure(`tls-${host}`, { url: trusting.webhook.url('/secure', host) })
        trusting.webhook.reply({ body: 'status=ACK' })
        assert.equal((await trusting.call({ variables: { webhook: `tls-${host}` } })).summary.outcome.reason, 'ok', host)
      }
      await plain.configure('tls-untrusted', { url: plain.webhook.url('/secure') })
      const { summary } = await plain.call({ variables: { webhook: 'tls-untrusted' } })
      assert.equal(summary.outcome.reason, 'http_error')
      assert.match(String(plain.logs.find('webhook failed').at(-1)?.['detail']), /certificate/i)
      assert.equal(plain.webhook.requests.length, 0)
    } finally {
      await plain.close()
      await trusting.close()
    }
  })
})

describe('outbound address guard', () => {
  it('internal addresses are refused unless WEBHOOK_ALLOW_NETS lists them, including after DNS and redirects', async () => {
    // Only 127.0.0.2 is allowed: the webhook there may answer, 127.0.0.1 (direct, by name or by redirect) may not.
    const h = await RouterHarness.start({ env: { WEBHOOK_ALLOW_NETS: '127.0.0.2/32' } })
    const allowed = await WebhookServer.start({ host: '127.0.0.2' })
    try {
      h.webhook.reply({ body: 'status=ACK' })
      await h.configure('direct', { url: h.webhook.url('/internal') })
      await h.configure('by-name', { url: h.webhook.url('/internal', 'localhost') })
      await h.configure('redirected', { url: allowed.url('/hop') })
      allowed.reply({ redirect: h.webhook.url('/internal') })
      for (const webhook of ['direct', 'by-name', 'redirected']) {
        const { summary } = await h.call({ variables: { webhook } })
        assert.equal(summary.outcome.reason, 'http_error', webhook)
        const detail = String(h.logs.find('webhook failed').at(-1)?.['detail'])
        assert.match(detail, /internal address/, webhook)
        assert.match(detail, /WEBHOOK_ALLOW_NETS/, webhook)
      }
      assert.equal(h.webhook.requests.length, 0, 'the internal webhook was never reached')
      assert.equal(allowed.requests.length, 1, 'the allowed one was, once')
      allowed.reply({ body: 'status=ACK' })
      await h.configure('allowed', { url: allowed.url('/ok') })
      assert.equal((await h.call({ variables: { webhook: 'allowed' } })).summary.outcome.reason, 'ok')
    } finally {
      await allowed.close()
      await h.close()
    }
  })
})
