/**
 * Two `webhook-router serve` processes listed in the socket line
 * (`host1:port|host2:port`, SPEC 2), one of them SIGKILLed while it holds
 * calls. FreeSWITCH's side of the failover (try the second router when the
 * first refuses) is done here in the test, as the switch does it; the calls
 * the dead router held go on in the dialplan, bridged conversations go on,
 * new calls reach the second router, whose own calls are untouched.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { SimCallOptions } from '../../sim/options.ts'
import { FreeSwitchSimulator, type SimCall, type SimCallResult } from '../../sim/simulator.ts'
import { eventually, within } from '../../support/deadline.ts'
import { RedisProcess, testClient } from '../../support/redis-server.ts'
import { ServeProcess } from '../../support/serve-process.ts'
import { WebhookServer } from '../../support/webhook-server.ts'

const DESTINATION = '+31502102544'
const LAST_RESORT: ReadonlyArray<readonly [string, string]> = [
  ['playback', 'ivr/no-router.wav'],
  ['hangup', 'NORMAL_TEMPORARY_FAILURE'],
]

interface Routed {
  /** The attempts, in socket-line order: the refused ones first. */
  readonly attempts: SimCall[]
  /** The call as placed on the router that accepted it. */
  readonly call: SimCall
  /** Index in the socket line of the router that accepted it. */
  readonly router: number
}

/**
 * The socket application's failover: connect to each listed router in turn
 * until one accepts the TCP connection; when none does, the dialplan goes on.
 */
async function placeWithFailover(targets: readonly FreeSwitchSimulator[], options: SimCallOptions): Promise<Routed> {
  const attempts: SimCall[] = []
  for (const [router, sim] of targets.entries()) {
    const call = sim.placeCall(options)
    attempts.push(call)
    let refused = false
    void call.done.then((result) => {
      refused = result.disposition === 'unreachable'
    })
    await eventually(() => refused || call.marks.has('tcp'), 10_000, `router ${router + 1} accepting or refusing the connection`, 1)
    if (!refused) return { attempts, call, router }
  }
  throw new Error('no router accepted the call')
}

