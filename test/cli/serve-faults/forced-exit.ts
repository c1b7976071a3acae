/**
 * The forced-exit paths of `webhook-router serve` (src/cli/serve.ts): a
 * second signal during a graceful stop exits at once with code 1; a stop
 * that outlasts SHUTDOWN_DRAIN_MS plus the grace period exits with code 1.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { FreeSwitchSimulator } from '../../sim/simulator.ts'
import { within } from '../../support/deadline.ts'
import { RedisProcess, testClient } from '../../support/redis-server.ts'
import { ServeProcess } from '../../support/serve-process.ts'
import { WebhookServer } from '../../support/webhook-server.ts'

const STUCK_CLOSE = pathToFileURL(join(import.meta.dirname, 'stuck-agent-close.js')).href
/** src/cli/serve.ts: how long closing may take beyond the drain before the exit is forced. */
const FORCE_EXIT_GRACE_MS = 10_000

/** Registers the suite: serve's forced exits. */
export function forcedExitSuite(): void {
  // Both wait on timers of the process under test, not on CPU: they run side by side.
  describe('forced exits', { concurrency: true }, () => {
    let redis: RedisProcess
    let webhook: WebhookServer
    before(async () => {
      redis = await RedisProcess.start()
      webhook = await WebhookServer.start()
      webhook.reply({ hang: true })
      const admin = testClient({ kind: 'url', url: redis.url })
      await admin.hset('wh:held', { url: webhook.url('/held?c={callerid}'), timeout_ms: '60000' })
      admin.disconnect()
    })
    after(async () => {
      await webhook.close()
      await redis.stop()
    })
    /**
     * Waits until the router served one call: serve installs its signal handlers after its
     * listening line, so a signal sent on that line alone may still meet the default action.
     */
    const served = async (router: ServeProcess): Promise<FreeSwitchSimulator> => {
      const sim = new FreeSwitchSimulator({ host: '127.0.0.1', port: await router.eslPort(), timeScale: 0.01 })
      const probe = sim.placeCall({ variables: { webhook: 'nobody' } })
      assert.equal((await within(probe.done, 10_000, 'a first call being handed back')).disposition, 'handed-back')
      return sim
    }
    const env = (): Record<string, string> => ({ REDIS_URL: redis.url, REDIS_PREFIX: 'wh:', WEBHOOK_ALLOW_NETS: '127.0.0.0/8', HTTP_PORT: 'off', ESL_PORT: '0' })

    it('a second signal while calls drain exits at once with code 1; the call held goes on in the dialplan', async () => {
      const router = ServeProcess.start({ env: { ...env(), SHUTDOWN_DRAIN_MS: '600000' } })
      try {
        const sim = await served(router)
        const afterSocket = [['playback', 'ivr/try-later.wav'] as const]
        const requests = webhook.requests.length
        const call = sim.placeCall({ variables: { webhook: 'held' }, callerIdNumber: 'second-signal', afterSocket })
        await within(webhook.waitForRequests(requests + 1), 10_000, 'the call reaching the webhook')

        router.child.kill('SIGTERM')
        await router.line(/^shutting down/, 10_000)
        // The drain would last ten minutes: only the second signal can end it this soon.
        router.child.kill('SIGINT')
        const exit = await router.waitExit(15_000, 'the router exiting on the second signal')
        assert.equal(exit.code, 1)
        const warned = await router.line(/second signal/, 1000)
        assert.equal(warned['signal'], 'SIGINT')
        assert.ok(!router.lines.some((line) => line['msg'] === 'stopped'), 'not a graceful stop')

        const result = await within(call.done, 10_000, 'the held call ending after the router exited')
        assert.equal(result.disposition, 'handed-back')
        assert.deepEqual(call.dialplanApps, [['playback', 'ivr/try-later.wav']])
      } finally {
        await router.kill()
      }
    })

    it('a stop that outlasts SHUTDOWN_DRAIN_MS plus the grace period is forced: exit code 1', async () => {
      const drainMs = 200
      const router = ServeProcess.start({ env: { ...env(), SHUTDOWN_DRAIN_MS: String(drainMs) }, nodeArgs: ['--import', STUCK_CLOSE] })
      try {
        await served(router)
        const signalled = performance.now()
        router.child.kill('SIGTERM')
        await router.line(/^shutting down/, 10_000)
        const exit = await router.waitExit(drainMs + FORCE_EXIT_GRACE_MS + 15_000, 'the forced exit of a shutdown that never finishes')
        const waited = performance.now() - signalled
        assert.equal(exit.code, 1)
        assert.ok(router.stderr.includes('stuck-agent-close'), 'the stuck step was reached: the drain itself was over')
        assert.ok(router.lines.some((line) => /too long/.test(String(line['msg']))), 'the forced exit is logged')
        assert.ok(!router.lines.some((line) => line['msg'] === 'stopped'))
        assert.ok(waited >= drainMs + FORCE_EXIT_GRACE_MS - 100, `not forced before the drain and the grace period were over (${Math.round(waited)} ms)`)
      } finally {
        await router.kill()
      }
    })
  })
}
