/**
 * The public interface end to end: `webhook-router serve` as a child process,
 * configured by environment variables and flags, a config written with a
 * separate Redis client, a call from the simulator, SIGTERM to stop.
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { after, before, describe, it } from 'node:test'
import { FreeSwitchSimulator, type SimCall } from '../sim/simulator.ts'
import { RedisProcess, testClient } from '../support/redis-server.ts'
import { TEST_SWITCH } from '../support/test-switch.ts'
import { WebhookServer } from '../support/webhook-server.ts'

const BIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.js')

interface Running {
  readonly child: ChildProcess
  readonly lines: Array<Record<string, unknown>>
  /** Resolves with the first log line with this message. */
  line(message: string): Promise<Record<string, unknown>>
}

function start(env: Record<string, string>, args: string[] = []): Running {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  const lines: Array<Record<string, unknown>> = []
  const waiters: Array<{ message: string; resolve: (line: Record<string, unknown>) => void }> = []
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
    const line = JSON.parse(text) as Record<string, unknown>
    lines.push(line)
    for (const waiter of waiters.filter((w) => w.message === line['msg'])) {
      waiters.splice(waiters.indexOf(waiter), 1)
      waiter.resolve(line)
    }
  })
  return {
    child,
    lines,
    line: (message) => {
      const seen = lines.find((line) => line['msg'] === message)
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ message, resolve }))
    },
  }
}

