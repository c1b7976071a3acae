/**
 * The session against a scripted peer (test/support/scripted-switch.ts): a bare TCP client plays FreeSWITCH and
 * answers each command exactly as the test says (refusals, replies nobody
 * asked for, events of another channel, silence), which the simulator, being
 * a faithful switch, never does. Every command the session sends is checked
 * byte for byte; every wait has a deadline naming what did not happen.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { EslError } from '../../src/errors.ts'
import type { EslEvent } from '../../src/esl/messages.ts'
import { EslSession } from '../../src/esl/session.ts'
import { within } from '../support/deadline.ts'
import { errorOf, pair, roundTrip, UUID, WAIT_MS, withHandshake } from '../support/scripted-switch.ts'

describe('Event Socket session against a scripted peer', () => {
  it('uuid_setvar_multi carries at most 60 assignments: 61 variables go in two commands, in order', () =>
    withHandshake({}, async ({ session, peer }) => {
      const variables: Record<string, string> = {}
      for (let i = 0; i < 61; i++) variables[`v${i}`] = `x${i}`
      const result = session.setVariables(variables)
      const first = await peer.next('the first uuid_setvar_multi')
      const second = await peer.next('the second uuid_setvar_multi')
      const pairs = Object.entries(variables).map(([name, value]) => `${name}=${value}`)
      assert.equal(first.command, `api uuid_setvar_multi ${UUID} ${pairs.slice(0, 60).join(';')}`)
      assert.equal(second.command, `api uuid_setvar_multi ${UUID} v60=x60`)
      peer.apiResponse('+OK')
      peer.apiResponse('+OK')
      assert.equal(await within(result, WAIT_MS, 'setVariables resolving'), undefined)
      peer.assertNoMoreCommands()
    }),
  )

  it('a refused uuid_setvar_multi is an error naming the refusal; no variables sends nothing', () =>
    withHandshake({}, async ({ session, peer }) => {
      assert.equal(await session.setVariables({}), undefined)
      const refused = session.setVariables({ a: '1', b: '2' })
      await peer.expect(`api uuid_setvar_multi ${UUID} a=1;b=2`)
      peer.apiResponse('-ERR No such channel!\n')
      const error = errorOf(await within(refused, WAIT_MS, 'setVariables resolving'))
      assert.equal(error.code, 'rejected')
      assert.equal(error.message, 'uuid_setvar_multi: -ERR No such channel!')
      const transport = session.setVariables({ c: '3' })
      await peer.expect(`api uuid_setvar_multi ${UUID} c=3`)
      peer.reply('-ERR command not found')
      assert.equal(errorOf(await within(transport, WAIT_MS, 'setVariables resolving')).message, 'uuid_setvar_multi: -ERR command not found')
      peer.assertNoMoreCommands()
    }),
  )

  it('setVariables before the handshake is refused without sending anything', async () => {
    const { session, peer, close } = await pair()
    try {
      await peer.expect('connect')
      const error = errorOf(await session.setVariables({ a: '1' }))
      assert.equal(error.code, 'closed')
      assert.equal(error.message, 'the session is not connected')
      const early = errorOf(await session.execute('answer'))
      assert.deepEqual([early.code, early.message], ['closed', 'the session is not connected yet'])
      peer.assertNoMoreCommands()
    } finally {
      await close()
    }
  })

  it('hangup with full control is api uuid_kill with the cause; a refusal is an error; after the hang-up nothing is sent', () =>
    withHandshake({ hangupGraceMs: 60_000 }, async ({ session, peer, ended }) => {
      const refused = session.hangup('USER_BUSY')
      await peer.expect(`api uuid_kill ${UUID} USER_BUSY`)
      peer.apiResponse('-ERR No such channel!\n')
      const error = errorOf(await within(refused, WAIT_MS, 'the refused hangup resolving'))
      assert.deepEqual([error.code, error.message], ['rejected', 'hangup: -ERR No such channel!'])

      const accepted = session.hangup('CALL_REJECTED')
      await peer.expect(`api uuid_kill ${UUID} CALL_REJECTED`)
      peer.apiResponse('+OK\n')
      peer.hangupEvents('CALL_REJECTED')
      assert.equal(await within(accepted, WAIT_MS, 'the hangup resolving'), undefined)
      assert.equal(session.hangupCause, 'CALL_REJECTED')
      assert.equal(await session.hangup(), undefined)
      const late = errorOf(await session.execute('playback', 'x.wav'))
      assert.deepEqual([late.code, late.message], ['hangup', 'the call hung up (CALL_REJECTED)'])
      // CHANNEL_HANGUP_COMPLETE came: the session closes at once (FIN), not after the grace period.
      await peer.closed.then(() => undefined)
      const end = await ended()
      assert.deepEqual(end, { uniqueId: UUID, hangupCause: 'CALL_REJECTED', reason: 'hangup' })
      assert.ok(peer.sawFin, 'the session half-closes before closing')
      peer.assertNoMoreCommands()
    }),
  )

  it('hangup without full control, or with a cause uuid_kill cannot take, is a sendmsg hangup', async () => {
    const { session, peer, close } = await pair()
    try {
      await peer.handshake({ control: 'single-channel', setupReplies: ['+OK Events Enabled', '-ERR not in full control'] })
      const hangup = session.hangup('NO_ANSWER')
      const frame = await peer.expect('sendmsg')
      assert.deepEqual(frame.headers, [
        ['call-command', 'hangup'],
        ['hangup-cause', 'NO_ANSWER'],
      ])
      peer.reply('+OK')
      peer.hangupEvents('NO_ANSWER')
      assert.equal(await within(hangup, WAIT_MS, 'the hangup resolving'), undefined)
    } finally {
      await close()
    }
  })

  it('an unusable hang-up cause is refused before anything is sent, with or without full control', () =>
    withHandshake({}, async ({ session, peer }) => {
      const error = errorOf(await session.hangup('no answer; exit'))
      assert.deepEqual([error.code, error.message], ['invalid_argument', 'bad hangup cause "no answer; exit"'])
      peer.assertNoMoreCommands()
    }),
  )

  it('logs a refused setup command and a socket application without full control', async () => {
    const { session, peer, logs, close } = await pair()
    try {
      await peer.handshake({ control: 'single-channel', setupReplies: ['+OK Events Enabled', '-ERR not in full control'] })
      await logs.next('session setup command refused')
      const refusals = logs.find('session setup command refused')
      assert.deepEqual(
        refusals.map((line) => line['reply']),
        ['-ERR not in full control'],
      )
      assert.deepEqual(
        logs.find('socket application lacks "full": linger and api are refused').map((line) => [line['control'], line['call']]),
        [['single-channel', UUID]],
      )
      assert.equal(session.channel?.control, 'single-channel')
    } finally {
      await close()
    }
  })

  it('accepted setup commands log nothing', () =>
    withHandshake({}, async ({ peer, logs, session }) => {
      // A round trip after the setup replies: they have been handled by then.
      const api = session.api('status')
      await peer.expect('api status')
      peer.apiResponse('UP 0 years')
      assert.equal(await within(api, WAIT_MS, 'the api reply'), 'UP 0 years')
      assert.deepEqual(logs.lines.filter((line) => line.level >= 40).map((line) => line.msg), [])
    }),
  )

  it('connect answered by an api response, or without a Unique-ID, ends the session as a protocol error', async () => {
    for (const [answer, message] of [
      ['Content-Type: api/response\nContent-Length: 3\n\n+OK', 'connect answered by an api response'],
      ['Content-Type: command/reply\nReply-Text: +OK\nChannel-Name: sofia/x\n\n', 'connect reply carries no Unique-ID'],
    ] as const) {
      const { session, peer, ended, close } = await pair()
      try {
        await peer.expect('connect')
        peer.send(answer)
        const end = await ended(`the session ending after ${message}`)
        assert.equal(end.reason, 'protocol')
        const ready = errorOf(await session.ready())
        assert.deepEqual([ready.code, ready.message], ['protocol', message])
        peer.assertNoMoreCommands()
      } finally {
        await close()
      }
    }
  })

  it('execute, api and bgapi refusals are errors naming the command and the reply', () =>
    withHandshake({}, async ({ session, peer }) => {
      const execute = session.execute('playback', 'x.wav')
      await peer.expect('sendmsg')
      peer.reply('-ERR invalid session id')
      assert.deepEqual(
        [errorOf(await within(execute, WAIT_MS, 'the execute')).code, errorOf(await execute).message],
        ['rejected', 'playback: -ERR invalid session id'],
      )
      const api = session.api('uuid_getvar', `${UUID} pin`)
      await peer.expect(`api uuid_getvar ${UUID} pin`)
      peer.reply('-ERR no reply')
      assert.equal(errorOf(await within(api, WAIT_MS, 'the api')).message, 'uuid_getvar: -ERR no reply')
      const bgapi = session.bgapi('originate', 'user/1001 &park')
      const frame = await peer.expect('bgapi originate user/1001 &park')
      assert.match(frame.header('Job-UUID') ?? '', /^[0-9a-f-]{36}$/)
      peer.reply('-ERR not allowed')
      assert.equal(errorOf(await within(bgapi, WAIT_MS, 'the bgapi')).message, 'bgapi originate: -ERR not allowed')
      const bgapiApi = session.bgapi('status')
      await peer.expect('bgapi status')
      peer.apiResponse('odd')
      assert.equal(errorOf(await within(bgapiApi, WAIT_MS, 'the second bgapi')).message, 'bgapi status: odd')
      const accepted = session.bgapi('status')
      const acceptedFrame = await peer.expect('bgapi status')
      peer.reply(`+OK Job-UUID: ${acceptedFrame.header('Job-UUID') ?? ''}`)
      assert.equal(await within(accepted, WAIT_MS, 'the third bgapi'), acceptedFrame.header('Job-UUID'))
    }),
  )

  it('an execute completes only on the CHANNEL_EXECUTE_COMPLETE carrying its own Event-UUID and channel', () =>
    withHandshake({}, async ({ session, peer }) => {
      const seen: string[] = []
      session.onEvent((event) => seen.push(`${event.name}:${event.get('Application') ?? ''}`))
      let settled: EslEvent | EslError | undefined
      const execute = session.execute('answer').then((result) => (settled = result))
      const frame = await peer.expect('sendmsg')
      const id = frame.header('Event-UUID') ?? ''
      peer.reply('+OK')
      peer.event({ 'Event-Name': 'CHANNEL_EXECUTE_COMPLETE', 'Unique-ID': 'another-channel', 'Application-UUID': id, Application: 'answer' })
      peer.event({ 'Event-Name': 'CHANNEL_EXECUTE_COMPLETE', 'Unique-ID': UUID, 'Application-UUID': 'someone-else', Application: 'answer' })
      peer.event({ 'Event-Name': 'CHANNEL_HANGUP', 'Unique-ID': 'another-channel', 'Hangup-Cause': 'USER_BUSY' })
      // A round trip: everything above has been read once the api answer is.
      const api = session.api('status')
      await peer.expect('api status')
      peer.apiResponse('UP')
      await within(api, WAIT_MS, 'the api reply')
      assert.equal(settled, undefined, 'completed by an event that was not its own')
      assert.equal(session.hungUp, false)
      peer.event({ 'Event-Name': 'CHANNEL_EXECUTE_COMPLETE', 'Unique-ID': UUID, 'Application-UUID': id, Application: 'answer', 'Application-Response': '_none_' })
      const result = await within(execute, WAIT_MS, 'the execute completing')
      assert.ok(!(result instanceof EslError))
      assert.equal((result as EslEvent).get('Application-UUID'), id)
      assert.deepEqual(seen, ['CHANNEL_EXECUTE_COMPLETE:answer', 'CHANNEL_EXECUTE_COMPLETE:answer'])
    }),
  )

  it('the socket application returning: with Answer-State hangup a hang-up, otherwise control lost', async () => {
    for (const [answerState, reason, cause] of [
      ['hangup', 'hangup', 'ORIGINATOR_CANCEL'],
      ['answered', 'control_lost', undefined],
    ] as const) {
      const { session, peer, ended, close } = await pair({ hangupGraceMs: 50 })
      try {
        await peer.handshake()
        peer.event({ 'Event-Name': 'CHANNEL_EXECUTE_COMPLETE', 'Unique-ID': UUID, Application: 'socket', 'Answer-State': answerState, 'Hangup-Cause': 'ORIGINATOR_CANCEL' })
        const end = await ended(`the session ending on Answer-State ${answerState}`)
        assert.deepEqual(end, { uniqueId: UUID, hangupCause: cause, reason })
        assert.ok(session.signal.aborted)
      } finally {
        await close()
      }
    }
  })

  it('without CHANNEL_HANGUP_COMPLETE the session closes itself after the grace period; a linger notice is a hang-up', async () => {
    const { session, peer, ended, close } = await pair({ hangupGraceMs: 100, closeTimeoutMs: 60_000 })
    try {
      await peer.handshake()
      const execute = session.execute('playback', 'x.wav')
      await peer.expect('sendmsg')
      peer.reply('+OK')
      peer.disconnectNotice('linger')
      const error = errorOf(await within(execute, WAIT_MS, 'the execute ending on the linger notice'))
      assert.deepEqual([error.code, error.message], ['hangup', 'the call hung up (NORMAL_CLEARING)'])
      assert.equal(session.hungUp, true)
      // The grace period ends with our FIN; the peer then closes, as FreeSWITCH does.
      await within(peer.closed, WAIT_MS, 'the close after the grace period')
      assert.ok(peer.sawFin, 'the session half-closes first')
      assert.deepEqual(await ended(), { uniqueId: UUID, hangupCause: 'NORMAL_CLEARING', reason: 'hangup' })
    } finally {
      await close()
    }
  })

  it('a disconnect notice ends control; a peer that never closes after our FIN is destroyed after closeTimeoutMs', () =>
    withHandshake({ closeTimeoutMs: 100 }, async ({ session, peer, ended }) => {
      const execute = session.execute('playback', 'x.wav')
      await peer.expect('sendmsg')
      peer.reply('+OK')
      peer.disconnectNotice('disconnect')
      const error = errorOf(await within(execute, WAIT_MS, 'the execute ending on the notice'))
      assert.deepEqual([error.code, error.message], ['disconnected', 'FreeSWITCH sent its disconnect notice'])
      const closing = errorOf(await session.api('status'))
      assert.equal(closing.code, 'disconnected')
      // The peer never closes: the session destroys the socket itself.
      assert.deepEqual(await ended(), { uniqueId: UUID, hangupCause: undefined, reason: 'disconnected' })
      await within(peer.closed, WAIT_MS, 'the socket closing')
    }),
  )

  it('a command left unanswered ends the session, naming the command (never its arguments)', async () => {
    for (const [send, line, name] of [
      [(session: EslSession) => session.setVariables({ pin: '1234' }), `api uuid_setvar_multi ${UUID} pin=1234`, 'api uuid_setvar_multi'],
      [(session: EslSession) => session.execute('playback', 'secret.wav'), 'sendmsg', 'sendmsg'],
      [(session: EslSession) => session.bgapi('status'), 'bgapi status', 'bgapi status'],
    ] as const) {
      const { session, peer, logs, ended, close } = await pair({ replyTimeoutMs: 100 })
      try {
        await peer.handshake()
        const pending = send(session)
        await peer.expect(line)
        const end = await ended(`the session giving up on ${name}`)
        assert.equal(end.reason, 'protocol')
        assert.ok((await pending) instanceof EslError)
        assert.deepEqual(
          logs.find('FreeSWITCH left a command unanswered, closing').map((entry) => [entry['command'], entry['ms']]),
          [[name, 100]],
        )
      } finally {
        await close()
      }
    }
  })

  it('connect left unanswered ends the session after connectTimeoutMs', async () => {
    const { session, peer, ended, close } = await pair({ connectTimeoutMs: 100 })
    try {
      await peer.expect('connect')
      const end = await ended()
      assert.equal(end.reason, 'protocol')
      const ready = errorOf(await session.ready())
      assert.equal(ready.message, 'no connect reply within 100 ms')
    } finally {
      await close()
    }
  })

  it('replies nobody asked for and undecodable events are logged three times each, then counted once at the end', () =>
    withHandshake({}, async ({ session, peer, logs, ended }) => {
      await roundTrip(session, peer)
      const last = logs.next('ignored a frame')
      for (let i = 0; i < 5; i++) peer.reply('+OK stray')
      for (let i = 0; i < 4; i++) peer.send('Content-Type: text/event-json\nContent-Length: 5\n\n[1,2]')
      peer.send('Content-Type: log/data\nContent-Length: 2\n\nhi')
      await within(last, WAIT_MS, 'the last junk frame read')
      const stray = 'a reply arrived with no command waiting for it'
      assert.deepEqual(
        logs.lines.filter((line) => line.msg.startsWith(stray)).map((line) => [line.msg, line['kind']]),
        [
          [stray, 'reply'],
          [stray, 'reply'],
          [`${stray} (further ones are counted, not logged)`, 'reply'],
        ],
      )
      const malformed = 'ignored an undecodable event'
      assert.deepEqual(
        logs.lines.filter((line) => line.msg.startsWith(malformed)).map((line) => [line.msg, line['reason']]),
        [
          [malformed, 'event JSON is not an object'],
          [malformed, 'event JSON is not an object'],
          [`${malformed} (further ones are counted, not logged)`, 'event JSON is not an object'],
        ],
      )
      assert.deepEqual(
        logs.find('ignored a frame').map((line) => line['contentType']),
        ['log/data'],
      )
      assert.equal(logs.find('peer misbehaviour counted on this connection').length, 0)
      peer.socket.destroy()
      await ended()
      const summary = logs.find('peer misbehaviour counted on this connection')
      assert.equal(summary.length, 1)
      assert.equal(summary[0]?.['unexpected_reply'], 5)
      assert.equal(summary[0]?.['malformed'], 4)
    }),
  )

  it('exactly three of a kind logs no summary at the end', () =>
    withHandshake({}, async ({ session, peer, logs, ended }) => {
      await roundTrip(session, peer)
      const third = logs.next('a reply arrived with no command waiting for it (further')
      for (let i = 0; i < 3; i++) peer.reply('+OK stray')
      await within(third, WAIT_MS, 'the third stray reply read')
      peer.socket.destroy()
      await ended()
      assert.equal(logs.find('peer misbehaviour counted on this connection').length, 0)
    }),
  )

  it('hand-back sends exit after the commands already sent, and their replies still arrive', async () => {
    const { session, peer, routerSocket, ended, close } = await pair({ closeTimeoutMs: 60_000 })
    try {
      await peer.handshake()
      const api = session.api('status')
      const back = session.handBack()
      await peer.expect('api status')
      await peer.expect('exit')
      peer.apiResponse('UP')
      assert.equal(await within(api, WAIT_MS, 'the api answered after exit was sent'), 'UP')
      // Asserting an absence without waiting on a clock: a FIN starts with end() on the router's
      // socket, which shows at once in writableEnded; the session has sent exit and read a reply since.
      assert.equal(routerSocket.writableEnded, false, 'exit lets FreeSWITCH close: the session sends no FIN of its own')
      assert.equal(peer.sawFin, false, 'no FIN reached the switch')
      peer.reply('+OK bye')
      peer.disconnectNotice('disconnect')
      peer.socket.end()
      assert.deepEqual(await within(back, WAIT_MS, 'the hand-back'), { uniqueId: UUID, hangupCause: undefined, reason: 'disconnected' })
      assert.deepEqual((await ended()).reason, 'disconnected')
    } finally {
      await close()
    }
  })

  it('debugState counts what a live session holds and is all zeros once it ended', () =>
    withHandshake({ hangupGraceMs: 60_000 }, async ({ session, peer, ended }) => {
      await roundTrip(session, peer)
      const listener = session.onEvent(() => {})
      const execute = session.execute('playback', 'x.wav')
      await peer.expect('sendmsg')
      assert.deepEqual(session.debugState(), { replies: 1, executes: 1, listeners: 1, timers: 1, queuedBytes: 0 })
      peer.reply('+OK')
      peer.event({ 'Event-Name': 'CHANNEL_HANGUP', 'Unique-ID': UUID, 'Hangup-Cause': 'NORMAL_CLEARING' })
      await within(execute, WAIT_MS, 'the execute ending on the hang-up')
      assert.deepEqual(session.debugState(), { replies: 0, executes: 0, listeners: 1, timers: 1, queuedBytes: 0 })
      listener()
      peer.socket.destroy()
      await ended()
      assert.deepEqual(session.debugState(), { replies: 0, executes: 0, listeners: 0, timers: 0, queuedBytes: 0 })
      assert.equal(session.isActive, false)
    }),
  )
})
