/** The webhook's pure parts: URL templates, answers, signatures, the circuit breaker. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { CircuitBreaker, type CircuitState } from '../../src/webhook/circuit-breaker.ts'
import { parseWebhookResponse, ResponseError, type WebhookAnswer } from '../../src/webhook/response.ts'
import { signature, verifySignature } from '../../src/webhook/signing.ts'
import { checkResponseParser } from '../fuzz/properties.ts'
import { maskUrl, parseUrlTemplate, renderUrl, type UrlTemplate } from '../../src/webhook/url-template.ts'

const VALUES = { code: '', did: '31201234567', callerid: '+31612345678', callername: 'Jan', uuid: 'u-1' }

function template(source: string): UrlTemplate {
  const parsed = parseUrlTemplate(source)
  if (parsed instanceof Error) throw parsed
  return parsed
}

describe('URL template', () => {
  it('replaces placeholders with percent-encoded values', () => {
    const url = renderUrl(template('https://crm.example.com/l/{did}?cid={callerid}&name={callername}&code={code}&id={uuid}'), {
      ...VALUES,
      callername: 'Jan & Piet?/#',
    })
    assert.equal(url, 'https://crm.example.com/l/31201234567?cid=%2B31612345678&name=Jan%20%26%20Piet%3F%2F%23&code=&id=u-1')
  })

  it('keeps the URL structure whatever the caller-controlled values hold', () => {
    const parsed = template('https://crm.example.com/lookup/{callername}?cid={callerid}&n={callername}')
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.string({ maxLength: 30 }), (callername, callerid) => {
        const url = new URL(renderUrl(parsed, { ...VALUES, callername, callerid }))
        assert.equal(url.host, 'crm.example.com')
        assert.equal(url.pathname.split('/').length, 3)
        assert.deepEqual([...url.searchParams.keys()], ['cid', 'n'])
        assert.equal(url.searchParams.get('n'), callername)
        assert.equal(url.searchParams.get('cid'), callerid)
        assert.equal(url.hash, '')
      }),
    )
  })

  it('masks query values and credentials for logs', () => {
    assert.equal(maskUrl('https://user:pw@crm.example.com/l?token=abc123&cid=%2B316'), 'https://crm.example.com/l?token=<6>&cid=<4>')
    assert.equal(maskUrl('https://crm.example.com/l'), 'https://crm.example.com/l')
  })
})

describe('webhook answer', () => {
  const form = (body: string, status = 200, type = 'text/plain'): WebhookAnswer | ResponseError => parseWebhookResponse(status, type, Buffer.from(body))

  it('reads form pairs whatever the content type, keys and status case-insensitive', () => {
    assert.deepEqual(form('status=ACK&destination=%2B31502102544&callername=ACME'), { status: 'ACK', destination: '+31502102544', callername: 'ACME' })
    assert.deepEqual(form('STATUS=nak', 200, 'text/html'), { status: 'NAK', destination: undefined, callername: undefined })
    assert.deepEqual(form('Status=Err&Extra=1\n'), { status: 'ERR', destination: undefined, callername: undefined })
    assert.deepEqual(form('status=ACK&callername=Jan+de+Vries'), { status: 'ACK', destination: undefined, callername: 'Jan de Vries' })
  })

  it('keeps a literal + at the start of a destination (an unencoded E.164 number)', () => {
    assert.equal((form('status=ACK&destination=+31502102544') as WebhookAnswer).destination, '+31502102544')
  })

  it('reads a JSON object when the content type is JSON', () => {
    assert.deepEqual(parseWebhookResponse(200, 'application/json; charset=utf-8', Buffer.from('{"Status":"ack","DESTINATION":"1001","callername":"Ann","x":[1]}')), {
      status: 'ACK',
      destination: '1001',
      callername: 'Ann',
    })
    assert.equal((parseWebhookResponse(200, 'application/vnd.api+json', Buffer.from('{"status":"ACK","destination":1001}')) as WebhookAnswer).destination, '1001')
  })

  it('refuses what is not an answer', () => {
    const cases: Array<[WebhookAnswer | ResponseError, 'bad_response' | 'http_error']> = [
      [form('destination=1001'), 'bad_response'],
      [form('status=MAYBE'), 'bad_response'],
      [form(''), 'bad_response'],
      [form('status=%ZZ'), 'bad_response'],
      [parseWebhookResponse(200, 'text/plain', Buffer.from([0x73, 0x74, 0xff])), 'bad_response'],
      [parseWebhookResponse(200, 'application/json', Buffer.from('[1,2]')), 'bad_response'],
      [parseWebhookResponse(200, 'application/json', Buffer.from('status=ACK')), 'bad_response'],
      [form('status=ACK', 302), 'http_error'],
      [form('status=ACK', 500), 'http_error'],
    ]
    for (const [result, reason] of cases) {
      assert.ok(result instanceof ResponseError)
      assert.equal(result.reason, reason)
    }
  })

  it('fuzz: well-formed answers read back exactly; random and mutated bodies never throw', () => {
    checkResponseParser({ numRuns: 300 })
  })
})

describe('signature', () => {
  it('is HMAC-SHA256 of TIMESTAMP.METHOD.URL.BODY (a vector computed with openssl)', () => {
    assert.equal(
      signature('topsecret', '1700000000', 'GET', 'https://crm.example.com/lookup?callerid=%2B31612345678', ''),
      'v1=151f9378daf2139c701c35b18cf99891147eacc550b3eab7b0e4486c96597f77',
    )
  })

  it('verifies fresh signatures and refuses stale, altered or missing ones', () => {
    const now = 1_700_000_000
    const headers = { timestamp: String(now), signature: signature('k', String(now), 'POST', 'https://x.example/h', 'a=1') }
    assert.ok(verifySignature('k', headers, 'POST', 'https://x.example/h', 'a=1', { now }))
    assert.ok(!verifySignature('k', headers, 'POST', 'https://x.example/h', 'a=2', { now }))
    assert.ok(!verifySignature('k', headers, 'GET', 'https://x.example/h', 'a=1', { now }))
    assert.ok(!verifySignature('k', headers, 'POST', 'https://x.example/h', 'a=1', { now: now + 301 }))
    assert.ok(!verifySignature('k', { timestamp: undefined, signature: headers.signature }, 'POST', 'https://x.example/h', 'a=1', { now }))
  })
})

describe('circuit breaker', () => {
  function breaker(): { breaker: CircuitBreaker; clock: { now: number }; changes: Array<[string, CircuitState]> } {
    const clock = { now: 0 }
    const changes: Array<[string, CircuitState]> = []
    return {
      breaker: new CircuitBreaker({ threshold: 3, cooldownMs: 1000, now: () => clock.now, onChange: (origin, state) => changes.push([origin, state]) }),
      clock,
      changes,
    }
  }

  it('opens after threshold consecutive failures, fails fast for the cool-down, then lets one trial through', () => {
    const { breaker: b, clock, changes } = breaker()
    const origin = 'https://crm.example.com'
    for (let i = 0; i < 3; i++) {
      assert.ok(b.allow(origin))
      b.failure(origin)
    }
    assert.equal(b.state(origin), 'open')
    assert.ok(!b.allow(origin))
    clock.now = 999
    assert.ok(!b.allow(origin))
    clock.now = 1000
    assert.ok(b.allow(origin), 'the trial')
    assert.ok(!b.allow(origin), 'only one trial at a time')
    b.success(origin)
    assert.equal(b.state(origin), 'closed')
    assert.ok(b.allow(origin))
    assert.deepEqual(changes, [
      [origin, 'open'],
      [origin, 'half-open'],
      [origin, 'closed'],
    ])
    assert.deepEqual(b.openOrigins(), [])
  })

  it('a failed trial opens it again; a success in between resets the count; origins are independent', () => {
    const { breaker: b, clock } = breaker()
    b.failure('a')
    b.failure('a')
    b.success('a')
    b.failure('a')
    b.failure('a')
    assert.equal(b.state('a'), 'closed')
    b.failure('a')
    assert.equal(b.state('a'), 'open')
    assert.equal(b.state('b'), 'closed')
    clock.now = 5000
    assert.ok(b.allow('a'))
    b.failure('a')
    assert.equal(b.state('a'), 'open')
    assert.ok(!b.allow('a'))
  })

  it('a trial abandoned by a hang-up frees the slot', () => {
    const { breaker: b, clock } = breaker()
    for (let i = 0; i < 3; i++) b.failure('a')
    clock.now = 1000
    assert.ok(b.allow('a'))
    b.release('a')
    assert.ok(b.allow('a'))
  })
})
