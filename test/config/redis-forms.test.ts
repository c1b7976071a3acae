/**
 * REDIS_URL's other forms (SPEC 4): a unix socket path (and `unix:` URL) to a
 * redis-server with no TCP port at all, and `rediss://` to a redis-server's
 * TLS port, with the server certificate verified. Each serves calls from the
 * cache and applies a live edit to the next call (invalidations arrive over
 * the same kind of connection).
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { connect, createServer as createTcpServer, type Server } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { RedisClient } from '../../src/config/redis-connection.ts'
import { FreeSwitchSimulator } from '../sim/simulator.ts'
import { within } from '../support/deadline.ts'
import { freePort, RedisProcess, testClient } from '../support/redis-server.ts'
import { eventually } from '../support/deadline.ts'
import { RouterHarness } from '../support/router-harness.ts'
import { ServeProcess } from '../support/serve-process.ts'
import { WebhookServer } from '../support/webhook-server.ts'

const TLS_DIR = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'tls')
const DESTINATION = '+31502102544'

/**
 * A TLS endpoint with the test certificate (which the router does not trust)
 * that adds one more TLS record after its handshake flight, so the client's
 * socket reports a second error after the certificate error. A real
 * redis-server does this now and then (its alert after the client gave up);
 * here it happens on every connection.
 */
async function doubleErrorTlsEndpoint(): Promise<{ port: number; connections: () => number; close(): void }> {
  const tlsServer = createTlsServer({ key: readFileSync(join(TLS_DIR, 'server.key')), cert: readFileSync(join(TLS_DIR, 'server.crt')) }, (socket) => socket.on('error', () => {}))
  tlsServer.on('tlsClientError', () => {})
  tlsServer.listen(0, '127.0.0.1')
  await once(tlsServer, 'listening')
  const tlsPort = (tlsServer.address() as { port: number }).port
  let connections = 0
  const proxy: Server = createTcpServer((client) => {
    connections++
    const upstream = connect(tlsPort, '127.0.0.1')
    let first = true
    client.on('error', () => {})
    upstream.on('error', () => {})
    client.on('data', (chunk) => upstream.write(chunk))
    upstream.on('data', (chunk: Buffer) => {
      // A fatal decode_error alert record right behind the server's first flight.
      client.write(first ? Buffer.concat([chunk, Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x32])]) : chunk)
      first = false
    })
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  proxy.listen(0, '127.0.0.1')
  await once(proxy, 'listening')
  return {
    port: (proxy.address() as { port: number }).port,
    connections: () => connections,
    close() {
      proxy.close()
      tlsServer.close()
    },
  }
}

