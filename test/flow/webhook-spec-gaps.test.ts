/**
 * SPEC 6 and 7 where no other test looks: 2xx answers other than 200, the one
 * retry only while the budget lasts (and never of a request that was sent),
 * and the circuit breaker recovering on a real call.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { clockAt, within } from '../support/deadline.ts'
import { freePort } from '../support/redis-server.ts'
import { RouterHarness } from '../support/router-harness.ts'
import { WebhookServer } from '../support/webhook-server.ts'

const DESTINATION = '+31502102544'
const DIAL = `sofia/gateway/default/${DESTINATION}`

/** A raw HTTP/1.1 server: answers every request with these exact bytes, then closes. */
async function rawHttpServer(response: string): Promise<{ server: Server; port: number; requests: number }> {
  const state = { requests: 0 }
  const server = createServer((socket) => {
    let head = ''
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1')
      if (!head.includes('\r\n\r\n')) return
      state.requests++
      head = ''
      socket.end(response)
    })
    socket.on('error', () => {})
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    server,
    port,
    get requests() {
      return state.requests
    },
  }
}

describe('2xx answers other than 200 (SPEC 7: a 2xx with a body of key=value pairs)', () => {
  let h: RouterHarness
  before(async () => {
    h = await RouterHarness.start({ env: { CIRCUIT_FAILURES: '1000' } })
  })
  after(async () => h.close())

  for (const status of [201, 202, 203]) {
    it(`${status} with status=ACK and a destination bridges like a 200, and webhook_http_status says ${status}`, async () => {
      await h.configure(`s${status}`, { url: h.webhook.url(`/s${status}`), on_failure: '["transfer fallback XML default"]' })
      h.webhook.reply({ status, body: `status=ACK&destination=${encodeURIComponent(DESTINATION)}&callername=ACME` })
      const { call, result, summary } = await h.call({ variables: { webhook: `s${status}` } })
      assert.equal(summary.outcome.reason, 'ok')
      assert.equal(summary.outcome.httpStatus, status)
      assert.deepEqual(
        call.executed.map((app) => [app.app, app.arg]),
        [['bridge', DIAL]],
      )
      assert.equal(call.bridges[0]?.callee.callerIdName, 'ACME')
      assert.equal(call.bridges[0]?.variables.get('webhook_http_status'), String(status))
      assert.equal(call.bridges[0]?.variables.get('webhook_result'), 'success')
      assert.equal(result.bridged, true)
    })
  }

  it('204 (no content, so no status): bad_response, the failure path runs, nothing is dialled', async () => {
    await h.configure('s204', { url: h.webhook.url('/s204'), on_failure: '["transfer fallback XML default"]' })
    h.webhook.reply({ status: 204 })
    const { call, result, summary } = await h.call({ variables: { webhook: 's204' }, dialplan: { fallback: [['hangup', '']] } })
    assert.equal(summary.outcome.reason, 'bad_response')
    assert.equal(call.variable('webhook_reason'), 'bad_response')
    assert.equal(call.variable('webhook_http_status'), '204')
    assert.equal(call.bridges.length, 0)
    assert.equal(result.disposition, 'transferred')
  })

  it('204 whose handler wrote status=ACK anyway: the body is not part of a 204, so still bad_response', async () => {
    // node:http drops the body of a 204, as HTTP says: what the webhook author meant never reaches the router.
    await h.configure('s204-node', { url: h.webhook.url('/s204b'), on_failure: '["transfer fallback XML default"]' })
    h.webhook.reply({ status: 204, body: `status=ACK&destination=${encodeURIComponent(DESTINATION)}` })
    const { call, summary } = await h.call({ variables: { webhook: 's204-node' }, dialplan: { fallback: [['hangup', '']] } })
    assert.equal(summary.outcome.reason, 'bad_response')
    assert.equal(call.bridges.length, 0)
  })

  it('204 with a Content-Length and an ACK body on the wire: the bytes are not read as an answer (http_error)', async () => {
    const body = `status=ACK&destination=${encodeURIComponent(DESTINATION)}`
    const raw = await rawHttpServer(`HTTP/1.1 204 No Content\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`)
    try {
      await h.configure('s204-raw', { url: `http://127.0.0.1:${raw.port}/s204`, on_failure: '["transfer fallback XML default"]' })
      const { call, summary } = await h.call({ variables: { webhook: 's204-raw' }, dialplan: { fallback: [['hangup', '']] } })
      assert.equal(raw.requests, 1)
      // A 204 has no content by definition: bytes after its head break the HTTP exchange (undici:
      // content-length mismatch), an HTTP failure rather than an answer.
      assert.equal(summary.outcome.result, 'failure')
      assert.equal(summary.outcome.reason, 'http_error')
      assert.equal(summary.outcome.httpStatus, 204)
      assert.equal(call.bridges.length, 0)
    } finally {
      raw.server.close()
    }
  })
})

/**
 * A listener whose accept queue is full and never drained (its process blocks
 * without spinning): a new connection to it stays pending, neither refused nor
 * accepted, until the budget ends it.
 */
