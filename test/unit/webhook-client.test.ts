// The webhook client on its own, against a real HTTP server: what goes on the
// wire (every header, the body, the signature), how each failure is classified,
// and how the circuit breaker counts outcomes. Written against the mutation
// run's survivors in src/webhook/client.ts.
import assert from 'node:assert/strict'
import { createServer, type AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { parseWebhookConfig, ConfigError, type WebhookConfig } from '../../src/config/webhook-config.ts'
import { silentLogger } from '../../src/logger.ts'
import { parseAllowList, type AllowList } from '../../src/net/allow-list.ts'
import { DEFAULT_STEP_POLICY } from '../../src/steps/grammar.ts'
import { USER_AGENT } from '../../src/version.ts'
import { WebhookClient, type WebhookResult } from '../../src/webhook/client.ts'
import type { CircuitState } from '../../src/webhook/circuit-breaker.ts'
import { signature } from '../../src/webhook/signing.ts'
import { WebhookServer } from '../support/webhook-server.ts'

const VALUES = { code: '42', did: '+31201234567', callerid: '+31612345678', callername: 'Jan & Co', uuid: 'u-1' }
const LOOPBACK = parseAllowList(['127.0.0.0/8', '::1']) as AllowList
const NOTHING = parseAllowList([]) as AllowList

function config(fields: Record<string, string>): WebhookConfig {
  const parsed = parseWebhookConfig('webhook:t', 't', fields, DEFAULT_STEP_POLICY)
  if (parsed instanceof ConfigError) throw parsed
  return parsed
}

function context(signal = new AbortController().signal): { callUuid: string; signal: AbortSignal; logger: typeof silentLogger } {
  return { callUuid: 'call-uuid-1', signal, logger: silentLogger }
}

function failure(result: WebhookResult): Extract<WebhookResult, { ok: false }> {
  assert.equal(result.ok, false, `expected a failure, got ${JSON.stringify(result)}`)
  return result as Extract<WebhookResult, { ok: false }>
}

describe('webhook client on the wire', () => {
  let server: WebhookServer
  before(async () => {
    server = await WebhookServer.start()
  })
  after(async () => {
    await server.close()
  })

  it('GET sends exactly the user agent and the call UUID: no body, no content type, no signature', async () => {
    const results: Array<[string, WebhookResult]> = []
    const client = new WebhookClient({ allowNets: LOOPBACK, onResult: (name, result) => results.push([name, result]) })
    server.reply({ body: 'status=ACK&destination=%2B31207654321' })
    const seen = server.requests.length
    const result = await client.call(config({ url: server.url('/route/{did}') }), VALUES, context())
    await client.close()
    assert.equal(result.ok, true)
    assert.equal(result.ok && result.httpStatus, 200)
    const request = server.requests[seen]!
    assert.equal(request.method, 'GET')
    assert.equal(request.url, '/route/%2B31201234567')
    assert.equal(request.body, '')
    assert.equal(request.headers['user-agent'], USER_AGENT)
    assert.equal(request.headers['x-call-uuid'], 'call-uuid-1')
    assert.equal(request.headers['content-type'], undefined)
    assert.equal(request.headers['x-webhook-signature'], undefined)
    assert.equal(request.headers['x-webhook-timestamp'], undefined)
    assert.deepEqual(results.map(([name, r]) => [name, r.ok]), [['t', true]])
  })

  it('POST sends the form body, its content type and a signature over the URL sent and the body', async () => {
    const client = new WebhookClient({ allowNets: LOOPBACK })
    server.reply({ body: 'status=NAK' })
    const seen = server.requests.length
    const url = server.url('/hook?x={callerid}')
    const result = await client.call(config({ url, method: 'POST', secret: 's3cret' }), VALUES, context())
    await client.close()
    assert.equal(result.ok, true)
    const request = server.requests[seen]!
    assert.equal(request.method, 'POST')
    assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded')
    assert.equal(request.body, 'code=42&did=%2B31201234567&callerid=%2B31612345678&callername=Jan+%26+Co&uuid=u-1')
    const timestamp = String(request.headers['x-webhook-timestamp'])
    assert.match(timestamp, /^\d{10}$/)
    assert.ok(Math.abs(Number(timestamp) - Date.now() / 1000) < 300, 'the timestamp is now, in seconds')
    const sentUrl = `http://127.0.0.1:${server.port}${request.url}`
    assert.equal(request.headers['x-webhook-signature'], signature('s3cret', timestamp, 'POST', sentUrl, request.body))
  })

  it('a literal internal IP is refused before connecting, IPv4 and bracketed IPv6 alike', async () => {
    const client = new WebhookClient({ allowNets: NOTHING })
    const seen = server.requests.length
    const v4 = failure(await client.call(config({ url: server.url('/') }), VALUES, context()))
    assert.equal(v4.reason, 'http_error')
    assert.match(v4.detail, /^refused: .*127\.0\.0\.1/)
    assert.equal(v4.httpStatus, undefined)
    const v6 = failure(await client.call(config({ url: `http://[::1]:${server.port}/` }), VALUES, context()))
    assert.equal(v6.reason, 'http_error')
    assert.match(v6.detail, /^refused: .*::1/)
    await client.close()
    assert.equal(server.requests.length, seen, 'nothing reached the server')
  })

  it('a non-2xx answer is an http_error naming the status; a 2xx other than 200 is read', async () => {
    const client = new WebhookClient({ allowNets: LOOPBACK })
    server.reply({ status: 404, body: 'status=ACK' })
    const notFound = failure(await client.call(config({ url: server.url('/') }), VALUES, context()))
    assert.deepEqual([notFound.reason, notFound.detail, notFound.httpStatus], ['http_error', 'HTTP 404', 404])
    server.reply({ status: 299, body: 'status=ACK' })
    const edge = await client.call(config({ url: server.url('/') }), VALUES, context())
    assert.equal(edge.ok && edge.httpStatus, 299)
    await client.close()
  })

  it('a body over 64 KiB is a bad_response naming the cap; exactly 64 KiB is read', async () => {
    const client = new WebhookClient({ allowNets: LOOPBACK })
    const filler = (size: number): string => `status=ACK&x=${'a'.repeat(size - 'status=ACK&x='.length)}`
    server.reply({ body: filler(64 * 1024 + 1) })
    const over = failure(await client.call(config({ url: server.url('/') }), VALUES, context()))
    assert.deepEqual([over.reason, over.detail, over.httpStatus], ['bad_response', 'body larger than 65536 bytes', 200])
    server.reply({ body: filler(64 * 1024) })
    const exact = await client.call(config({ url: server.url('/') }), VALUES, context())
    await client.close()
    assert.notEqual(!exact.ok && exact.detail, 'body larger than 65536 bytes')
  })

  it('more than three redirects is an http_error after the fourth', async () => {
    const client = new WebhookClient({ allowNets: LOOPBACK })
    server.reply({ redirect: '/again' })
    const seen = server.requests.length
    const result = failure(await client.call(config({ url: server.url('/') }), VALUES, context()))
    await client.close()
    assert.deepEqual([result.reason, result.detail, result.httpStatus], ['http_error', 'more than 3 redirects', 302])
    assert.equal(server.requests.length - seen, 4, 'the first request and three redirects')
  })

  it('the deadline ends a request that never answers: http_timeout, not before timeout_ms', async () => {
    const client = new WebhookClient({ allowNets: LOOPBACK })
    server.reply({ hang: true })
    const result = failure(await client.call(config({ url: server.url('/'), timeout_ms: '300' }), VALUES, context()))
    await client.close()
    assert.deepEqual([result.reason, result.detail], ['http_timeout', 'deadline reached'])
    assert.ok(result.latencyMs >= 290, `latency ${result.latencyMs} ms`)
  })

  it('a caller who hangs up ends the request as aborted and frees the circuit trial', async () => {
    const changes: Array<[string, CircuitState]> = []
    const client = new WebhookClient({ allowNets: LOOPBACK, circuitThreshold: 1, circuitCooldownMs: 60_000, onCircuitChange: (o, s) => changes.push([o, s]) })
    server.reply({ hang: true })
    const hangup = new AbortController()
    const seen = server.requests.length
    const pending = client.call(config({ url: server.url('/'), timeout_ms: '10000' }), VALUES, context(hangup.signal))
    await server.waitForRequests(seen + 1)
    hangup.abort()
    const result = failure(await pending)
    assert.deepEqual([result.reason, result.detail], ['aborted', 'the caller hung up'])
    assert.deepEqual(changes, [], 'a hang-up is not a webhook failure')
    assert.equal(client.breaker.state(`http://127.0.0.1:${server.port}`), 'closed')
    // Already hung up before the call: nothing is sent.
    const early = new AbortController()
    early.abort()
    const before = server.requests.length
    const none = failure(await client.call(config({ url: server.url('/') }), VALUES, context(early.signal)))
    assert.equal(none.reason, 'aborted')
    assert.equal(server.requests.length, before)
    await client.close()
  })

  it('failures open the circuit at the threshold; an open circuit answers circuit_open without a request', async () => {
    const changes: Array<[string, CircuitState]> = []
    const client = new WebhookClient({ allowNets: LOOPBACK, circuitThreshold: 2, circuitCooldownMs: 60_000, onCircuitChange: (o, s) => changes.push([o, s]) })
    const origin = `http://127.0.0.1:${server.port}`
    server.reply({ status: 500 })
    await client.call(config({ url: server.url('/') }), VALUES, context())
    assert.deepEqual(changes, [])
    await client.call(config({ url: server.url('/') }), VALUES, context())
    assert.deepEqual(changes, [[origin, 'open']])
    const seen = server.requests.length
    const open = failure(await client.call(config({ url: server.url('/') }), VALUES, context()))
    await client.close()
    assert.deepEqual([open.reason, open.detail, open.httpStatus, open.latencyMs], ['circuit_open', `circuit open for ${origin}`, undefined, 0])
    assert.equal(server.requests.length, seen)
  })

  it('a bad answer does not count against the circuit (the webhook is up), an HTTP error does', async () => {
    const client = new WebhookClient({ allowNets: LOOPBACK, circuitThreshold: 1, circuitCooldownMs: 60_000 })
    const origin = `http://127.0.0.1:${server.port}`
    server.reply({ body: 'status=MAYBE' })
    const bad = failure(await client.call(config({ url: server.url('/') }), VALUES, context()))
    assert.equal(bad.reason, 'bad_response')
    assert.equal(client.breaker.state(origin), 'closed')
    server.reply({ status: 503 })
    await client.call(config({ url: server.url('/') }), VALUES, context())
    assert.equal(client.breaker.state(origin), 'open')
    await client.close()
  })
})

describe('webhook client: connections that fail', () => {
  it('a refused connection is an http_error naming ECONNREFUSED after one retry, well inside the deadline', async () => {
    // A port nothing listens on: bind one, note it, close it.
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const port = (probe.address() as AddressInfo).port
    await new Promise<void>((resolve) => probe.close(() => resolve()))
    const client = new WebhookClient({ allowNets: LOOPBACK })
    const result = failure(await client.call(config({ url: `http://127.0.0.1:${port}/`, timeout_ms: '5000' }), VALUES, context()))
    await client.close()
    assert.equal(result.reason, 'http_error')
    assert.match(result.detail, /^connect: ECONNREFUSED /)
    assert.equal(result.httpStatus, undefined)
    assert.ok(result.latencyMs < 4000, `gave up after ${result.latencyMs} ms instead of retrying until the deadline`)
  })

  it('a connection closed before any answer is an http_error with undici’s code, not a connect failure', async () => {
    const rude = createServer((socket) => socket.destroy())
    await new Promise<void>((resolve) => rude.listen(0, '127.0.0.1', resolve))
    const port = (rude.address() as AddressInfo).port
    const client = new WebhookClient({ allowNets: LOOPBACK })
    const result = failure(await client.call(config({ url: `http://127.0.0.1:${port}/` }), VALUES, context()))
    await client.close()
    await new Promise<void>((resolve) => rude.close(() => resolve()))
    assert.equal(result.reason, 'http_error')
    assert.match(result.detail, /^UND_ERR_SOCKET /)
  })
})