/** Registers the suite: a router dying mid-call and the failover to the second one. */
export function failoverSuite(): void {
  describe('a router dying mid-call, and FreeSWITCH failing over to the second router', () => {
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

    it('SIGKILL of the first router: its calls go on in the dialplan, bridged ones keep talking, new calls reach the second, whose calls are untouched', async () => {
      const admin = testClient({ kind: 'url', url: redis.url })
      // Held calls must outlast the test's steps on a loaded machine: a budget far beyond them.
      await admin.hset('wh:fo', { url: webhook.url('/fo?c={callerid}'), timeout_ms: '60000', on_failure: '["transfer fallback XML default"]' })
      admin.disconnect()
      // Callers named "wait..." are held at the webhook until released; others are answered at once.
      const held = new Map<string, () => void>()
      webhook.reply(async (request) => {
        const caller = request.query.get('c') ?? ''
        if (caller.startsWith('wait')) await new Promise<void>((resolve) => held.set(caller, resolve))
        return { body: `status=ACK&destination=${encodeURIComponent(DESTINATION)}&callername=Router%20${caller}` }
      })
      const env = { REDIS_URL: redis.url, REDIS_PREFIX: 'wh:', WEBHOOK_ALLOW_NETS: '127.0.0.0/8', HTTP_PORT: 'off', ESL_PORT: '0', LOG_LEVEL: 'info' }
      const first = ServeProcess.start({ env })
      const second = ServeProcess.start({ env })
      const sims: FreeSwitchSimulator[] = []
      try {
        const ports = await Promise.all([first.eslPort(), second.eslPort()])
        for (const port of ports) sims.push(new FreeSwitchSimulator({ host: '127.0.0.1', port, timeScale: 0.01 }))
        const socketArgument = `127.0.0.1:${ports[0]}|127.0.0.1:${ports[1]} async full`
        const base = { variables: { webhook: 'fo' }, socketArgument, afterSocket: LAST_RESORT, dialplan: { fallback: [['hangup', ''] as const] } }

        // Calls held by the first router: two waiting for the webhook, two bridged and talking.
        const waiting = await Promise.all(['wait-1', 'wait-2'].map((caller) => placeWithFailover(sims, { ...base, callerIdNumber: caller })))
        const talking = await Promise.all(['talk-1', 'talk-2'].map((caller) => placeWithFailover(sims, { ...base, callerIdNumber: caller, bridge: [{ answer: true, talkMs: 10_000_000 }] })))
        for (const routed of [...waiting, ...talking]) assert.equal(routed.router, 0, 'the first router listed takes the call while it is up')
        // A call the second router holds, also waiting for the webhook.
        const bystander = sims[1]?.placeCall({ ...base, callerIdNumber: 'wait-b' }) as SimCall
        await eventually(() => held.size === 3, 10_000, 'three calls waiting at the webhook')
        await eventually(() => talking.every(({ call }) => call.bridges[0]?.outcome === 'answered'), 10_000, 'both talking calls bridged')

        first.child.kill('SIGKILL')
        const died = await first.waitExit(10_000, 'the first router dying on SIGKILL')
        assert.equal(died.signal, 'SIGKILL')

        // The calls it was deciding go on in the dialplan, with no outcome claimed for them.
        for (const { call } of waiting) {
          const result = await within(call.done, 10_000, `call ${call.variable('sip_from_user') ?? ''} ending after its router died`)
          assert.equal(result.disposition, 'handed-back')
          assert.deepEqual(call.dialplanApps, LAST_RESORT, "the dialplan's own actions after the socket application")
          assert.equal(call.bridges.length, 0)
          assert.equal(call.variable('webhook_result'), undefined, 'no router decided this call')
        }
        // Bridged conversations are FreeSWITCH's: the bridge runs in the channel's
        // own thread, so it goes on until someone hangs up (the waiting calls
        // above ending shows the switch has seen the socket close).
        for (const { call } of talking) {
          assert.equal(call.channel.up, true, 'the conversation survived its router')
          assert.equal(call.bridges[0]?.outcome, 'answered')
          call.hangup('NORMAL_CLEARING')
          const result: SimCallResult = await within(call.done, 10_000, 'a talking call ending when the caller hangs up')
          assert.equal(result.bridged, true)
          assert.deepEqual(call.dialplanApps, [], 'hangup_after_bridge: the conversation ended the call')
        }

        // New calls: the first router refuses, the second takes them and routes them in full.
        const callers = ['new-1', 'new-2', 'new-3']
        const later = await Promise.all(callers.map((caller) => placeWithFailover(sims, { ...base, callerIdNumber: caller })))
        for (const [index, routed] of later.entries()) {
          assert.equal(routed.router, 1, 'the second router took the call')
          assert.equal((await routed.attempts[0]?.done)?.disposition, 'unreachable')
          const result = await within(routed.call.done, 10_000, 'a call on the second router finishing')
          assert.equal(result.bridged, true)
          assert.equal(routed.call.bridges[0]?.dialString, `sofia/gateway/default/${DESTINATION}`)
          assert.equal(routed.call.bridges[0]?.callee.callerIdName, `Router ${callers[index] ?? ''}`)
          const done = await second.line('call done', 10_000, (line) => line['call'] === routed.call.uuid)
          assert.equal(done['reason'], 'ok')
        }

        // The second router's own call was not disturbed by the first one's death.
        held.get('wait-b')?.()
        const bystanderResult = await within(bystander.done, 10_000, "the second router's own call finishing")
        assert.equal(bystanderResult.bridged, true)
        assert.equal(bystander.bridges[0]?.callee.callerIdName, 'Router wait-b')

        second.child.kill('SIGTERM')
        assert.equal((await second.waitExit(15_000, 'the second router stopping on SIGTERM')).code, 0)
        const calls = second.lines.filter((line) => line['msg'] === 'call done').map((line) => line['call'])
        assert.deepEqual(new Set(calls), new Set([...later.map((routed) => routed.call.uuid), bystander.uuid]), 'the second router handled exactly the calls that reached it')
      } finally {
        for (const resolve of held.values()) resolve()
        await Promise.all(sims.map((sim) => sim.close()))
        await first.kill()
        await second.kill()
      }
    })
  })
}
