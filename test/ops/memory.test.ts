/**
 * Bounded memory over many calls (SPEC 11): after hundreds of calls of every
 * kind (bridged, NAK with a list, IVR, webhook timeouts, hang-ups mid-request,
 * failed bridges, unknown names), the router holds what it held before: no
 * session, handler, socket, timer or listener left behind, the config cache
 * within its bound, no circuit, and a heap that did not grow with the calls.
 *
 * The harness here keeps nothing per call itself (a webhook that records
 * nothing, a logger that discards), so whatever grows is the router's.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import { Writable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { pino } from 'pino'
import { createApp, type App } from '../../src/app.ts'
import { loadSettings, SettingError } from '../../src/config/env.ts'
import { FreeSwitchSimulator, type SimCallOptions } from '../sim/simulator.ts'
import { eventually, within } from '../support/deadline.ts'
import { RedisProcess, testClient } from '../support/redis-server.ts'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const CACHE_SIZE = 20
/**
 * Heap growth allowed per call over the run. A session kept after its call retains its socket,
 * parser and channel data (over 10 KiB); the noise of a collected heap is a few hundred KiB in all.
 */
const HEAP_BYTES_PER_CALL = 4096

/** A webhook that keeps nothing: the answer depends on the path only. */
async function statelessWebhook(): Promise<{ server: Server; url: (path: string) => string }> {
  const server = createServer((request, response) => {
    request.resume()
    const path = (request.url ?? '').split('?')[0]
    if (path === '/hang') return // the router's deadline ends it
    const body = path === '/nak' ? 'status=NAK' : path === '/pin' ? 'status=ACK&destination=1001' : 'status=ACK&destination=%2B31502102544&callername=ACME'
    response.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' }).end(body)
  })
  server.keepAliveTimeout = 60_000
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as { port: number }).port
  return { server, url: (path) => `http://127.0.0.1:${port}${path}` }
}

/** The call mix, by index: every path through the router. */
function callOptions(index: number): SimCallOptions {
  switch (index % 8) {
    case 0:
      return { variables: { webhook: 'bridge' } }
    case 1:
      return { variables: { webhook: 'nak' } }
    case 2:
      return { variables: { webhook: 'ivr' }, dtmf: [{ timeout: true }, '1234#'] }
    case 3:
      return { variables: { webhook: 'hang' } }
    case 4:
      return { variables: { webhook: 'bridge' }, bridge: [{ fail: 'USER_BUSY' }] }
    case 5:
      // The caller hangs up while the webhook request runs.
      return { variables: { webhook: 'hang' }, hangups: [{ on: 'connect', afterMs: 5000 }] }
    case 6:
      // Unknown names, all different: the cache must stay within CONFIG_CACHE_SIZE.
      return { variables: { webhook: `unknown-${index}` } }
    default:
      return { variables: { webhook: 'bridge' }, hangups: [{ on: 'execute', app: 'bridge', afterMs: 10 }] }
  }
}

interface Snapshot {
  readonly heap: number
  readonly resources: Record<string, number>
  readonly listeners: number
}