async function pendingListener(): Promise<{ port: number; stop(): Promise<void> }> {
  const script = `const s = require('node:net').createServer(); s.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => { process.stdout.write(s.address().port + '\\n', () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120000)) })`
  const child: ChildProcess = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [chunk] = (await within(once(child.stdout as NodeJS.ReadableStream, 'data'), 10_000, 'the pending listener printing its port')) as [Buffer]
  const port = Number(chunk.toString().trim())
  // Fill the accept queue (backlog + 1 on Linux, 2 under gVisor) and then some.
  const fillers: Socket[] = []
  for (let i = 0; i < 8; i++) {
    const socket = connect({ host: '127.0.0.1', port })
    socket.on('error', () => {})
    fillers.push(socket)
  }
  return {
    port,
    async stop() {
      for (const socket of fillers) socket.destroy()
      const exited = once(child, 'exit')
      child.kill('SIGKILL')
      await exited
    },
  }
}

describe('one retry, only for a connection that failed before any byte was sent, only while the budget lasts (SPEC 6)', () => {
  let h: RouterHarness
  before(async () => {
    h = await RouterHarness.start({ env: { CIRCUIT_FAILURES: '1000' } })
  })
  after(async () => h.close())
  const retries = (): number => h.logs.find('webhook connection failed before sending, retrying once').length

  it('a connection still pending when the budget is spent is not retried: http_timeout at timeout_ms, not later', async () => {
    const listener = await pendingListener()
    try {
      const budget = 600
      await h.configure('pending', { url: `http://127.0.0.1:${listener.port}/x`, timeout_ms: String(budget), on_failure: '["transfer fallback XML default"]' })
      const before = retries()
      // The bound is generous against load and far below undici's own 10 s connect timeout.
      const { call, result, summary } = await within(
        h.call({ variables: { webhook: 'pending' }, dialplan: { fallback: [['hangup', '']] } }),
        budget + 2000,
        `the call ending within its ${budget} ms webhook budget while the connection was still pending`,
      )
      assert.equal(summary.outcome.reason, 'http_timeout')
      assert.equal(call.variable('webhook_reason'), 'http_timeout')
      assert.equal(result.disposition, 'transferred')
      assert.equal(retries() - before, 0, 'no retry once the budget is spent')
      const latency = summary.outcome.latencyMs ?? -1
      assert.ok(latency >= budget - 5, `ended by the deadline (${latency} ms)`)
      // One budget, not one per attempt: a second attempt would end near 2 x budget.
      assert.ok(latency < 2 * budget - 50, `the call waited ${latency} ms for a ${budget} ms budget`)
    } finally {
      // Refuses the pending connection, so a request the budget failed to end settles now.
      await listener.stop()
    }
  })

  it('a request that was sent is never repeated: the connection reset before an answer (GET and POST)', async () => {
    const server = createServer((socket) => {
      socket.on('error', () => {})
      socket.once('data', () => socket.resetAndDestroy())
    })
    let connections = 0
    server.on('connection', () => connections++)
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const port = (server.address() as { port: number }).port
    try {
      for (const method of ['GET', 'POST']) {
        const before = connections
        const retried = retries()
        await h.configure(`reset-${method}`, { url: `http://127.0.0.1:${port}/reset?c={callerid}`, method, timeout_ms: '3000' })
        const { summary } = await h.call({ variables: { webhook: `reset-${method}` } })
        assert.equal(summary.outcome.reason, 'http_error', method)
        assert.equal(connections - before, 1, `${method}: the request reached the webhook once`)
        assert.equal(retries() - retried, 0, method)
      }
    } finally {
      server.close()
    }
  })

  it('a request that was sent is never repeated: no answer until the deadline', async () => {
    const slow = await WebhookServer.start()
    try {
      slow.reply({ hang: true })
      await h.configure('hang', { url: slow.url('/hang'), timeout_ms: '300' })
      const { summary } = await h.call({ variables: { webhook: 'hang' } })
      assert.equal(summary.outcome.reason, 'http_timeout')
      assert.equal(slow.requests.length, 1)
    } finally {
      await slow.close()
    }
  })

  it('a request that was sent is never repeated: a redirect to a refused port does not send the first request again', async () => {
    const first = await WebhookServer.start()
    const refused = await freePort()
    try {
      first.reply({ redirect: `http://127.0.0.1:${refused}/moved` })
      await h.configure('moved', { url: first.url('/first?c={callerid}'), timeout_ms: '2000', on_failure: '["transfer fallback XML default"]' })
      const { summary } = await h.call({ variables: { webhook: 'moved' }, dialplan: { fallback: [['hangup', '']] } })
      assert.equal(summary.outcome.reason, 'http_error')
      assert.equal(first.requests.length, 1, 'the webhook received the request once, not again on a retry')
    } finally {
      await first.close()
    }
  })

  it('a redirect of a POST: 302 and 303 continue as a GET without body, 307 and 308 repeat the POST and its body; the answer at the end routes the call', async () => {
    for (const [status, method, body] of [[302, 'GET', ''], [303, 'GET', ''], [307, 'POST', 'x'], [308, 'POST', 'x']] as const) {
      const before = h.webhook.requests.length
      h.webhook.reply((request) => (request.url.startsWith('/start') ? { status, headers: { location: '/next?hop=2' } } : { body: 'status=ACK&destination=%2B31502102544' }))
      await h.configure(`post-${status}`, { url: h.webhook.url('/start?c={callerid}'), method: 'POST' })
      const { call, summary } = await h.call({ variables: { webhook: `post-${status}` }, callerIdNumber: '0612345678' })
      assert.equal(summary.outcome.reason, 'ok', String(status))
      assert.equal(call.bridges[0]?.dialString.endsWith('/+31502102544'), true, String(status))
      const [start, next, ...more] = h.webhook.requests.slice(before)
      assert.equal(more.length, 0, `${status}: two requests`)
      assert.equal(start?.method, 'POST')
      assert.match(start?.body ?? '', /callerid=0612345678/)
      assert.equal(next?.url, '/next?hop=2', String(status))
      assert.equal(next?.method, method, String(status))
      if (body === '') {
        assert.equal(next?.body, '', `${status}: no body`)
        assert.equal(next?.headers['content-type'], undefined, `${status}: no content type`)
      } else {
        assert.equal(next?.body, start?.body, `${status}: the same body`)
      }
    }
  })
})

