/** The API as an operator's portal uses it: tokens, roles, tenants, 422 with reasons, records, the audit trail. */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { request } from 'undici'
import { configCommand } from '../../src/cli/config.ts'
import { ConsoleHarness } from '../support/console-harness.ts'
import { eventuallyRead } from '../support/deadline.ts'

type Json = Record<string, unknown>


describe('console API', () => {
  let h: ConsoleHarness
  before(async () => {
    h = await ConsoleHarness.start({ env: { LOG_LEVEL: 'silent' } })
  })
  after(async () => h.close())
  const redis = (): ConsoleHarness['router']['admin'] => h.router.admin

  it('answers 401 without a valid bearer token, and serves the OpenAPI document', async () => {
    assert.equal((await h.api(undefined, 'GET', '/api/webhooks')).status, 401)
    assert.equal((await h.api('wrt_notavalidtokennotavalidtoken', 'GET', '/api/webhooks')).status, 401)
    const doc = (await h.api(undefined, 'GET', '/api/openapi.json')).body as { openapi: string; paths: Record<string, unknown> }
    assert.match(doc.openapi, /^3\./)
    for (const path of ['/api/webhooks', '/api/webhooks/{name}', '/api/webhooks/{name}/test', '/api/calls', '/api/calls/{uuid}', '/api/alerts', '/api/audit']) assert.ok(doc.paths[path], path)
  })

  it('PUT refuses a config the CLI would refuse: 422 with every reason, nothing written', async () => {
    await redis().hset('webhook:acme-crm', { url: h.router.webhook.url('/crm'), description: 'before' })
    const refused = await h.api(h.tokens.admin, 'PUT', '/api/webhooks/acme-crm', {
      url: h.router.webhook.url('/crm?x={nope}'),
      caller_id: 'nobody',
      on_failure: ['transfer 200 XML other', 'set api_hangup_hook=system reboot'],
      description: 'after',
      colour: 'red',
    })
    assert.equal(refused.status, 422)
    const problems = (refused.body as { problems: Array<{ field: string; reason: string }> }).problems
    assert.deepEqual(problems.map((p) => p.field), ['colour'], 'unknown fields first: nothing else is looked at')
    const refusedAgain = await h.api(h.tokens.admin, 'PUT', '/api/webhooks/acme-crm', { url: h.router.webhook.url('/crm?x={nope}'), caller_id: 'nobody', on_failure: ['transfer 200 XML other', 'set api_hangup_hook=system reboot'], description: 'after' })
    assert.equal(refusedAgain.status, 422)
    const reasons = (refusedAgain.body as { problems: Array<{ field: string; reason: string }> }).problems
    assert.deepEqual([...new Set(reasons.map((p) => p.field))].sort(), ['caller_id', 'on_failure', 'url'])
    assert.ok(reasons.some((p) => /context "other" is not allowed/.test(p.reason)))
    assert.ok(reasons.some((p) => /hook variable/.test(p.reason)))
    assert.deepEqual(await redis().hgetall('webhook:acme-crm'), { url: h.router.webhook.url('/crm'), description: 'before' }, 'nothing written')
  })

  it('PUT writes a valid config (201, then 200), GET never shows the secret, DELETE removes it', async () => {
    const created = await h.api(h.tokens.admin, 'PUT', '/api/webhooks/acme-new', { url: h.router.webhook.url('/new?callerid={callerid}'), secret: 'hush', ivr: true, ivr_attempts: 2, on_failure: ['hangup USER_BUSY'] })
    assert.equal(created.status, 201)
    assert.deepEqual(await redis().hgetall('webhook:acme-new'), { url: h.router.webhook.url('/new?callerid={callerid}'), secret: 'hush', ivr: 'true', ivr_attempts: '2', on_failure: '["hangup USER_BUSY"]' })
    const updated = await h.api(h.tokens.admin, 'PUT', '/api/webhooks/acme-new', { url: h.router.webhook.url('/new?callerid={callerid}'), description: 'CRM' })
    assert.deepEqual([updated.status, updated.body], [200, { name: 'acme-new', created: false, changed: true }])
    assert.deepEqual(await redis().hgetall('webhook:acme-new'), { url: h.router.webhook.url('/new?callerid={callerid}'), secret: 'hush', description: 'CRM' }, 'absent fields take defaults; the secret is kept')
    const shown = await h.api(h.tokens.admin, 'GET', '/api/webhooks/acme-new')
    assert.equal(shown.status, 200)
    assert.ok(!shown.text.includes('hush'))
    assert.equal((shown.body as { webhook: { secretSet: boolean } }).webhook.secretSet, true)
    assert.equal((await h.api(h.tokens.admin, 'DELETE', '/api/webhooks/acme-new')).status, 204)
    assert.equal(await redis().exists('webhook:acme-new'), 0)
    assert.equal((await h.api(h.tokens.admin, 'DELETE', '/api/webhooks/acme-new')).status, 404)
  })

  it('a read token reads but may not write', async () => {
    assert.equal((await h.api(h.tokens.read, 'GET', '/api/webhooks/acme-crm')).status, 200)
    assert.equal((await h.api(h.tokens.read, 'PUT', '/api/webhooks/acme-crm', { url: h.router.webhook.url('/x') })).status, 403)
    assert.equal((await h.api(h.tokens.read, 'DELETE', '/api/webhooks/acme-crm')).status, 403)
    assert.equal(await redis().hget('webhook:acme-crm', 'url'), h.router.webhook.url('/crm'))
  })

  it("a tenant's token sees only its prefix; another tenant's webhook answers exactly like one that does not exist", async () => {
    await redis().hset('webhook:globex-secret', { url: h.router.webhook.url('/globex'), description: 'globex only' })
    const list = (await h.api(h.tokens.acme, 'GET', '/api/webhooks')).body as { webhooks: Array<{ name: string }> }
    assert.ok(list.webhooks.every((webhook) => webhook.name.startsWith('acme-')))
    assert.ok(list.webhooks.some((webhook) => webhook.name === 'acme-crm'))
    for (const [method, path, body] of [
      ['GET', '/api/webhooks/NAME', undefined],
      ['PUT', '/api/webhooks/NAME', { url: h.router.webhook.url('/stolen') }],
      ['DELETE', '/api/webhooks/NAME', undefined],
      ['POST', '/api/webhooks/NAME/test', {}],
      ['GET', '/api/calls?webhook=NAME', undefined],
      ['GET', '/api/alerts?webhook=NAME', undefined],
      ['GET', '/api/audit?webhook=NAME', undefined],
    ] as const) {
      const existing = await h.api(h.tokens.acme, method, path.replace('NAME', 'globex-secret'), body)
      const missing = await h.api(h.tokens.acme, method, path.replace('NAME', 'globex-nothing'), body)
      assert.equal(existing.status, 404, `${method} ${path}`)
      assert.deepEqual([existing.status, existing.text], [missing.status, missing.text], `${method} ${path}: same answer`)
    }
    assert.deepEqual(await redis().hgetall('webhook:globex-secret'), { url: h.router.webhook.url('/globex'), description: 'globex only' })
    const audit = (await h.api(h.tokens.acme, 'GET', '/api/audit')).text
    assert.ok(!audit.includes('globex'), 'no other tenant in the audit trail')
  })

  it("calls, one call's detail and alerts: per webhook and tenant; the read role sees callers masked", async () => {
    await h.router.configure('acme-calls', { url: h.router.webhook.url('/acme-calls?did={did}') })
    await h.router.configure('globex-calls', { url: h.router.webhook.url('/globex-calls') })
    h.router.webhook.reply({ status: 500, body: 'boom' })
    const acmeCall = await h.router.call({ variables: { webhook: 'acme-calls' }, callerIdNumber: '31612345678', destinationNumber: '31201234567' })
    const globexCall = await h.router.call({ variables: { webhook: 'globex-calls' }, callerIdNumber: '31699999999' })
    await h.flushRecords()
    const calls = (await h.api(h.tokens.acme, 'GET', '/api/calls?limit=50')).body as { calls: Array<Json> }
    assert.ok(calls.calls.some((call) => call['uuid'] === acmeCall.summary.uuid))
    assert.ok(!calls.calls.some((call) => call['uuid'] === globexCall.summary.uuid))
    const detail = await h.api(h.tokens.acme, 'GET', `/api/calls/${acmeCall.summary.uuid}`)
    assert.equal(detail.status, 200)
    const call = (detail.body as { call: { caller: string; requests: Array<{ url: string; httpStatus: number }>; reason: string } }).call
    assert.deepEqual([call.caller, call.reason, call.requests[0]?.httpStatus], ['31612345678', 'http_error', 500])
    assert.match(call.requests[0]?.url ?? '', /did=<11>$/)
    assert.equal((await h.api(h.tokens.acme, 'GET', `/api/calls/${globexCall.summary.uuid}`)).status, 404)
    const masked = (await h.api(h.tokens.acmeRead, 'GET', `/api/calls/${acmeCall.summary.uuid}?webhook=acme-calls`)).body as { call: { caller: string } }
    assert.equal(masked.call.caller, '********678')
    const alerts = (await h.api(h.tokens.acme, 'GET', '/api/alerts')).body as { alerts: Array<Json> }
    assert.ok(alerts.alerts.some((alert) => alert['webhook'] === 'acme-calls' && alert['reason'] === 'http_error'))
    assert.ok(alerts.alerts.every((alert) => String(alert['webhook']).startsWith('acme-')), 'no other tenant, no router-wide alert')
  })

  it('POST /test runs the same dry run as simulate', async () => {
    await redis().hset('webhook:acme-dry', { url: h.router.webhook.url('/dry?callerid={callerid}'), on_failure: '["bridge +31201234567"]' })
    h.router.webhook.reply({ body: 'status=ACK&destination=%2B31502102544&callername=ACME' })
    const run = await h.api(h.tokens.acme, 'POST', '/api/webhooks/acme-dry/test', { did: '31201234567', callerid: '31612345678', callername: 'Jan' })
    assert.equal(run.status, 200)
    const result = (run.body as { result: { kind: string; request: { maskedUrl: string }; decision: { kind: string; dialString: string }; variables: Array<[string, string]> } }).result
    assert.equal(result.kind, 'ran')
    assert.match(result.request.maskedUrl, /\/dry\?callerid=<11>$/)
    assert.deepEqual(result.decision, { kind: 'bridge', dialString: 'sofia/gateway/default/+31502102544', callee: { name: 'ACME', number: '31612345678', anonymous: false } })
    h.router.webhook.reply({ body: 'status=ERR' })
    const failed = (await h.api(h.tokens.acme, 'POST', '/api/webhooks/acme-dry/test', {})).body as { result: { decision: { steps: Array<{ app: string; args: string }> } } }
    assert.deepEqual(failed.result.decision.steps, [{ app: 'bridge', args: 'sofia/gateway/default/+31201234567' }], 'a bridge step shown as the dial string it dials')
  })

  it('the audit trail records console and CLI-style changes with who, and edits made in Redis as outside the console', async () => {
    await h.api(h.tokens.acme, 'PUT', '/api/webhooks/acme-audited', { url: h.router.webhook.url('/a?k=SECRETVALUE'), secret: 'sssh' })
    await h.console.watcher.settled()
    await redis().hset('webhook:acme-audited', 'description', 'typed in redis-cli')
    const outside = await eventuallyRead(
      'the outside change in the audit trail',
      async () => ((await h.api(h.tokens.acme, 'GET', '/api/audit?webhook=acme-audited')).body as { audit: Array<Json> }).audit,
      (entries) => entries.some((entry) => entry['outside'] === true),
    )
    assert.deepEqual(
      outside.map((entry) => [entry['action'], entry['outside']]),
      [
        ['updated', true],
        ['created', false],
      ],
    )
    assert.equal(outside[0]?.['who'], 'outside the console')
    assert.match(outside[1]?.['who'] as string, /^console: token [0-9a-f]{8} \(admin, acme-\*\)$/)
    assert.deepEqual((outside[0] as { changes: unknown }).changes, [{ field: 'description', after: 'typed in redis-cli' }])
    const text = JSON.stringify(outside)
    assert.ok(!text.includes('sssh') && !text.includes('SECRETVALUE'), 'secret and query values masked')
    // An outside edit that breaks the config: an alert says so.
    await redis().hset('webhook:acme-audited', 'caller_id', 'bogus')
    const alert = await eventuallyRead(
      'a config_invalid alert',
      async () => ((await h.api(h.tokens.acme, 'GET', '/api/alerts?webhook=acme-audited')).body as { alerts: Array<Json> }).alerts,
      (alerts) => alerts.some((entry) => entry['kind'] === 'config_invalid'),
    )
    assert.match(String(alert[0]?.['detail']), /caller_id: must be caller, dialed or suppressed/)
  })

  it('a change made with the CLI is recorded as cli: user@host, not as outside the console', async () => {
    let out = ''
    const code = await configCommand(['set', 'acme-cli', `url=${h.router.webhook.url('/cli')}`], { REDIS_URL: h.router.redis.url }, { out: (text) => (out += text), err: (text) => (out += text) }, () => '')
    assert.equal(code, 0, out)
    await h.console.watcher.settled()
    const entries = ((await h.api(h.tokens.acme, 'GET', '/api/audit?webhook=acme-cli')).body as { audit: Array<Json> }).audit
    assert.deepEqual(entries.map((entry) => [entry['action'], entry['outside']]), [['created', false]])
    assert.match(String(entries[0]?.['who']), /^cli: .+@.+/)
  })

  it('sign-in needs the CSRF token and is rate-limited per client after repeated attempts', async () => {
    const login = await request(`${h.url}/login`)
    const html = await login.body.text()
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? ''
    const setCookie = login.headers['set-cookie']
    const cookie = (Array.isArray(setCookie) ? setCookie : [setCookie ?? '']).map((value) => value.split(';')[0]).join('; ')
    assert.ok(csrf !== '' && cookie.includes('_csrf='))
    const attempt = async (withCsrf: boolean): Promise<number> => {
      const response = await request(`${h.url}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({ token: 'wrt_wrongwrongwrongwrongwrongwrong', ...(withCsrf ? { _csrf: csrf } : {}) }).toString(),
      })
      await response.body.dump()
      return response.statusCode
    }
    assert.equal(await attempt(false), 403, 'no CSRF token: refused')
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) statuses.push(await attempt(true))
    assert.deepEqual(statuses.slice(0, 9), Array(9).fill(401))
    assert.equal(statuses.at(-1), 429, `statuses: ${statuses.join(' ')}`)
  })

  it('an error says nothing about Redis or other tenants', async () => {
    const bad = await h.api(h.tokens.admin, 'GET', '/api/calls?limit=abc')
    assert.equal(bad.status, 400)
    assert.ok(!bad.text.includes('redis') && !bad.text.includes('stack'))
  })
})
