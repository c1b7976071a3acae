/**
 * SPEC 11: few Event Socket round trips per call. On the no-IVR path the
 * router waits for FreeSWITCH exactly twice: the connect reply (it needs the
 * channel data) and the bridge's completion (the conversation itself).
 * Everything else (event subscription, linger, the call's variables) is
 * pipelined. The simulator proves it by holding back every frame after the
 * connect reply until the bridge arrives: a router that waited for any other
 * reply would never send the bridge.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startHarness } from '../support/esl-harness.ts'
import { RouterHarness } from '../support/router-harness.ts'

describe('round trips', () => {
  let h: RouterHarness
  before(async () => {
    h = await RouterHarness.start()
  })
  after(async () => h.close())

  it('no IVR: one blocking round trip (connect) before the bridge; five commands in all', async () => {
    await h.configure('direct', { url: h.webhook.url('/d'), callername_mode: 'webhook' })
    h.webhook.reply({ body: 'status=ACK&destination=%2B31502102544&callername=ACME' })
    const { call, result, summary } = await h.call({ variables: { webhook: 'direct' }, faults: { withholdUntilExecute: 'bridge' } })
    assert.equal(summary.outcome.reason, 'ok')
    assert.equal(result.bridged, true)
    const commands = call.received.map((frame) => {
      const command = frame.command ?? ''
      return command.startsWith('sendmsg') ? `sendmsg ${frame.header('call-command')} ${frame.header('execute-app-name')}` : command.split(' ').slice(0, 2).join(' ')
    })
    assert.deepEqual(commands, ['connect', 'myevents json', 'linger 5', 'api uuid_setvar_multi', 'sendmsg execute bridge'])
    // All of the call's variables in that one command.
    const setvar = call.received[3]?.command ?? ''
    for (const name of ['webhook_result', 'webhook_reason', 'effective_caller_id_name', 'effective_caller_id_number', 'continue_on_fail', 'hangup_after_bridge']) {
      assert.ok(setvar.includes(`${name}=`), name)
    }
  })

  it('counted by the simulator: 0 stalls before the bridge; a controller that waits is counted', async () => {
    await h.configure('counted', { url: h.webhook.url('/c') })
    h.webhook.reply({ body: 'status=ACK&destination=%2B31502102544' })
    // A generous stall time: a loaded machine must not turn slowness into a counted wait.
    const { call } = await h.call({ variables: { webhook: 'counted' }, faults: { withholdUntilExecute: 'bridge', stallReleaseMs: 5000 } })
    assert.equal(call.blockingRounds, 0)
    assert.ok(call.bridges.length === 1)
    // The control: a controller that waits for a reply (an execute) before its bridge.
    const control = await startHarness(async (session) => {
      await session.ready()
      await session.execute('set', 'x=1')
      await session.execute('bridge', 'sofia/gateway/default/+31502102544')
    })
    try {
      const waiting = control.sim.placeCall({ faults: { withholdUntilExecute: 'bridge', stallReleaseMs: 500 } })
      await waiting.done
      // At least one: a starved machine may release the held frames in more than one stall.
      assert.ok(waiting.blockingRounds >= 1, `a controller that waits was counted ${waiting.blockingRounds} times`)
    } finally {
      await control.close()
    }
  })

  it('IVR: the answer and the first prompt go out together', async () => {
    await h.configure('ivr', { url: h.webhook.url('/i?c={code}'), ivr: '1' })
    h.webhook.reply({ body: 'status=ACK' })
    const { call } = await h.call({ variables: { webhook: 'ivr' }, dtmf: ['12#'], faults: { withholdUntilExecute: 'play_and_get_digits' } })
    assert.deepEqual(
      call.executed.map((app) => app.app),
      ['answer', 'play_and_get_digits'],
    )
    assert.equal(call.variable('webhook_reason'), 'ok')
  })
})