describe('bounded memory over many calls', () => {
  let redis: RedisProcess
  let webhook: { server: Server; url: (path: string) => string }
  let app: App
  let sim: FreeSwitchSimulator
  /** What before() started, closed in reverse order even when before() failed half-way. */
  const cleanups: Array<() => Promise<void> | void> = []
  before(async () => {
    redis = await RedisProcess.start()
    cleanups.push(() => redis.stop())
    webhook = await statelessWebhook()
    cleanups.push(() => {
      webhook.server.closeAllConnections()
      webhook.server.close()
    })
    const admin = testClient({ kind: 'url', url: redis.url })
    const common = { on_failure: '["playback ivr/sorry.wav"]' }
    await admin.hset('webhook:bridge', { url: webhook.url('/ok?c={callerid}'), ...common })
    await admin.hset('webhook:nak', { url: webhook.url('/nak'), ...common })
    await admin.hset('webhook:ivr', { url: webhook.url('/pin?code={code}'), ivr: '1', ivr_attempts: '2', ...common })
    await admin.hset('webhook:hang', { url: webhook.url('/hang'), timeout_ms: '100', ...common })
    admin.disconnect()
    const settings = loadSettings({
      ESL_PORT: '0',
      HTTP_PORT: 'off',
      REDIS_URL: redis.url,
      WEBHOOK_ALLOW_NETS: '127.0.0.0/8',
      CONFIG_CACHE_SIZE: String(CACHE_SIZE),
      CIRCUIT_FAILURES: '1000',
    })
    if (settings instanceof SettingError) throw settings
    // A real pino logger at info, as in production, writing nowhere.
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() })
    app = createApp({ settings, logger: pino({ level: 'info' }, sink) })
    cleanups.push(() => app.close())
    const { esl } = await app.listen()
    sim = new FreeSwitchSimulator({ host: '127.0.0.1', port: esl.port, timeScale: 0.01 })
    cleanups.push(() => sim.close())
  })
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup()
  })

  /** Places `count` calls, `concurrency` at a time, keeping no reference to them. */
  async function run(count: number, concurrency: number, offset: number): Promise<void> {
    let next = 0
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const index = offset + next++
          const call = sim.placeCall(callOptions(index))
          const result = await within(call.done, 15_000, `call ${index} (kind ${index % 8}) ending`)
          assert.notEqual(result.disposition, 'controlled')
        }
      }),
    )
  }

  /** Waits until the router holds no call, then measures. */
  async function settle(): Promise<Snapshot> {
    await eventually(() => app.esl.activeSessions === 0 && app.esl.runningHandlers === 0, 15_000, 'every session and handler ending')
    // Sockets finish closing on later turns of the event loop.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
    for (let i = 0; i < 3; i++) gc()
    const resources: Record<string, number> = {}
    for (const kind of process.getActiveResourcesInfo()) resources[kind] = (resources[kind] ?? 0) + 1
    const emitters = [process, app.redis].filter((emitter) => emitter !== undefined)
    const listeners = emitters.reduce((sum, emitter) => sum + emitter.eventNames().reduce((n, name) => n + emitter.listenerCount(name), 0), 0)
    return { heap: process.memoryUsage().heapUsed, resources, listeners }
  }

  it('after 480 calls of every kind the router is back to its baseline and the heap did not grow with the calls', { timeout: 120_000 }, async () => {
    const concurrency = 24
    // Warm up: code compiled, pools and caches filled, so the baseline is the steady state.
    await run(160, concurrency, 0)
    const baseline = await settle()
    const calls = 480
    await run(calls, concurrency, 160)
    const end = await settle()

    assert.equal(app.esl.activeSessions, 0)
    assert.equal(app.esl.runningHandlers, 0)
    assert.ok((app.store?.size ?? 0) <= CACHE_SIZE, `config cache holds ${app.store?.size} entries, bound ${CACHE_SIZE}`)
    assert.deepEqual(app.webhooks.breaker.openOrigins(), [])
    assert.equal(end.listeners, baseline.listeners, 'listeners on process and the Redis client')
    for (const kind of new Set([...Object.keys(baseline.resources), ...Object.keys(end.resources)])) {
      // Keep-alive connections to the webhook may differ by what the pool happened to open.
      const slack = kind === 'TCPSocketWrap' || kind === 'TCPWRAP' ? concurrency : 0
      assert.ok((end.resources[kind] ?? 0) <= (baseline.resources[kind] ?? 0) + slack, `${kind}: ${end.resources[kind]} after, ${baseline.resources[kind]} before`)
    }
    const growth = end.heap - baseline.heap
    console.log(`memory: heap ${(baseline.heap / 1e6).toFixed(1)} MB -> ${(end.heap / 1e6).toFixed(1)} MB over ${calls} calls (${Math.round(growth / calls)} B/call); resources ${JSON.stringify(end.resources)}`)
    assert.ok(growth < calls * HEAP_BYTES_PER_CALL, `the heap grew by ${growth} bytes over ${calls} calls (${Math.round(growth / calls)} B/call, bound ${HEAP_BYTES_PER_CALL})`)
  })
})
