/** `npm run demo`, `webhook-router simulate` and the example webhook, as a newcomer runs them. */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { request } from 'undici'
import { signature } from '../../src/webhook/signing.ts'
import { startWebhookServer, type RunningWebhook } from '../../examples/webhook-server/server.ts'
import { RedisProcess, testClient } from '../support/redis-server.ts'

const DIST = join(import.meta.dirname, '..', '..')
const BIN = join(DIST, 'src', 'cli', 'main.js')

async function run(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, args, { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const [status] = (await once(child, 'exit')) as [number | null]
  return { status, stdout, stderr }
}

describe('npm run demo', () => {
  it('places the sample calls and prints what happened and the variables', async () => {
    const { status, stdout, stderr } = await run([join(DIST, 'scripts', 'demo.js')], {})
    assert.equal(status, 0, stderr)
    const rows = stdout.split('\n')
    const row = (prefix: string): string => rows.find((line) => line.startsWith(prefix)) ?? ''
    assert.match(row('1  CRM name lookup'), /bridged: sofia\/gateway\/carrier\/\+31502102544\s+"ACME Corp" 31612345678/)
    assert.match(row('2  PIN routing'), /GET \/pin: NAK; GET \/pin: ACK/)
    assert.match(row('3  webhook down'), /HTTP 503\s+fallback ran: playback, transfer/)
    // What the callee's phone shows, then what only the carrier gets (P-Asserted-Identity).
    assert.match(row('4  suppressed'), /"Anonymous" anonymous\s+"[^"]+" \d+ \(P-Asserted-Identity, Privacy: id\)/)
    assert.match(row('5  missed-call'), /handed back to the dialplan/)
    const variables = (prefix: string): string[] => row(prefix).split(/\s{2,}/)
    const pin = rows.filter((line) => line.startsWith('2  ')).at(-1)?.split(/\s{2,}/)
    assert.deepEqual(pin?.slice(0, 8), ['2', 'success', 'ok', 'ACK', '+31502102544', '4242', '200', '2'])
    assert.deepEqual(variables('3  failure').slice(0, 5), ['3', 'failure', 'http_error', '503', '1'])
    assert.match(stdout, /The console .*`npm run demo -- --console` keeps all this running with it/)
  })
})

describe('webhook-router simulate', () => {
  let redis: RedisProcess
  let webhook: RunningWebhook
  before(async () => {
    redis = await RedisProcess.start()
    webhook = await startWebhookServer(0, '127.0.0.1', { secret: 'k' })
    const client = testClient({ kind: 'url', url: redis.url })
    await client.hset('webhook:crm', { url: `http://127.0.0.1:${webhook.port}/crm?callerid={callerid}&token=T0KEN`, secret: 'k', caller_id: 'suppressed' })
    await client.hset('webhook:pin', { url: `http://127.0.0.1:${webhook.port}/pin?code={code}`, secret: 'k', ivr: '1' })
    await client.hset('webhook:broken', { url: `http://127.0.0.1:${webhook.port}/x`, caller_id: 'nobody' })
    await client.hset('webhook:down', { url: `http://127.0.0.1:${webhook.port}/down`, secret: 'k', on_failure: '["playback tone_stream://%(100,0,440)", "bridge +31201234567"]' })
    client.disconnect()
  })
  after(async () => {
    await webhook.close()
    await redis.stop()
  })
  // Asynchronous: the webhook answering it runs in this process.
  const simulate = (args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> =>
    run([BIN, 'simulate', ...args], { REDIS_URL: redis.url, WEBHOOK_ALLOW_NETS: '127.0.0.0/8' })

  it('calls the real URL and prints the answer and the routing decision, secrets masked', async () => {
    const result = await simulate(['crm', '--did', '31201234567', '--callerid', '31612345678', '--callername', 'Jan'])
    assert.equal(result.status, 0, result.stderr)
    assert.match(result.stdout, /^request {3}GET http:\/\/127\.0\.0\.1:\d+\/crm\?callerid=<11>&token=<5> {2}\(signed\)$/m)
    assert.match(result.stdout, /^answer {4}HTTP 200 in \d+ ms: status=ACK destination="\+31502102544" callername="ACME Corp"$/m)
    assert.match(result.stdout, /^decision {2}bridge \{origination_privacy=screen\+hide_name\+hide_number,sip_cid_type=pid,sip_from_display=Anonymous\}sofia\/gateway\/default\/\+31502102544$/m)
    assert.match(result.stdout, /^callee {4}sees an anonymous caller/m)
    assert.match(result.stdout, /webhook_reason=ok/)
    assert.ok(!result.stdout.includes('T0KEN'))
  })

  it('says what a wrong code, a missing and an invalid webhook would lead to', async () => {
    const nak = await simulate(['pin', '--did', '1', '--callerid', '2', '--code', '0000'])
    assert.equal(nak.status, 1)
    assert.match(nak.stdout, /decision {2}NAK: the caller would try again \(IVR\), then failure path: hand back to the dialplan/)
    const missing = await simulate(['nobody', '--did', '1', '--callerid', '2'])
    assert.equal(missing.status, 1)
    assert.match(missing.stdout, /config_missing/)
    const invalid = await simulate(['broken', '--did', '1', '--callerid', '2'])
    assert.equal(invalid.status, 1)
    assert.match(invalid.stdout, /webhook:broken field caller_id = "nobody"/)
    assert.equal((await simulate([])).status, 2)
    const down = await simulate(['down', '--did', '1', '--callerid', '2'])
    assert.equal(down.status, 1)
    assert.match(down.stdout, /^answer {4}http_error: HTTP 503 \(\d+ ms\)$/m)
    assert.match(down.stdout, /^decision {2}failure path: run playback tone_stream:\/\/%\(100,0,440\), then bridge sofia\/gateway\/default\/\+31201234567$/m, 'a bridge step shown as the dial string it dials')
  })
})

describe('the example webhook', () => {
  it('answers the contract and refuses unsigned or wrongly signed requests', async () => {
    const webhook = await startWebhookServer(0, '127.0.0.1', { secret: 'shared' })
    try {
      const url = `http://127.0.0.1:${webhook.port}/pin?code=4242`
      const timestamp = String(Math.floor(Date.now() / 1000))
      const signed = await request(url, { headers: { 'x-webhook-timestamp': timestamp, 'x-webhook-signature': signature('shared', timestamp, 'GET', url, '') } })
      assert.equal(signed.statusCode, 200)
      assert.equal(await signed.body.text(), 'status=ACK&destination=%2B31502102544')
      const unsigned = await request(url)
      assert.equal(unsigned.statusCode, 401)
      await unsigned.body.dump()
      const wrong = await request(url, { headers: { 'x-webhook-timestamp': timestamp, 'x-webhook-signature': signature('other', timestamp, 'GET', url, '') } })
      assert.equal(wrong.statusCode, 401)
      await wrong.body.dump()
    } finally {
      await webhook.close()
    }
  })
})
