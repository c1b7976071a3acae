/** Call records and alerts as the router writes them, read back as the console and `calls` read them. */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { request } from 'undici'
import { RecordKeys } from '../../src/records/keys.ts'
import { RecordReader } from '../../src/records/reader.ts'
import type { AlertRecord } from '../../src/records/types.ts'
import { RouterHarness } from '../support/router-harness.ts'
import { eventuallyRead } from '../support/deadline.ts'

const BIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.js')

/** Polls `read` until `accept` holds, or fails naming `what` after `ms`. */

describe('call records', () => {
  let h: RouterHarness
  let reader: RecordReader
  before(async () => {
    h = await RouterHarness.start({ env: { RECORDS_PER_WEBHOOK: '3', LOG_LEVEL: 'silent' } })
    reader = new RecordReader(h.admin, new RecordKeys('webhook-router:'))
  })
  after(async () => h.close())
  const flush = (): Promise<void> => h.app.recorder?.writer.flush() ?? Promise.resolve()

  it('one record per call with the request masked, the answer, the IVR code by length only, no secret', async () => {
    await h.configure('pin', { url: h.webhook.url('/pin?code={code}&key=SECRETKEY'), secret: 'topsecret', ivr: '1', ivr_min_digits: '4' })
    h.webhook.reply((req) => ({ body: req.query.get('code') === '4242' ? 'status=ACK&destination=%2B31502102544&callername=<b>ACME</b>' : 'status=NAK' }))
    const { summary } = await h.call({ variables: { webhook: 'pin' }, callerIdNumber: '31612345678', callerIdName: 'Jan <script>', destinationNumber: '31201234567', dtmf: ['1111#', '4242#'] })
    await flush()
    const [record] = await reader.recent('calls', { prefix: '' }, { webhook: 'pin', limit: 1 })
    assert.ok(record)
    assert.equal(record.uuid, summary.uuid)
    assert.deepEqual(
      { did: record.did, caller: record.caller, callerName: record.callerName, result: record.result, reason: record.reason, destination: record.destination, attempts: record.attempts, ivr: record.ivr, httpStatus: record.httpStatus },
      { did: '31201234567', caller: '31612345678', callerName: 'Jan <script>', result: 'success', reason: 'ok', destination: '+31502102544', attempts: 2, ivr: true, httpStatus: 200 },
    )
    assert.equal(record.requests.length, 2)
    assert.match(record.requests[0]?.url ?? '', /\/pin\?code=<4>&key=<9>$/)
    assert.deepEqual(record.requests.map((r) => [r.status, r.codeLength]), [['NAK', 4], ['ACK', 4]])
    assert.equal(record.requests[1]?.callername, '<b>ACME</b>')
    const stored = JSON.stringify(await h.admin.xrange('webhook-router:calls:pin', '-', '+'))
    for (const secret of ['topsecret', 'SECRETKEY', '4242', '1111']) assert.ok(!stored.includes(secret), `${secret} is not stored`)
  })

  it('keeps RECORDS_PER_WEBHOOK per webhook; calls of a missing config only in the overall stream', async () => {
    await h.configure('capped', { url: h.webhook.url('/capped') })
    h.webhook.reply({ body: 'status=ERR' })
    const uuids: string[] = []
    for (let i = 0; i < 5; i++) uuids.push((await h.call({ variables: { webhook: 'capped' } })).summary.uuid)
    await h.call({ variables: { webhook: 'no-such-webhook' } })
    await flush()
    assert.equal(await h.admin.xlen('webhook-router:calls:capped'), 3)
    const kept = await reader.recent('calls', { prefix: '' }, { webhook: 'capped', limit: 10 })
    assert.deepEqual(kept.map((record) => record.uuid), uuids.slice(2).reverse(), 'the newest three, newest first')
    assert.equal(await h.admin.exists('webhook-router:calls:no-such-webhook'), 0)
    const all = await reader.recent('calls', { prefix: '' }, { limit: 1 })
    assert.equal(all[0]?.webhook, 'no-such-webhook')
    assert.equal(all[0]?.reason, 'config_missing')
    assert.ok((await h.admin.pttl('webhook-router:calls:capped')) > 0, 'a webhook stream expires when its calls stop')
    for (const key of await h.admin.keys('webhook:*')) assert.equal(await h.admin.type(key), 'hash', `${key}: only configs under the config prefix`)
  })

  it('webhook failures raise one alert with the reason, then at most one per window', async () => {
    await h.configure('flaky', { url: h.webhook.url('/flaky') })
    h.webhook.reply({ status: 503, body: 'down' })
    for (let i = 0; i < 3; i++) await h.call({ variables: { webhook: 'flaky' } })
    await flush()
    const alerts = await reader.recent('alerts', { prefix: '' }, { webhook: 'flaky', limit: 10 })
    assert.deepEqual(alerts.map((alert: AlertRecord) => [alert.kind, alert.reason, alert.count]), [['webhook_failures', 'http_error', 1]], 'the first at once; the next two wait for the window')
    assert.match(alerts[0]?.detail ?? '', /HTTP 503/)
  })

  it('`webhook-router calls NAME` prints the records; --follow prints new ones as they come', async () => {
    await h.configure('tail', { url: h.webhook.url('/tail') })
    h.webhook.reply({ body: 'status=ACK' })
    const first = (await h.call({ variables: { webhook: 'tail' }, destinationNumber: '31200000001' })).summary.uuid
    await flush()
    const child = spawn(process.execPath, [BIN, 'calls', 'tail', '--follow'], { env: { PATH: process.env['PATH'] ?? '', REDIS_URL: h.redis.url }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    try {
      await eventuallyRead('the existing record printed', async () => out, (text) => text.includes(first))
      assert.match(out, /tail\s+did=31200000001\s+caller=\S+\s+success\(ok\)\s+http=200/)
      const second = (await h.call({ variables: { webhook: 'tail' }, destinationNumber: '31200000002' })).summary.uuid
      await flush()
      await eventuallyRead('the new record printed by --follow', async () => out, (text) => text.includes(second))
    } finally {
      child.kill('SIGINT')
    }
    const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)))
    assert.equal(code, 0)
  })

  it('while Redis is down records are dropped and counted in /metrics; an outage alert follows once it is back', async () => {
    await h.configure('outage', { url: h.webhook.url('/outage') })
    h.webhook.reply({ body: 'status=ACK' })
    await h.call({ variables: { webhook: 'outage' } })
    await h.redis.kill()
    try {
      await eventuallyRead('the router to see Redis down', async () => h.app.redis?.status, (status) => status !== 'ready')
      const { summary } = await h.call({ variables: { webhook: 'outage' } })
      assert.equal(summary.outcome.reason, 'ok', 'the call itself is unaffected (cached config)')
      await flush()
      const metrics = await (await request(`${h.opsUrl}/metrics`)).body.text()
      assert.match(metrics, /webhook_router_records_dropped_total\{kind="call"\} [1-9]/)
    } finally {
      await h.redis.restart()
    }
    const outage = await eventuallyRead(
      'a redis_outage alert',
      async () => {
        await flush()
        return (await reader.recent('alerts', { prefix: '' }, { limit: 20 }).catch(() => [])).filter((alert) => alert.kind === 'redis_outage')
      },
      (alerts) => alerts.length > 0,
      15_000,
    )
    assert.equal(outage[0]?.webhook, '', 'the router as a whole')
    assert.match(outage[0]?.detail ?? '', /[1-9]\d* records dropped/)
  })
})

