import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { hopHeaders, nextHop, type Hop } from '../../src/webhook/redirects.ts'

const post: Hop = { origin: 'https://hooks.example', path: '/a/b?x=1', method: 'POST', body: 'code=1' }
const get: Hop = { ...post, method: 'GET', body: '' }

describe('redirect hops', () => {
  it('resolves a relative Location against the current request', () => {
    assert.deepEqual(nextHop(get, 302, '../c?y=2'), { origin: 'https://hooks.example', path: '/c?y=2', method: 'GET', body: '' })
    assert.deepEqual(nextHop(get, 301, 'http://other.example:8080/z'), { origin: 'http://other.example:8080', path: '/z', method: 'GET', body: '' })
  })

  it('a 303, and a 301 or 302 answering a POST, continue as a GET without body; 307 and 308 keep the POST', () => {
    for (const status of [301, 302, 303]) assert.deepEqual(nextHop(post, status, '/n'), { origin: post.origin, path: '/n', method: 'GET', body: '' }, String(status))
    for (const status of [307, 308]) assert.deepEqual(nextHop(post, status, '/n'), { origin: post.origin, path: '/n', method: 'POST', body: 'code=1' }, String(status))
    assert.equal((nextHop(get, 307, '/n') as Hop).method, 'GET')
  })

  it('refuses a redirect without a Location, to an invalid one, or to another scheme', () => {
    assert.equal(nextHop(get, 302, undefined), 'HTTP 302 redirect without a Location')
    assert.equal(nextHop(get, 302, ''), 'HTTP 302 redirect without a Location')
    assert.equal(nextHop(get, 301, 'http://[::1'), 'HTTP 301 redirect to an invalid Location')
    assert.equal(nextHop(get, 302, 'file:///etc/passwd'), 'HTTP 302 redirect to a file: URL')
    assert.equal(nextHop(get, 302, 'javascript:alert(1)'), 'HTTP 302 redirect to a javascript: URL')
  })

  it('a hop turned into a GET drops the body headers, a POST keeps them', () => {
    const headers = { 'user-agent': 'r', 'content-type': 'application/x-www-form-urlencoded', 'x-webhook-signature': 'v1=00' }
    assert.deepEqual(hopHeaders(headers, get), { 'user-agent': 'r', 'x-webhook-signature': 'v1=00' })
    assert.deepEqual(hopHeaders(headers, post), headers)
  })
})
