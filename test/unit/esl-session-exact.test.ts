/**
 * The Event Socket session at its edges, against the scripted peer: batch
 * and cause limits, refusal messages word for word, the bridged flag, event
 * subscriptions, closing by the router or by FreeSWITCH, and events that
 * carry less than usual.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { EslEvent } from '../../src/esl/messages.ts'
import { within } from '../support/deadline.ts'
import { errorOf, pair, roundTrip, UUID, WAIT_MS, withHandshake } from '../support/scripted-switch.ts'

describe('Event Socket session at its edges', () => {
  it('exactly 60 variables go in one uuid_setvar_multi', () =>
    withHandshake({}, async ({ session, peer }) => {
      const variables = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`v${i}`, String(i)]))
      const set = session.setVariables(variables)
      const frame = await peer.expect(`api uuid_setvar_multi ${UUID} ${Object.entries(variables).map(([name, value]) => `${name}=${value}`).join(';')}`)
      assert.equal(frame.body.length, 0)
      peer.apiResponse('+OK')
      assert.equal(await within(set, WAIT_MS, 'the variables being set'), undefined)
      await roundTrip(session, peer)
      peer.assertNoMoreCommands()
    }),
  )

  it('a bad variable name or an unsafe value is refused by name, before anything is sent', () =>
    withHandshake({}, async ({ session, peer }) => {
      const badName = errorOf(await session.setVariables({ ok: '1', 'bad name': 'x' }))
      assert.deepEqual([badName.code, badName.message], ['invalid_argument', 'bad variable name "bad name"'])
      const badValue = errorOf(await session.setVariables({ ok: '1', webhook_x: 'a;b' }))
      assert.deepEqual([badValue.code, badValue.message], ['invalid_argument', 'value of webhook_x contains ";"'])
      await roundTrip(session, peer)
      peer.assertNoMoreCommands()
    }),
  )

  it('a hang-up cause that only looks like one is refused with full control too: nothing is sent', () =>
    withHandshake({}, async ({ session, peer }) => {
      for (const cause of ['1NORMAL_CLEARING', 'NORMAL-clearing', 'normal_CLEARING']) {
        const error = errorOf(await session.hangup(cause))
        assert.deepEqual([error.code, error.message], ['invalid_argument', `bad hangup cause ${JSON.stringify(cause)}`])
      }
      await roundTrip(session, peer)
      peer.assertNoMoreCommands()
    }),
  )

  it('an execute past its deadline ends with an error naming the application; a bad application name is refused', () =>
    withHandshake({}, async ({ session, peer }) => {
      const late = session.execute('playback', 'tone_stream://%(100,0,440)', { deadline: Date.now() + 50 })
      await peer.expect('sendmsg')
      peer.reply('+OK')
      const error = errorOf(await within(late, WAIT_MS, 'the execute deadline'))
      assert.deepEqual([error.code, error.message], ['deadline', 'playback did not complete before its deadline'])
      const bad = errorOf(await session.execute('play back'))
      assert.deepEqual([bad.code, bad.message], ['invalid_argument', 'bad application name "play back"'])
      const badApi = errorOf(await session.api('uuid kill'))
      assert.deepEqual([badApi.code, badApi.message], ['invalid_argument', 'bad api command "uuid kill"'])
      const badBgapi = errorOf(await session.bgapi('1status'))
      assert.deepEqual([badBgapi.code, badBgapi.message], ['invalid_argument', 'bad api command "1status"'])
      await roundTrip(session, peer)
      peer.assertNoMoreCommands()
    }),
  )

  it('a reply that comes before its deadline is the answer, however late', () =>
    withHandshake({}, async ({ session, peer }) => {
      const api = session.api('status', '', { deadline: Date.now() + WAIT_MS })
      await peer.expect('api status')
      // Late, but well within the deadline: a timer armed for the wrong moment would have fired by now.
      await new Promise((resolve) => setTimeout(resolve, 30))
      peer.apiResponse('UP')
      assert.equal(await within(api, WAIT_MS, 'the api reply'), 'UP')
    }),
  )

  it('bgapi answered by an api response is refused with its body', () =>
    withHandshake({}, async ({ session, peer }) => {
      const job = session.bgapi('status')
      await peer.expect('bgapi status')
      peer.apiResponse('-ERR no')
      const error = errorOf(await within(job, WAIT_MS, 'the bgapi reply'))
      assert.deepEqual([error.code, error.message], ['rejected', 'bgapi status: -ERR no'])
    }),
  )

  it('bridged turns true on CHANNEL_BRIDGE of this channel only', () =>
    withHandshake({}, async ({ session, peer }) => {
      assert.equal(session.bridged, false)
      peer.event({ 'Event-Name': 'CHANNEL_BRIDGE', 'Unique-ID': 'another-channel' })
      peer.event({ 'Event-Name': 'CHANNEL_UNBRIDGE', 'Unique-ID': UUID })
      await roundTrip(session, peer)
      assert.equal(session.bridged, false)
      peer.event({ 'Event-Name': 'CHANNEL_BRIDGE', 'Unique-ID': UUID })
      await roundTrip(session, peer)
      assert.equal(session.bridged, true)
      assert.equal(session.hungUp, false)
      assert.equal(session.isActive, true)
    }),
  )

  it('an event without a Unique-ID is taken as this channel\'s; a hang-up without a cause is NORMAL_CLEARING', () =>
    withHandshake({}, async ({ session, peer, ended }) => {
      peer.event({ 'Event-Name': 'CHANNEL_HANGUP_COMPLETE' })
      const end = await ended('the session ending after the hang-up')
      assert.deepEqual(end, { uniqueId: UUID, hangupCause: 'NORMAL_CLEARING', reason: 'hangup' })
      assert.equal(session.hangupCause, 'NORMAL_CLEARING')
    }),
  )

  it('CHANNEL_HANGUP alone ends waits at once but closes only after the grace period; the first cause stays', () =>
    withHandshake({ hangupGraceMs: 100 }, async ({ session, peer, ended }) => {
      const running = session.execute('park')
      await peer.expect('sendmsg')
      peer.reply('+OK')
      peer.event({ 'Event-Name': 'CHANNEL_HANGUP', 'Unique-ID': UUID, 'Hangup-Cause': 'USER_BUSY' })
      const error = errorOf(await within(running, WAIT_MS, 'the execute ending on the hang-up'))
      assert.deepEqual([error.code, error.message], ['hangup', 'the call hung up (USER_BUSY)'])
      assert.equal(session.isActive, false)
      const after = errorOf(await session.api('status'))
      assert.deepEqual([after.code, after.message], ['hangup', 'the call hung up (USER_BUSY)'])
      peer.event({ 'Event-Name': 'CHANNEL_HANGUP', 'Unique-ID': UUID, 'Hangup-Cause': 'NORMAL_CLEARING' })
      const end = await ended('the session closing after the grace period')
      assert.deepEqual(end, { uniqueId: UUID, hangupCause: 'USER_BUSY', reason: 'hangup' })
    }),
  )

  it('event listeners: each is called until it unsubscribes; none is added once the session closed', () =>
    withHandshake({}, async ({ session, peer, ended }) => {
      const seen: string[] = []
      const unsubscribe = session.onEvent((event: EslEvent) => seen.push(`a:${event.name}`))
      session.onEvent((event: EslEvent) => seen.push(`b:${event.name}`))
      peer.event({ 'Event-Name': 'CUSTOM', 'Unique-ID': UUID })
      await roundTrip(session, peer)
      assert.equal(unsubscribe(), true)
      assert.equal(unsubscribe(), false)
      peer.event({ 'Event-Name': 'CHANNEL_PARK', 'Unique-ID': UUID })
      await roundTrip(session, peer)
      assert.deepEqual(seen, ['a:CUSTOM', 'b:CUSTOM', 'b:CHANNEL_PARK'])
      assert.equal(session.debugState().listeners, 1)
      await session.close()
      await ended()
      const late = session.onEvent(() => seen.push('late'))
      assert.equal(late(), undefined)
      assert.equal(session.debugState().listeners, 0)
    }),
  )

  it('close by the router: FIN, then the reason is closed; commands after it get that reason', async () => {
    const { session, peer, close } = await pair()
    try {
      await peer.handshake()
      const closing = session.close()
      await within(new Promise<void>((resolve) => peer.socket.once('end', resolve)), WAIT_MS, 'the FIN from the session')
      assert.equal(session.isActive, false)
      const refused = errorOf(await session.execute('answer'))
      assert.deepEqual([refused.code, refused.message], ['closed', 'closed by the router'])
      assert.equal(session.signal.aborted, true)
      peer.socket.end()
      const end = await within(closing, WAIT_MS, 'the close resolving')
      assert.deepEqual(end, { uniqueId: UUID, hangupCause: undefined, reason: 'closed' })
      assert.equal(await within(session.close(), WAIT_MS, 'a second close'), end)
      const after = errorOf(await session.api('status'))
      assert.deepEqual([after.code, after.message], ['closed', 'closed by the router'])
    } finally {
      await close()
    }
  })

  it('FreeSWITCH closing the socket ends the session with reason closed, a hang-up wait with it', () =>
    withHandshake({}, async ({ session, peer, ended }) => {
      const hangup = session.hangup('NORMAL_CLEARING')
      await peer.expect(`api uuid_kill ${UUID} NORMAL_CLEARING`)
      assert.equal(session.debugState().listeners, 1)
      peer.socket.destroy()
      const error = errorOf(await within(hangup, WAIT_MS, 'the hangup ending with the socket'))
      assert.deepEqual([error.code, error.message], ['closed', 'FreeSWITCH closed the socket'])
      const end = await ended()
      assert.deepEqual(end, { uniqueId: UUID, hangupCause: undefined, reason: 'closed' })
      const after = errorOf(await session.execute('answer'))
      assert.deepEqual([after.code, after.message], ['closed', 'the session is closed'])
    }),
  )

  it('hand-back twice, or after the end, sends exit once', () =>
    withHandshake({}, async ({ session, peer, ended }) => {
      const first = session.handBack()
      await peer.expect('exit')
      const second = session.handBack()
      peer.reply('+OK bye')
      peer.disconnectNotice('disconnect')
      peer.socket.end()
      const end = await ended()
      assert.equal(end.reason, 'disconnected')
      assert.equal(await within(first, WAIT_MS, 'the first hand-back'), end)
      assert.equal(await within(second, WAIT_MS, 'the second hand-back'), end)
      peer.assertNoMoreCommands()
    }),
  )
})