// The routers under test mostly wait (child processes, Redis reconnections): the suites run side by side.
describe('REDIS_URL forms', { concurrency: true }, () => {
  describe('Redis over a unix socket', () => {
    let dir: string
    let socket: string
    let redis: RedisProcess
    let admin: RedisClient
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'webhook-router-unix-'))
      socket = join(dir, 'redis.sock')
      // --port 0: no TCP listener, so whatever works went over the socket.
      redis = await RedisProcess.start(['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700'])
      admin = testClient({ kind: 'url', url: socket })
    })
    after(async () => {
      admin.disconnect()
      await redis.stop()
      rmSync(dir, { recursive: true, force: true })
    })

    for (const form of ['path', 'unix: URL'] as const) {
      it(`REDIS_URL as a ${form}: configs are read, cached and edited live`, async () => {
        const url = form === 'path' ? socket : `unix://${socket}`
        const h = await RouterHarness.start({ redis, env: { REDIS_URL: url } })
        try {
          const name = `unix-${form === 'path' ? 'path' : 'url'}`
          await admin.hset(`webhook:${name}`, { url: h.webhook.url('/crm?c={callerid}'), callername_mode: 'webhook' })
          h.webhook.reply({ body: `status=ACK&destination=${encodeURIComponent(DESTINATION)}&callername=ACME` })
          const first = await within(h.call({ variables: { webhook: name } }), 10_000, 'a call routed with a config read over the unix socket')
          assert.equal(first.summary.outcome.reason, 'ok')
          assert.equal(first.call.bridges[0]?.dialString, `sofia/gateway/default/${DESTINATION}`)
          assert.equal(first.call.bridges[0]?.callee.callerIdName, 'ACME')
          assert.equal(h.app.store?.tracking, true, 'invalidation is armed over the socket')

          // A live edit, as redis-cli -s would make it, applies to the next call.
          await admin.hset(`webhook:${name}`, { callername_mode: 'replace', callername_text: 'Edited' })
          const { call } = await within(
            (async () => {
              for (;;) {
                const placed = await h.call({ variables: { webhook: name } })
                if (placed.call.bridges[0]?.callee.callerIdName !== 'ACME') return placed
              }
            })(),
            10_000,
            'the edit reaching the router',
          )
          assert.equal(call.bridges[0]?.callee.callerIdName, 'Edited')
        } finally {
          await h.close()
        }
      })
    }
  })

  describe('Redis over TLS (rediss://)', { concurrency: true }, () => {
    let redis: RedisProcess
    let tlsPort: number
    let admin: RedisClient
    let webhook: WebhookServer
    before(async () => {
      tlsPort = await freePort()
      // A plain port for the test's own client, a TLS port for the router.
      redis = await RedisProcess.start([
        '--tls-port',
        String(tlsPort),
        '--tls-cert-file',
        join(TLS_DIR, 'server.crt'),
        '--tls-key-file',
        join(TLS_DIR, 'server.key'),
        '--tls-ca-cert-file',
        join(TLS_DIR, 'ca.crt'),
        '--tls-auth-clients',
        'no',
      ])
      admin = testClient({ kind: 'url', url: redis.url })
      webhook = await WebhookServer.start()
      webhook.reply({ body: `status=ACK&destination=${encodeURIComponent(DESTINATION)}&callername=ACME` })
      for (const name of ['tls', 'tls-localhost', 'tls-127.0.0.1']) await admin.hset(`webhook:${name}`, { url: webhook.url('/crm?c={callerid}'), callername_mode: 'webhook' })
    })
    after(async () => {
      admin.disconnect()
      await webhook.close()
      await redis.stop()
    })

    for (const host of ['localhost', '127.0.0.1']) {
      it(`rediss://${host}: with the CA trusted (NODE_EXTRA_CA_CERTS) calls are routed and edits apply live, with no warning`, async () => {
        const router = ServeProcess.start({
          env: {
            REDIS_URL: `rediss://${host}:${tlsPort}`,
            NODE_EXTRA_CA_CERTS: join(TLS_DIR, 'ca.crt'),
            WEBHOOK_ALLOW_NETS: '127.0.0.0/8',
            HTTP_PORT: 'off',
            ESL_PORT: '0',
          },
        })
        try {
          const sim = new FreeSwitchSimulator({ host: '127.0.0.1', port: await router.eslPort(), timeScale: 0.01 })
          await router.line('redis connected', 10_000)
          const name = `tls-${host}`
          const first = sim.placeCall({ variables: { webhook: name } })
          await within(first.done, 10_000, 'a call routed with a config read over TLS')
          assert.equal(first.bridges[0]?.dialString, `sofia/gateway/default/${DESTINATION}`)
          assert.equal(first.bridges[0]?.callee.callerIdName, 'ACME')

          await admin.hset(`webhook:${name}`, { callername_mode: 'replace', callername_text: `Edited ${host}` })
          const edited = await within(
            (async () => {
              for (;;) {
                const call = sim.placeCall({ variables: { webhook: name } })
                await call.done
                if (call.bridges[0]?.callee.callerIdName !== 'ACME') return call
              }
            })(),
            10_000,
            'the edit reaching the router over TLS',
          )
          assert.equal(edited.bridges[0]?.callee.callerIdName, `Edited ${host}`)
          await sim.close()
          router.child.kill('SIGTERM')
          assert.equal((await router.waitExit(15_000, 'the router stopping')).code, 0)
          // Node warns (DEP0123) when an IP address is sent as the TLS server name.
          assert.equal(router.stderr, '', 'nothing on stderr')
        } finally {
          await router.kill()
        }
      })
    }
  })

  describe('Redis over TLS with a certificate the router does not trust', () => {
    it('refused, with a certificate error logged; a TLS alert after it does not crash the router: it keeps retrying and calls take the default fallback', async () => {
      const endpoint = await doubleErrorTlsEndpoint()
      const router = ServeProcess.start({
        env: { REDIS_URL: `rediss://localhost:${endpoint.port}`, HTTP_PORT: 'off', ESL_PORT: '0', LOG_LEVEL: 'debug', DEFAULT_ON_FAILURE: '["transfer unavailable XML default"]' },
      })
      try {
        const port = await router.eslPort(20_000)
        await eventually(() => endpoint.connections() >= 3 || router.child.exitCode !== null, 15_000, 'three connection attempts to the TLS endpoint')
        assert.equal(router.child.exitCode, null, `the router is still running (stderr: ${router.stderr.slice(0, 300)})`)
        const sim = new FreeSwitchSimulator({ host: '127.0.0.1', port, timeScale: 0.01 })
        const call = sim.placeCall({ variables: { webhook: 'tls' }, dialplan: { unavailable: [['hangup', '']] } })
        const result = await within(call.done, 10_000, 'a call while Redis cannot be reached')
        assert.equal(result.disposition, 'transferred')
        assert.equal(call.variable('webhook_reason'), 'config_unavailable')
        assert.ok(
          router.lines.some((line) => /certificate/i.test(String(line['err']))),
          'the certificate error is logged',
        )
        router.child.kill('SIGTERM')
        assert.equal((await router.waitExit(15_000, 'the router stopping')).code, 0)
        assert.doesNotMatch(router.stderr, /Uncaught|ERR_SSL/, 'no uncaught TLS error')
      } finally {
        await router.kill()
        endpoint.close()
      }
    })
  })
})
