/**
 * The webhook answer parser, result by result: every refusal's reason and
 * message (the log's `detail`), every edge of the accepted forms, and
 * duplicate keys found at the top level of JSON only. Written to kill what
 * the mutation run showed the other tests let through.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseWebhookResponse, ResponseError, type WebhookAnswer } from '../../src/webhook/response.ts'

const parse = (body: string, status = 200, type = 'text/plain'): WebhookAnswer | ResponseError => parseWebhookResponse(status, type, Buffer.from(body))
const json = (body: string): WebhookAnswer | ResponseError => parse(body, 200, 'application/json')

function refused(result: WebhookAnswer | ResponseError): [string, string, string] {
  assert.ok(result instanceof ResponseError, `refused: ${JSON.stringify(result)}`)
  return [result.name, result.reason, result.message]
}

describe('webhook answer, exactly', () => {
  it('every 2xx is an answer, 1xx and 3xx-5xx are http_error naming the status', () => {
    for (const status of [200, 201, 204, 299]) assert.deepEqual(parse('status=ACK', status), { status: 'ACK', destination: undefined, callername: undefined }, String(status))
    for (const status of [100, 199, 300, 302, 404, 500]) assert.deepEqual(refused(parse('status=ACK', status)), ['ResponseError', 'http_error', `HTTP ${status}`])
  })

  it('names each bad_response', () => {
    assert.deepEqual(refused(parseWebhookResponse(200, 'text/plain', Buffer.from([0x73, 0xff]))), ['ResponseError', 'bad_response', 'the body is not UTF-8'])
    assert.deepEqual(refused(parse('destination=1001')), ['ResponseError', 'bad_response', 'no status in the answer'])
    assert.deepEqual(refused(parse('status=maybe')), ['ResponseError', 'bad_response', 'unknown status "MAYBE"'])
    assert.deepEqual(refused(json('{"status":')), ['ResponseError', 'bad_response', 'the JSON body does not parse'])
    for (const body of ['[1]', 'null', '"ACK"', '3']) assert.deepEqual(refused(json(body)), ['ResponseError', 'bad_response', 'the JSON body is not an object'], body)
    assert.deepEqual(refused(parse('status=%E0%A4%A')), ['ResponseError', 'bad_response', 'malformed percent-encoding in the body'])
    assert.deepEqual(refused(parse('sta%ZZtus=ACK')), ['ResponseError', 'bad_response', 'malformed percent-encoding in the body'])
    assert.deepEqual(refused(parse('status=ACK&Status=NAK')), ['ResponseError', 'bad_response', 'the answer gives status more than once'])
    assert.deepEqual(refused(json('{"status":"ACK","STATUS":"NAK"}')), ['ResponseError', 'bad_response', 'the answer gives status more than once'])
    assert.deepEqual(refused(json('{"status":"ACK","destination":"1","destination":"2"}')), ['ResponseError', 'bad_response', 'the answer gives destination more than once'])
  })

  it('the content type decides JSON: application/json and application/*+json only, whatever the case and spaces', () => {
    assert.equal((parse('{"status":"ACK"}', 200, '  Application/JSON ') as WebhookAnswer).status, 'ACK')
    assert.equal((parse('{"status":"NAK"}', 200, 'application/problem+json') as WebhookAnswer).status, 'NAK')
    // Not JSON: read as a form, where this body has no status.
    assert.deepEqual(refused(parse('{"status":"ACK"}', 200, 'text/application/json')), ['ResponseError', 'bad_response', 'no status in the answer'])
    assert.deepEqual(refused(parse('{"status":"ACK"}', 200, 'application/jsonx')), ['ResponseError', 'bad_response', 'no status in the answer'])
  })

  it('trims the destination, drops empty ones and blank caller names, keeps other names as sent', () => {
    assert.deepEqual(parse('status=ACK&destination=%201001%20&callername=%20Ann%20'), { status: 'ACK', destination: '1001', callername: ' Ann ' })
    assert.deepEqual(parse('status=ACK&destination=&callername=%20%20'), { status: 'ACK', destination: undefined, callername: undefined })
    assert.deepEqual(parse('status=ACK&callername'), { status: 'ACK', destination: undefined, callername: undefined })
    assert.deepEqual(parse('&&status=ACK&&'), { status: 'ACK', destination: undefined, callername: undefined })
    assert.deepEqual(parse('  status=ACK&destination=1001\r\n'), { status: 'ACK', destination: '1001', callername: undefined })
    assert.deepEqual(parse('%20Status%20=ACK'), { status: 'ACK', destination: undefined, callername: undefined })
    assert.deepEqual(parse('status=ACK&note=a=b'), { status: 'ACK', destination: undefined, callername: undefined })
    assert.deepEqual(parse('status=ACK&callername=a=b'), { status: 'ACK', destination: undefined, callername: 'a=b' })
  })

  it('a literal + starts an E.164 destination only when digits follow, in the destination only', () => {
    assert.equal((parse('status=ACK&destination=+31502102544') as WebhookAnswer).destination, '+31502102544')
    assert.equal((parse('status=ACK&destination=+3150x') as WebhookAnswer).destination, '3150x')
    assert.equal((parse('status=ACK&destination=1+2') as WebhookAnswer).destination, '1 2')
    assert.equal((parse('status=ACK&callername=+31') as WebhookAnswer).callername, ' 31')
  })

  it('JSON: strings, finite numbers; other values count as absent; keys nested deeper are not top-level duplicates', () => {
    assert.deepEqual(json('{"status":"ACK","destination":1001,"callername":"Ann"}'), { status: 'ACK', destination: '1001', callername: 'Ann' })
    assert.deepEqual(json('{"status":"ACK","destination":true,"callername":null}'), { status: 'ACK', destination: undefined, callername: undefined })
    assert.deepEqual(json('{"status":"ACK","destination":{"destination":"2"},"x":["status",{"status":"N"}]}'), { status: 'ACK', destination: undefined, callername: undefined })
    assert.deepEqual(json('{ "status" : "ACK" , "a\\"b" : "status", "callername":"x:y"}'), { status: 'ACK', destination: undefined, callername: 'x:y' })
    assert.deepEqual(refused(json('{"status":"ACK", "x": {"y": 1}, "status" : "NAK"}')), ['ResponseError', 'bad_response', 'the answer gives status more than once'])
    assert.deepEqual(refused(json('{"status":"ACK", "x": [1, {"y": 1}], "Status":"ACK"}')), ['ResponseError', 'bad_response', 'the answer gives status more than once'])
  })

  it('JSON: duplicates are found after strings holding quotes, braces and brackets, and after arrays', () => {
    const duplicate = ['ResponseError', 'bad_response', 'the answer gives status more than once']
    assert.deepEqual(refused(json('{"x":[1],"status":"ACK","status":"NAK"}')), duplicate)
    assert.deepEqual(refused(json('{"x":"{[","status":"ACK","status":"NAK"}')), duplicate)
    assert.deepEqual(refused(json('{"x":"]}","status":"ACK","status":"NAK"}')), duplicate)
    assert.deepEqual(refused(json('{"a\\"":"\\"status\\":","status":"ACK","status":"NAK"}')), duplicate)
    // A key-like text inside a string value is not a key.
    assert.deepEqual(json('{"status":"ACK","x":"\\",\\"status\\":\\"NAK"}'), { status: 'ACK', destination: undefined, callername: undefined })
  })

  it('forms: a key without "=" has an empty value, the body is trimmed, an unknown status is cut to 20 characters', () => {
    assert.deepEqual(refused(parse('status')), ['ResponseError', 'bad_response', 'unknown status ""'])
    assert.deepEqual(parse('status=ACK&callername=Bob\n'), { status: 'ACK', destination: undefined, callername: 'Bob' })
    assert.deepEqual(refused(parse(`status=${'x'.repeat(30)}`)), ['ResponseError', 'bad_response', `unknown status "${'X'.repeat(20)}"`])
  })
})