describe('webhook-router serve', () => {
  let redis: RedisProcess
  let webhook: WebhookServer
  before(async () => {
    redis = await RedisProcess.start()
    webhook = await WebhookServer.start()
  })
  after(async () => {
    await webhook.close()
    await redis.stop()
  })

  it('routes a call with settings from the environment and flags, then stops on SIGTERM', async () => {
    const admin = testClient({ kind: 'url', url: redis.url })
    await admin.hset('wh:crm', { url: webhook.url('/crm?cid={callerid}'), callername_mode: 'webhook' })
    admin.disconnect()
    webhook.reply({ body: 'status=ACK&destination=%2B31502102544&callername=ACME' })

    const router = start({ REDIS_URL: redis.url, REDIS_PREFIX: 'wh:', WEBHOOK_ALLOW_NETS: '127.0.0.0/8', HTTP_PORT: '0' }, ['--esl-port', '0', '--dial-e164=sofia/gateway/carrier/{number}'])
    const exited = once(router.child, 'exit')
    try {
      const listening = await router.line('event socket server listening')
      const sim = new FreeSwitchSimulator({ host: '127.0.0.1', port: Number(listening['port']), timeScale: 0.01, ...TEST_SWITCH })
      const call = sim.placeCall({ variables: { webhook: 'crm' }, callerIdNumber: '31612345678' })
      const result = await call.done
      await sim.close()
      const summary = await router.line('call done')
      assert.equal(summary['call'], call.uuid)
      assert.equal(summary['reason'], 'ok')
      assert.equal(result.bridged, true)
      assert.equal(call.bridges[0]?.dialString, 'sofia/gateway/carrier/+31502102544')
      assert.equal(call.bridges[0]?.callee.callerIdName, 'ACME')
    } finally {
      router.child.kill('SIGTERM')
    }
    const [code] = await exited
    assert.equal(code, 0)
    assert.ok(router.lines.some((line) => line['msg'] === 'stopped'))
    assert.ok(!router.lines.some((line) => Number(line['level']) >= 40), 'no warning in a clean run')
  })

  it('SIGTERM under a stream of calls: calls in progress finish, later ones find the port closed, none is dropped', async () => {
    const admin = testClient({ kind: 'url', url: redis.url })
    await admin.hset('wh:slow', { url: webhook.url('/slow?c={code}'), on_failure: '["transfer fallback XML default"]' })
    await admin.hset('wh:slow-ivr', { url: webhook.url('/slow?c={code}'), ivr: '1', ivr_attempts: '3' })
    admin.disconnect()
    // The webhook takes a while, so calls are caught in every phase by the signal.
    const latencyMs = 150
    webhook.reply(async () => {
      await new Promise((resolve) => setTimeout(resolve, latencyMs))
      return { body: 'status=ACK&destination=%2B31502102544' }
    })
    const router = start({ REDIS_URL: redis.url, REDIS_PREFIX: 'wh:', WEBHOOK_ALLOW_NETS: '127.0.0.0/8', HTTP_PORT: 'off', ESL_PORT: '0', SHUTDOWN_DRAIN_MS: '20000' })
    const exited = once(router.child, 'exit')
    const calls: SimCall[] = []
    try {
      const listening = await router.line('event socket server listening')
      const sim = new FreeSwitchSimulator({ host: '127.0.0.1', port: Number(listening['port']), timeScale: 0.01, ...TEST_SWITCH })
      const place = (index: number): SimCall => {
        const call =
          index % 3 === 0
            ? sim.placeCall({ variables: { webhook: 'slow-ivr' }, dtmf: [{ timeout: true }, '12#'] })
            : sim.placeCall({ variables: { webhook: 'slow' }, bridge: [{ answer: true, talkMs: index % 3 === 1 ? 100_000 : 50 }] })
        calls.push(call)
        return call
      }
      // Waves of calls until some are bridged and talking, some waiting for the webhook, some in the IVR.
      for (let wave = 0; wave < 3; wave++) {
        for (let i = 0; i < 6; i++) place(calls.length)
        await webhook.waitForRequests(calls.length - 4)
      }
      const before = calls.length
      const closedLine = router.line('event socket server closed: no new calls')
      router.child.kill('SIGTERM')
      const closed = await closedLine
      assert.ok(Number(closed['activeCalls']) > 0, 'calls were in progress at the signal')
      const late = [0, 1, 2].map(() => place(calls.length))
      const results = await Promise.all(calls.map((call) => call.done))
      await sim.close()
      const accepted = results.slice(0, before)
      for (const [index, result] of accepted.entries()) {
        assert.ok(result.disposition === 'hungup' || result.disposition === 'handed-back', `call ${index}: ${result.disposition}`)
        assert.equal(result.bridged, true, `call ${index} reached its destination`)
      }
      for (const call of late) assert.equal((await call.done).disposition, 'unreachable', 'FreeSWITCH goes on with its dialplan')
      const summaries = router.lines.filter((line) => line['msg'] === 'call done')
      assert.equal(summaries.length, before, 'every accepted call was logged')
      assert.deepEqual(new Set(summaries.map((line) => line['reason'])), new Set(['ok']))
    } finally {
      router.child.kill('SIGTERM')
    }
    const [code] = await exited
    assert.equal(code, 0)
    assert.ok(router.lines.some((line) => line['msg'] === 'stopped'))
  })

  it('SIGTERM while still starting (Redis not answering yet) stops the router once started: exit code 0, nothing killed by the signal', async () => {
    const silent = await RedisProcess.start()
    const url = silent.url
    await silent.stop()
    const router = start({ REDIS_URL: url, HTTP_PORT: '0', ESL_PORT: '0' })
    const exited = once(router.child, 'exit')
    try {
      // The operations endpoints listen first; the router then waits for Redis before the socket server.
      await router.line('operations endpoints listening (/healthz, /readyz, /metrics)')
      assert.ok(!router.lines.some((line) => line['msg'] === 'event socket server listening'), 'still starting')
      router.child.kill('SIGTERM')
    } catch (error) {
      router.child.kill('SIGKILL')
      throw error
    }
    const [code, signal] = await exited
    assert.deepEqual([code, signal], [0, null], 'a clean exit, not a death by signal')
    assert.ok(router.lines.some((line) => line['msg'] === 'stopped'))
  })

  it('refuses a bad setting with one line naming it, exit code 2', () => {
    const result = spawnSync(process.execPath, [BIN, 'serve'], { env: { ESL_PORT: 'eighty' }, encoding: 'utf8' })
    assert.equal(result.status, 2)
    assert.equal(result.stderr, 'webhook-router: ESL_PORT: "eighty" is not a port number\n')
  })

  it('--help lists every setting; --version prints the version', () => {
    const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' })
    assert.equal(help.status, 0)
    for (const setting of ['ESL_HOST', 'ESL_PORT', 'ESL_ALLOW', 'REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER', 'REDIS_PREFIX', 'DIAL_E164', 'DIAL_EXTENSION', 'DEFAULT_ON_FAILURE', 'WEBHOOK_ALLOW_NETS', 'HTTP_PORT', 'LOG_LEVEL']) {
      assert.ok(help.stdout.includes(setting), setting)
    }
    const version = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' })
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/)
  })
})