describe('circuit breaker recovering on a real call (SPEC 6)', () => {
  it('opens after N failures, fails fast with circuit_open, lets one trial through after the cool-down, whose success closes it: calls bridge again', async () => {
    const cooldownMs = 1500
    const h = await RouterHarness.start({ env: { CIRCUIT_FAILURES: '2', CIRCUIT_COOLDOWN_MS: String(cooldownMs) } })
    const webhook = await WebhookServer.start()
    try {
      // A budget far beyond the test's steps: the trial is held at the webhook until released.
      await h.configure('cb', { url: webhook.url('/cb?c={callerid}'), timeout_ms: '20000', on_failure: '["transfer fallback XML default"]' })
      const dialplan = { fallback: [['hangup', ''] as const] }
      webhook.reply({ status: 502 })
      const opened = h.logs.next('webhook circuit opened: failing fast')
      for (let i = 0; i < 2; i++) {
        const { call, summary } = await h.call({ variables: { webhook: 'cb' }, dialplan })
        assert.equal(summary.outcome.reason, 'http_error', `failure ${i + 1}`)
        assert.equal(call.variable('webhook_reason'), 'http_error')
      }
      const openedLine = await within(opened, 5000, 'the circuit opening after 2 failures')
      const openedAt = Number(openedLine['time'])
      assert.ok(Number.isFinite(openedAt), 'the log line carries its time')

      // Open: no request goes out, the failure path runs at once.
      const fast = await h.call({ variables: { webhook: 'cb' }, dialplan })
      assert.ok(Date.now() < openedAt + cooldownMs, 'the fail-fast call ran inside the cool-down (machine too slow for this test)')
      assert.equal(fast.summary.outcome.reason, 'circuit_open')
      assert.equal(fast.call.variable('webhook_reason'), 'circuit_open')
      assert.equal(fast.result.disposition, 'transferred')
      assert.equal(webhook.requests.length, 2, 'the open circuit sends nothing')

      // The webhook is back; the trial answers only when the test says so.
      let release!: () => void
      const gate = new Promise<void>((resolve) => {
        release = resolve
      })
      webhook.reply(async () => {
        await gate
        return { body: `status=ACK&destination=${encodeURIComponent(DESTINATION)}` }
      })
      await clockAt(openedAt + cooldownMs + 20)
      const closed = h.logs.next('webhook circuit closed')
      const trial = h.sim.placeCall({ variables: { webhook: 'cb' }, dialplan })
      const trialDone = Promise.all([trial.done, h.summaryFor(trial.uuid)])
      await within(webhook.waitForRequests(3), 5000, 'the trial request reaching the webhook after the cool-down')
      // Half-open: one trial only; another call meanwhile still fails fast.
      const meanwhile = await h.call({ variables: { webhook: 'cb' }, dialplan })
      assert.equal(meanwhile.summary.outcome.reason, 'circuit_open', 'a second call during the trial is not let through')
      assert.equal(webhook.requests.length, 3)
      release()
      const [trialResult, trialSummary] = await within(trialDone, 10_000, 'the trial call finishing')
      assert.equal(trialSummary.outcome.reason, 'ok')
      assert.equal(trial.bridges[0]?.dialString, DIAL)
      assert.equal(trialResult.bridged, true)
      await within(closed, 5000, 'the circuit closing after the successful trial')

      // Closed: every call reaches the webhook and bridges, several at once.
      const after = await Promise.all([0, 1, 2].map(() => h.call({ variables: { webhook: 'cb' }, dialplan })))
      for (const { call, summary, result } of after) {
        assert.equal(summary.outcome.reason, 'ok')
        assert.equal(call.bridges[0]?.dialString, DIAL)
        assert.equal(result.bridged, true)
      }
      assert.equal(webhook.requests.length, 6)
      assert.deepEqual(h.app.webhooks.breaker.openOrigins(), [])
    } finally {
      await webhook.close()
      await h.close()
    }
  })
})
