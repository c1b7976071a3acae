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

  it('names what is wrong with a template, and where', () => {
    const problem = (source: string): string => {
      const parsed = parseUrlTemplate(source)
      assert.ok(parsed instanceof Error, `refused: ${source}`)
      return parsed.message
    }
    assert.equal(problem('https://x.example/a}'), 'unmatched "}" at position 20')
    assert.equal(problem('https://x.example/{did'), 'unmatched "{" at position 19')
    assert.equal(problem('https://x.example/{dial}'), 'unknown placeholder {dial} (known: {code} {did} {callerid} {callername} {uuid})')
    assert.equal(problem('not a url'), 'is not an absolute URL')
    assert.equal(problem('ftp://x.example/'), 'scheme ftp: is not http: or https:')
    const where = 'a placeholder in the scheme, host or port would let a caller choose where the router connects'
    assert.equal(problem('https://{did}/'), where)
    assert.equal(problem('https://x{did}.example/'), where)
    assert.equal(problem('https://x.example:8{code}/'), where)
  })

  it('keeps literal text as written, percent-encoding only what is beyond ASCII', () => {
    const parsed = template('https://x.example/é~/{did}{code}?q={uuid}')
    assert.deepEqual(parsed.parts, ['https://x.example/%C3%A9~/', { placeholder: 'did', inPath: true }, { placeholder: 'code', inPath: true }, '?q=', { placeholder: 'uuid', inPath: false }])
    // After a fragment mark a placeholder is not in the path either: its dots stay.
    assert.equal(renderUrl(template('https://x.example/{did}#{did}'), { ...VALUES, did: '..' }), 'https://x.example/%2E%2E#..')
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

  it('refuses each missing or malformed part on its own, and accepts the edge of the tolerance', () => {
    const now = 1_700_000_000
    const sign = (timestamp: string): string => signature('k', timestamp, 'GET', 'https://x.example/h', '')
    const verify = (timestamp: string | undefined, received: string | undefined, at = now): boolean => verifySignature('k', { timestamp, signature: received }, 'GET', 'https://x.example/h', '', { now: at })
    assert.equal(verify(String(now), sign(String(now))), true)
    assert.equal(verify(String(now), undefined), false, 'no signature')
    assert.equal(verify(undefined, undefined), false, 'neither')
    // Timestamps that are not plain digits, even where Number() would read them.
    for (const timestamp of [`${now} `, ` ${now}`, `+${now}`, `${now}.0`, `0x${now.toString(16)}`, '']) assert.equal(verify(timestamp, sign(timestamp)), false, JSON.stringify(timestamp))
    assert.equal(verify(String(now), sign(String(now)), now + 300), true, '300 s old is still fresh')
    assert.equal(verify(String(now), sign(String(now)), now - 300), true, '300 s ahead too')
    assert.equal(verify(String(now), sign(String(now)), now + 301), false)
    assert.equal(verifySignature('k', { timestamp: String(now), signature: sign(String(now)) }, 'GET', 'https://x.example/h', '', { now: now + 1000, toleranceSeconds: 1000 }), true)
    // A signature of another length is refused, not thrown on.
    assert.equal(verify(String(now), 'v1=abc'), false)
    assert.equal(verify(String(now), `${sign(String(now))}0`), false)
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

  it('below the threshold a closed circuit lets every request through and reports nothing', () => {
    const { breaker: b, changes } = breaker()
    b.failure('a')
    b.failure('a')
    assert.ok(b.allow('a'))
    assert.ok(b.allow('a'), 'no trial slot while closed')
    b.success('a')
    assert.deepEqual(changes, [], 'a success on a closed circuit is not a change')
    assert.deepEqual(b.openOrigins(), [])
  })

  it('lists the origins that are not closed, with their state', () => {
    const { breaker: b, clock } = breaker()
    for (let i = 0; i < 3; i++) b.failure('a')
    b.failure('b')
    for (let i = 0; i < 3; i++) b.failure('c')
    assert.deepEqual(b.openOrigins(), [['a', 'open'], ['c', 'open']])
    clock.now = 1000
    assert.ok(b.allow('a'))
    assert.deepEqual(b.openOrigins(), [['a', 'half-open'], ['c', 'open']])
  })

  it('a request that was in flight when the circuit opened does not extend the cool-down', () => {
    const { breaker: b, clock } = breaker()
    for (let i = 0; i < 4; i++) assert.ok(b.allow('a'))
    for (let i = 0; i < 3; i++) b.failure('a')
    clock.now = 500
    b.failure('a')
    clock.now = 1000
    assert.ok(b.allow('a'), 'the cool-down counts from the opening')
  })

  it('works without a change listener', () => {
    let now = 0
    const b = new CircuitBreaker({ threshold: 1, cooldownMs: 10, now: () => now })
    b.failure('a')
    assert.equal(b.state('a'), 'open')
    now = 10
    assert.ok(b.allow('a'))
    b.success('a')
    assert.equal(b.state('a'), 'closed')
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
