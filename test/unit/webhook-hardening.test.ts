/** The webhook request and answer against hostile input: path segments, ambiguous answers, linear-time patterns. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compileDestinations } from '../../src/config/destinations.ts'
import { maskUrlTemplate } from '../../src/config/webhook-config.ts'
import { parseWebhookResponse, ResponseError } from '../../src/webhook/response.ts'
import { parseUrlTemplate, renderUrl, requestTarget, type UrlTemplate } from '../../src/webhook/url-template.ts'

function template(source: string): UrlTemplate {
  const parsed = parseUrlTemplate(source)
  if (parsed instanceof Error) throw parsed
  return parsed
}
const values = (callerid: string) => ({ code: '', did: '31201234567', callerid, callername: '', uuid: 'u' })

describe('URL placeholders in the path', () => {
  const path = template('https://crm.example.com/customers/{callerid}/route?from={callerid}#frag')

  it('a value that would be a . or .. segment has its dots encoded; in the query it is left alone', () => {
    assert.equal(renderUrl(path, values('..')), 'https://crm.example.com/customers/%2E%2E/route?from=..#frag')
    assert.equal(renderUrl(path, values('.')), 'https://crm.example.com/customers/%2E/route?from=.#frag')
    assert.equal(renderUrl(path, values('...')), 'https://crm.example.com/customers/.../route?from=...#frag')
    assert.equal(renderUrl(path, values('../..')), 'https://crm.example.com/customers/..%2F../route?from=..%2F..#frag')
  })

  it('the request target is the rendered path as it is, without the fragment, never normalised', () => {
    assert.deepEqual(requestTarget(renderUrl(path, values('..'))), { origin: 'https://crm.example.com', path: '/customers/%2E%2E/route?from=..' })
    assert.deepEqual(requestTarget('http://h.example:8080?x=1'), { origin: 'http://h.example:8080', path: '/?x=1' })
    assert.deepEqual(requestTarget('https://h.example:443/a/./b'), { origin: 'https://h.example', path: '/a/./b' })
    assert.deepEqual(requestTarget('http://user:pw@h.example/a'), { origin: 'http://h.example', path: '/a' })
  })

  it('literal non-ASCII in a template is percent-encoded once, existing escapes kept', () => {
    assert.equal(renderUrl(template('https://h.example/café/%20?q={did}'), values('')), 'https://h.example/caf%C3%A9/%20?q=31201234567')
  })

  it('masks query values of a template that does not parse, for logs', () => {
    assert.equal(maskUrlTemplate('https://h.example/x?token=abc&did={did}'), 'https://h.example/x?token=<3>&did=<5>')
    assert.equal(maskUrlTemplate('https://user:pw@{did}/x?token=secret'), 'https://{did}/x?token=<6>')
    assert.equal(maskUrlTemplate('crm.example.com/x?token=secret'), 'crm.example.com/x?<12>')
    assert.equal(maskUrlTemplate('//user:pw@crm/x?token=secret'), '//crm/x?<12>')
  })
})

describe('an ambiguous webhook answer', () => {
  const read = (contentType: string, body: string) => parseWebhookResponse(200, contentType, Buffer.from(body))
  it('a known key twice is bad_response, in JSON and in a form alike, in any letter case', () => {
    for (const [contentType, body] of [
      ['application/json', '{"status":"NAK","status":"ACK"}'],
      ['application/json', '{"Status":"NAK","status":"ACK"}'],
      ['application/json', '{"status":"ACK","destination":"+31201234567","DESTINATION":"+1900555"}'],
      ['text/plain', 'status=ACK&status=NAK'],
      ['text/plain', 'status=ACK&CallerName=a&callername=b'],
    ] as const) {
      const answer = read(contentType, body)
      assert.ok(answer instanceof ResponseError, body)
      assert.equal(answer.reason, 'bad_response')
      assert.match(answer.message, /more than once/)
    }
  })

  it('unknown keys may repeat, and nested objects or strings that look like keys do not count', () => {
    assert.equal((read('text/plain', 'status=ACK&x=1&x=2') as { status: string }).status, 'ACK')
    assert.equal((read('application/json', '{"x":1,"x":2,"status":"ACK"}') as { status: string }).status, 'ACK')
    assert.equal((read('application/json', '{"meta":{"status":"NAK"},"note":"\\"status\\":","status":"ACK"}') as { status: string }).status, 'ACK')
    assert.equal((read('application/json', '{"list":[{"status":"x"}],"status":"ERR"}') as { status: string }).status, 'ERR')
  })
})

describe('destinations patterns run in linear time', () => {
  it('catastrophic backtracking patterns answer at once', () => {
    for (const source of ['(((\\+?\\d+)+)+)+x', '(\\d+)*x', '(\\d|\\d\\d)*x', '(1+1+)+x', '(\\+?\\d*)*\\D', '([0-9]+[0-9]+)+$x']) {
      const pattern = compileDestinations(source)
      assert.ok(!(pattern instanceof Error), source)
      const started = performance.now()
      for (let i = 0; i < 100; i++) assert.equal(pattern.test('+123456789012345'), false, source)
      // 100 matches; a backtracking engine took 26 s for one with the first pattern.
      assert.ok(performance.now() - started < 2000, `${source}: ${Math.round(performance.now() - started)} ms`)
    }
  })

  it('matches the whole destination', () => {
    const pattern = compileDestinations('\\+31\\d{9}|1\\d{3}')
    assert.ok(!(pattern instanceof Error))
    assert.deepEqual(['+31201234567', '1234', '+312012345678', '12345', 'x1234'].map((value) => pattern.test(value)), [true, true, false, false, false])
  })

  it('refuses what RE2 cannot run and patterns too large to run cheaply', () => {
    for (const [source, reason] of [
      ['(a)\\1', /no backreferences or lookaround/],
      ['(?=1)1', /no backreferences or lookaround/],
      ['(', /not a valid pattern/],
      ['\\d{1,1000}', /too complex/],
      ['(.*){1,1000}', /too complex|not a valid/],
      ['x'.repeat(257), /longer than 256/],
    ] as const) {
      const pattern = compileDestinations(source)
      assert.ok(pattern instanceof Error, source)
      assert.match(pattern.message, reason)
    }
  })
})
