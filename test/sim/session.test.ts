import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { describe, it } from 'node:test'
import { EslError } from '../../src/errors.ts'
import type { EslSession } from '../../src/esl/session.ts'
import type { EslEvent } from '../../src/esl/messages.ts'
import { startHarness, until } from '../support/esl-harness.ts'
import { loadCalls } from '../support/load.ts'

function isEvent(value: EslEvent | EslError): value is EslEvent {
  return !(value instanceof EslError)
}

async function ready(session: EslSession): Promise<void> {
  const channel = await session.ready()
  assert.ok(!(channel instanceof EslError), `handshake failed: ${channel instanceof EslError ? channel.message : ''}`)
}

describe('Event Socket session against the simulator', () => {
  it('sends connect first, parses the channel data, then subscribes and lingers', async () => {
    const harness = await startHarness(async (session) => {
      await ready(session)
      await session.hangup()
    })
    try {
      const call = harness.sim.placeCall({
        callerIdName: 'Jane Doe',
        callerIdNumber: '+31612345678',
        destinationNumber: '31201234567',
        variables: { webhook: 'crm' },
      })
      const result = await harness.settle(call.done)
      assert.equal(result.disposition, 'hungup')
      assert.deepEqual(
        call.received.slice(0, 3).map((frame) => frame.command),
        ['connect', 'myevents json', 'linger 5'],
      )
      const channel = harness.sessions[0]?.channel
      assert.ok(channel)
      assert.equal(channel.uniqueId, call.uuid)
      assert.equal(channel.callerIdName, 'Jane Doe')
      assert.equal(channel.callerIdNumber, '+31612345678')
      assert.equal(channel.destinationNumber, '31201234567')
      assert.equal(channel.variable('webhook'), 'crm')
      assert.equal(channel.control, 'full')
    } finally {
      await harness.close()
    }
  })

  it('decodes a caller name that is not UTF-8 without throwing', async () => {
    const harness = await startHarness(async (session) => {
      await ready(session)
      await session.hangup()
    })
    try {
      const call = harness.sim.placeCall({ callerIdNameBytes: Buffer.from([0x4a, 0xe9, 0xff, 0x25, 0x0a, 0x41]) })
      await harness.settle(call.done)
      assert.equal(harness.sessions[0]?.channel?.callerIdName, 'J\uFFFD\uFFFD%\nA')
    } finally {
      await harness.close()
    }
  })

  it('pipelined executes run and complete in order, each resolved by its own Application-UUID', async () => {
    let results: Array<EslEvent | EslError> = []
    const harness = await startHarness(async (session) => {
      await ready(session)
      // Not awaited one by one: all three are on the wire before the first completes.
      results = await Promise.all([
        session.execute('set', 'first=1'),
        session.execute('playback', 'tone_stream://%(500,0,440)'),
        session.execute('set', 'second=2'),
      ])
      await session.hangup()
    })
    try {
      const call = harness.sim.placeCall()
      await harness.settle(call.done)
      assert.deepEqual(
        results.map((result) => (isEvent(result) ? result.get('Application') : result.code)),
        ['set', 'playback', 'set'],
      )
      assert.ok(results.every(isEvent))
      assert.equal((results[1] as EslEvent).get('Application-Response'), 'FILE PLAYED')
      const sent = call.received.filter((frame) => frame.command === 'sendmsg')
      assert.deepEqual(
        sent.slice(0, 3).map((frame) => frame.header('event-lock')),
        ['true', 'true', 'true'],
      )
      const ids = sent.slice(0, 3).map((frame) => frame.header('Event-UUID'))
      assert.deepEqual(
        results.map((result) => (result as EslEvent).get('Application-UUID')),
        ids,
      )
      assert.deepEqual(
        call.executed.map((app) => app.app),
        ['set', 'playback', 'set'],
      )
    } finally {
      await harness.close()
    }
  })

  it('sends arguments as a text/plain body with their byte length, never in a header', async () => {
    const harness = await startHarness(async (session) => {
      await ready(session)
      await session.execute('set', 'greeting=Héllo Wörld')
      await session.hangup()
    })
    try {
      const call = harness.sim.placeCall()
      await harness.settle(call.done)
      const frame = call.received.find((received) => received.header('execute-app-name') === 'set')
      assert.ok(frame)
      assert.equal(frame.header('execute-app-arg'), undefined)
      assert.equal(frame.header('content-type'), 'text/plain')
      assert.equal(frame.header('content-length'), String(Buffer.byteLength('greeting=Héllo Wörld')))
      assert.equal(call.variable('greeting'), 'Héllo Wörld')
    } finally {
      await harness.close()
    }
  })

  it('a caller hang-up during play_and_get_digits ends the wait at once with a hang-up error', { timeout: 10_000 }, async () => {
    let result: EslEvent | EslError | undefined
    let abortedBy: unknown
    const harness = await startHarness(
      async (session) => {
        await ready(session)
        await session.execute('answer')
        // 60 s to enter digits: only the hang-up can end this wait quickly.
        result = await session.execute('play_and_get_digits', '4 6 1 60000 # silence_stream://60000 silence_stream://250 pin \\d+ 60000')
        abortedBy = session.signal.reason
      },
      { timeScale: 1 },
    )
    try {
      const call = harness.sim.placeCall({
        dtmf: [{ timeout: true }],
        hangups: [{ on: 'execute', app: 'play_and_get_digits', afterMs: 20 }],
      })
      const outcome = await harness.settle(call.done)
      assert.equal(outcome.disposition, 'hungup')
      assert.ok(result instanceof EslError)
      assert.equal(result.code, 'hangup')
      assert.ok(abortedBy instanceof EslError && abortedBy.code === 'hangup')
      const end = await harness.settle(harness.sessions[0]?.ended ?? Promise.reject(new Error('no session')))
      assert.equal(end?.hangupCause, 'NORMAL_CLEARING')
    } finally {
      await harness.close()
    }
  })

  it('treats the linger notice as the hang-up even when it arrives before CHANNEL_HANGUP', { timeout: 10_000 }, async () => {
    let result: EslEvent | EslError | undefined
    const harness = await startHarness(
      async (session) => {
        await ready(session)
        result = await session.execute('sleep', '60000')
      },
      { timeScale: 1 },
    )
    try {
      const call = harness.sim.placeCall({ lingerNotice: 'before-hangup', hangups: [{ on: 'execute', app: 'sleep', afterMs: 10 }] })
      await harness.settle(call.done)
      assert.ok(result instanceof EslError && result.code === 'hangup')
    } finally {
      await harness.close()
    }
  })

  it('closes the socket itself after the hang-up (FreeSWITCH, lingering, never would)', async () => {
    const harness = await startHarness(async (session) => {
      await ready(session)
      await session.hangup('USER_BUSY')
    }, { session: { lingerSeconds: 3600 } })
    try {
      const call = harness.sim.placeCall()
      const outcome = await harness.settle(call.done)
      assert.equal(outcome.hangupCause, 'USER_BUSY')
      const end = await harness.settle(harness.sessions[0]?.ended ?? Promise.reject(new Error('no session')))
      assert.equal(end?.reason, 'hangup')
      // The sim saw our FIN: its last frame is the disconnect notice answering it.
      assert.match(call.sent.at(-1)?.toString() ?? '', /Content-Disposition: disconnect/)
    } finally {
      await harness.close()
    }
  })

  it('a deadline ends an execute with a deadline error while the call stays up', { timeout: 10_000 }, async () => {
    let result: EslEvent | EslError | undefined
    const harness = await startHarness(
      async (session) => {
        await ready(session)
        result = await session.execute('sleep', '60000', { deadline: Date.now() + 50 })
        assert.equal(session.isActive, true)
        await session.hangup()
      },
      { timeScale: 1 },
    )
    try {
      await harness.settle(harness.sim.placeCall().done)
      assert.ok(result instanceof EslError)
      assert.equal(result.code, 'deadline')
    } finally {
      await harness.close()
    }
  })

  it('hand-back: exit returns the call to the dialplan, which runs its next action', async () => {
    const harness = await startHarness(async (session) => {
      await ready(session)
      await session.setVariables({ webhook_result: 'failure', webhook_reason: 'err' })
      const end = await session.handBack()
      assert.equal(end.reason, 'disconnected')
    })
    try {
      const call = harness.sim.placeCall({ afterSocket: [['playback', 'tone_stream://%(200,0,440)']] })
      const outcome = await harness.settle(call.done)
      assert.equal(outcome.disposition, 'handed-back')
      assert.equal(call.variable('webhook_result'), 'failure')
      assert.deepEqual(call.dialplanApps, [['playback', 'tone_stream://%(200,0,440)']])
      assert.equal(call.received.at(-1)?.command, 'exit')
    } finally {
      await harness.close()
    }
  })

  it('a handler that throws, or returns while holding the call, hands the call back', async () => {
    let calls = 0
    const harness = await startHarness(
      async (session) => {
        await ready(session)
        calls++
        if (calls === 1) throw new Error('boom')
      },
      { handlerErrors: 'expected' },
    )
    try {
      const first = await harness.sim.placeCall().done
      const second = await harness.sim.placeCall().done
      assert.equal(first.disposition, 'handed-back')
      assert.equal(second.disposition, 'handed-back')
      assert.deepEqual(
        harness.handlerErrors.map((error) => (error as Error).message),
        ['boom'],
      )
    } finally {
      await harness.close()
    }
  })

  it('a transfer ends our control: the session closes when the socket application returns', async () => {
    let transfer: EslEvent | EslError | undefined
    const harness = await startHarness(async (session) => {
      await ready(session)
      transfer = await session.execute('transfer', '200 XML default')
      const end = await session.ended
      assert.equal(end.reason, 'control_lost')
    })
    try {
      const call = harness.sim.placeCall({ dialplan: { '200': [['answer', '']] } })
      const outcome = await harness.settle(call.done)
      assert.equal(outcome.disposition, 'transferred')
      assert.ok(transfer && !(transfer instanceof EslError))
    } finally {
      await harness.close()
    }
  })

  it('a socket application that returns with Answer-State hangup is a hang-up, not a transfer (CHANNEL_HANGUP came before myevents)', async () => {
    const harness = await startHarness(async (session) => {
      await session.ready()
      await session.ended
    })
    try {
      // A scripted FreeSWITCH: the caller hung up right at connect, so CHANNEL_HANGUP went out before
      // myevents took effect; the first event the controller sees is the socket application returning.
      const peer = connect({ host: '127.0.0.1', port: harness.port })
      let seen = ''
      const closed = new Promise((resolve) => peer.on('close', resolve))
      const event = (fields: Record<string, string>): string => {
        const body = JSON.stringify({ 'Event-Name': 'CHANNEL_EXECUTE_COMPLETE', 'Unique-ID': 'u-1', ...fields })
        return `Content-Length: ${Buffer.byteLength(body)}\nContent-Type: text/event-json\n\n${body}`
      }
      peer.on('data', (chunk: Buffer) => {
        seen += chunk.toString('latin1')
        if (seen === 'connect\n\n') {
          peer.write('Event-Name: CHANNEL_DATA\nUnique-ID: u-1\nAnswer-State: ringing\nSocket-Mode: async\nControl: full\nContent-Type: command/reply\nReply-Text: +OK\n\n')
        } else if (seen.includes('myevents') && seen.includes('linger') && !seen.includes('+sent')) {
          seen += '+sent'
          peer.write('Content-Type: command/reply\nReply-Text: +OK Events Enabled\n\nContent-Type: command/reply\nReply-Text: +OK will linger\n\n')
          peer.write(event({ 'Answer-State': 'hangup', 'Hangup-Cause': 'ORIGINATOR_CANCEL', Application: 'socket', 'Application-UUID': 'socket-app' }))
          peer.write(event({ 'Event-Name': 'CHANNEL_HANGUP_COMPLETE', 'Answer-State': 'hangup', 'Hangup-Cause': 'ORIGINATOR_CANCEL' }))
          peer.write('Content-Type: text/disconnect-notice\nContent-Disposition: linger\nContent-Length: 0\n\n')
        }
      })
      await harness.settle(until(() => harness.sessions.length === 1, 5000, 'a session for the scripted peer'))
      const end = await harness.settle((harness.sessions[0] as EslSession).ended)
      assert.equal(end.reason, 'hangup')
      assert.equal(end.hangupCause, 'ORIGINATOR_CANCEL')
      // And the router closed the lingering socket itself.
      await harness.settle(closed)
    } finally {
      await harness.close()
    }
  })

  it('an unknown application hangs the call up (DESTINATION_OUT_OF_ORDER) and the wait ends', async () => {
    let result: EslEvent | EslError | undefined
    const harness = await startHarness(async (session) => {
      await ready(session)
      result = await session.execute('no_such_app', 'x')
    })
    try {
      const outcome = await harness.settle(harness.sim.placeCall().done)
      assert.equal(outcome.hangupCause, 'DESTINATION_OUT_OF_ORDER')
      assert.ok(result instanceof EslError && result.code === 'hangup')
    } finally {
      await harness.close()
    }
  })

  it('a connection reset in the middle of a frame ends pending waits, and no other call is harmed', async () => {
    const results: Array<EslEvent | EslError> = []
    const harness = await startHarness(async (session) => {
      const channel = await session.ready()
      if (channel instanceof EslError) {
        results.push(channel)
        return
      }
      results.push(await session.execute('playback', 'tone_stream://%(500,0,440)'))
      await session.hangup()
    })
    try {
      const broken = harness.sim.placeCall({ faults: { resetAfterFrames: 4 } })
      const healthy = harness.sim.placeCall()
      await harness.settle(Promise.all([broken.done, healthy.done]))
      const [first, second] = [harness.sessions[0], harness.sessions[1]]
      assert.ok(first && second)
      assert.ok(results.some((result) => result instanceof EslError && result.code === 'closed'))
      assert.ok(results.some((result) => isEvent(result) && result.get('Application') === 'playback'))
    } finally {
      await harness.close()
    }
  })

  it('frames split at hostile boundaries (single bytes, every line break) are read correctly', async () => {
    for (const split of ['bytes', 'lines', 'random'] as const) {
      let result: EslEvent | EslError | undefined
      const harness = await startHarness(async (session) => {
        await ready(session)
        result = await session.execute('set', 'split=ok')
        await session.hangup()
      })
      try {
        const call = harness.sim.placeCall({ faults: { split } })
        await harness.settle(call.done)
        assert.ok(result && isEvent(result), split)
        assert.equal(call.variable('split'), 'ok')
      } finally {
        await harness.close()
      }
    }
  })

  it('refuses variable values FreeSWITCH could expand or split, before sending anything', async () => {
    const refusals: Array<undefined | EslError> = []
    const harness = await startHarness(async (session) => {
      await ready(session)
      for (const value of ['${system echo hi}', 'a;b=c', "O'Brien", 'x\\y', 'line\nbreak', ' padded ', 'Jan {Agent} [ACME], 100% @home', 'a|b', 'x<y>', 'up^^:x']) {
        refusals.push(await session.setVariables({ webhook_callername: value }))
      }
      refusals.push(await session.setVariables({ 'bad name': 'x' }))
      refusals.push(await session.setVariables({ webhook_callername: 'Jan (Agent) ACME 100% @home' }))
      await session.hangup()
    })
    try {
      const call = harness.sim.placeCall()
      await harness.settle(call.done)
      assert.deepEqual(
        refusals.map((refusal) => refusal?.code),
        [...Array<string>(11).fill('invalid_argument'), undefined],
      )
      assert.equal(call.apiCommands.filter((command) => command.startsWith('uuid_setvar_multi')).length, 1)
      assert.equal(call.variable('webhook_callername'), 'Jan (Agent) ACME 100% @home')
      assert.deepEqual(call.apiExpansions, [])
    } finally {
      await harness.close()
    }
  })

  it('api returns the command output; bgapi returns its Job-UUID', async () => {
    let output: string | EslError | undefined
    let job: string | EslError | undefined
    const harness = await startHarness(async (session) => {
      await ready(session)
      await session.setVariables({ pin: '1234' })
      output = await session.api('uuid_getvar', `${session.channel?.uniqueId ?? ''} pin`)
      job = await session.bgapi('uuid_getvar', `${session.channel?.uniqueId ?? ''} pin`)
      await session.hangup()
    })
    try {
      const call = harness.sim.placeCall()
      await harness.settle(call.done)
      assert.equal(output, '1234')
      assert.equal(typeof job, 'string')
      assert.equal(call.received.find((frame) => frame.command?.startsWith('bgapi'))?.header('Job-UUID'), job)
    } finally {
      await harness.close()
    }
  })

  it('api without "full" control is refused with an error value', async () => {
    let result: string | EslError | undefined
    const harness = await startHarness(async (session) => {
      await ready(session)
      result = await session.api('uuid_getvar', `${session.channel?.uniqueId ?? ''} x`)
      await session.hangup()
    })
    try {
      await harness.settle(harness.sim.placeCall({ control: 'single-channel' }).done)
      assert.ok(result instanceof EslError && result.code === 'rejected')
    } finally {
      await harness.close()
    }
  })

  it('closes a connection from a peer not on the allow-list without answering it', async () => {
    let handled = 0
    const harness = await startHarness(
      () => {
        handled++
      },
      { allow: ['10.0.0.0/8'] },
    )
    try {
      const outcome = await harness.settle(harness.sim.placeCall().done)
      assert.equal(outcome.disposition, 'parked')
      assert.equal(handled, 0)
    } finally {
      await harness.close()
    }
  })

  it('closes a connection that never answers connect, without harming others', { timeout: 10_000 }, async () => {
    const harness = await startHarness(async (session) => {
      if ((await session.ready()) instanceof EslError) return
      await session.hangup()
    }, { session: { connectTimeoutMs: 100 } })
    try {
      const silent = connect({ host: '127.0.0.1', port: harness.port })
      const received: Buffer[] = []
      silent.on('data', (chunk: Buffer) => received.push(chunk))
      const closed = new Promise((resolve) => silent.on('close', resolve))
      const healthy = await harness.settle(harness.sim.placeCall().done)
      await closed
      assert.equal(Buffer.concat(received).toString(), 'connect\n\n')
      assert.equal(healthy.disposition, 'hungup')
    } finally {
      await harness.close()
    }
  })

  it('back-pressure: output to a reader that stops is queued, then delivered in order', { timeout: 10_000 }, async () => {
    const results: Array<EslEvent | EslError> = []
    const harness = await startHarness(
      async (session) => {
        await ready(session)
        // 40 x 100 KB arguments: more than the socket buffers hold while the peer does not read.
        const big = 'x'.repeat(100_000)
        const pending = Array.from({ length: 40 }, (_, i) => session.execute('log', `${i} ${big}`))
        results.push(...(await Promise.all(pending)))
        await session.hangup()
      },
      { timeScale: 1, session: { maxPendingWriteBytes: 16 * 1024 * 1024 } },
    )
    try {
      const call = harness.sim.placeCall({ faults: { slowReaderMs: 200 } })
      await harness.settle(call.done)
      assert.equal(results.length, 40)
      assert.deepEqual(results.filter((result) => !isEvent(result)).map((result) => (result as EslError).message), [])
      assert.deepEqual(
        call.executed.map((app) => app.arg.slice(0, 3)),
        Array.from({ length: 40 }, (_, i) => `${i} `.slice(0, 3).padEnd(3, 'x')),
      )
    } finally {
      await harness.close()
    }
  })

  it('back-pressure: a peer that stops reading is cut off once the queue passes its cap: bounded memory, socket closed, other calls unharmed', { timeout: 10_000 }, async () => {
    const CAP = 1024 * 1024
    const FRAME = 200_000
    let queuedAfterWrites = -1
    let stuckResults: Array<EslEvent | EslError> = []
    let healthyResult: EslEvent | EslError | undefined
    const harness = await startHarness(
      async (session) => {
        await ready(session)
        if (session.channel?.variable('role') === 'healthy') {
          healthyResult = await session.execute('playback', 'tone_stream://%(100,0,440)')
          await session.hangup()
          return
        }
        const big = 'x'.repeat(FRAME)
        const pending = Array.from({ length: 100 }, (_, i) => session.execute('set', `v${i}=${big}`))
        // The writes happened synchronously: what the session holds now is all it will ever hold.
        queuedAfterWrites = session.debugState().queuedBytes
        stuckResults = await Promise.all(pending)
      },
      { timeScale: 1, session: { maxPendingWriteBytes: CAP } },
    )
    try {
      // FreeSWITCH stops reading the router's commands for 300 ms, then reads what reached it.
      const stuck = harness.sim.placeCall({ variables: { role: 'stuck' }, faults: { slowReaderMs: 300 } })
      const healthy = harness.sim.placeCall({ variables: { role: 'healthy' } })
      await harness.settle(until(() => harness.sessions.length === 2 && harness.sessions.every((session) => session.channel !== undefined), 5000, 'both sessions connected'))
      const session = harness.sessions.find((candidate) => candidate.channel?.uniqueId === stuck.uuid)
      assert.ok(session, 'the stuck call has a session')
      const end = await harness.settle(session.ended)
      assert.equal(end.reason, 'backpressure')
      // Bounded: the cap plus at most the frame that crossed it, and nothing once closed.
      assert.ok(queuedAfterWrites > 0 && queuedAfterWrites <= CAP + FRAME + 1024, `held ${queuedAfterWrites} bytes`)
      assert.deepEqual(session.debugState(), { replies: 0, executes: 0, listeners: 0, timers: 0, queuedBytes: 0 })
      assert.equal(stuckResults.length, 100)
      assert.deepEqual([...new Set(stuckResults.map((result) => (result instanceof EslError ? result.code : 'event')))], ['backpressure'])
      // The socket closed: FreeSWITCH, reading again, finds the connection gone; fewer than the 100 sets
      // ever reached it, and the socket application returned (the dialplan goes on).
      const stuckOutcome = await harness.settle(stuck.done)
      assert.equal(stuckOutcome.disposition, 'handed-back')
      assert.ok(stuck.received.filter((frame) => frame.command === 'sendmsg').length < 100)
      // The other call did not notice.
      const healthyOutcome = await harness.settle(healthy.done)
      assert.equal(healthyOutcome.disposition, 'hungup')
      assert.ok(healthyResult && !(healthyResult instanceof EslError), 'the healthy call played its tone')
      assert.equal(healthyResult.get('Application-Response'), 'FILE PLAYED')
    } finally {
      await harness.close()
    }
  })

  it('on close the listener stops first; calls in progress are handed back after the drain time', async () => {
    let release!: () => void
    const stuck = new Promise<void>((resolve) => {
      release = resolve
    })
    const harness = await startHarness(async (session) => {
      await ready(session)
      await stuck
    })
    try {
      const active = harness.sim.placeCall()
      await new Promise<void>((resolve) => {
        const check = (): void => (harness.server.activeSessions > 0 && harness.sessions[0]?.isActive ? resolve() : void setImmediate(check))
        check()
      })
      const closing = harness.server.close({ drainMs: 50 })
      const late = harness.sim.placeCall()
      assert.equal((await harness.settle(late.done)).disposition, 'unreachable')
      assert.equal((await harness.settle(active.done)).disposition, 'handed-back')
      // close() also waits for the handler to unwind (its summary, its metrics).
      release()
      await closing
    } finally {
      release()
      await harness.close()
    }
  })

  it(`${loadCalls} concurrent calls leave no session, timer, listener or socket behind`, { timeout: 60_000 }, async () => {
    const sessions: EslSession[] = []
    const harness = await startHarness(async (session) => {
      sessions.push(session)
      await ready(session)
      const variables = await session.setVariables({ continue_on_fail: 'true', hangup_after_bridge: 'true' })
      assert.equal(variables, undefined)
      const bridged = await session.execute('bridge', 'sofia/gateway/default/+31201111111')
      assert.ok(bridged instanceof EslError && bridged.code === 'hangup')
      // A burst of 1,000 connects (TEST_LOAD_CALLS) on a loaded machine: deadlines that measure leaks, not the load.
    }, { session: { connectTimeoutMs: 60_000, replyTimeoutMs: 60_000 } })
    const baseline = process.getActiveResourcesInfo().filter((kind) => kind !== 'Timeout').length
    try {
      const calls = Array.from({ length: loadCalls }, () => harness.sim.placeCall({ bridge: [{ answer: true, talkMs: 20 }] }))
      const outcomes = await harness.settle(Promise.all(calls.map((call) => call.done)))
      const tally = new Map<string, number>()
      for (const outcome of outcomes) {
        const key = `${outcome.disposition}/${outcome.bridged ? 'bridged' : 'not bridged'}`
        tally.set(key, (tally.get(key) ?? 0) + 1)
      }
      assert.deepEqual([...tally], [['hungup/bridged', loadCalls]])
      await harness.settle(Promise.all(sessions.map((session) => session.ended)))
      assert.equal(harness.server.activeSessions, 0)
      for (const session of sessions) {
        assert.deepEqual(session.debugState(), { replies: 0, executes: 0, listeners: 0, timers: 0, queuedBytes: 0 })
      }
    } finally {
      await harness.close()
    }
    const after = process.getActiveResourcesInfo().filter((kind) => kind !== 'Timeout').length
    assert.ok(after <= baseline, `active handles ${after} > ${baseline}: ${process.getActiveResourcesInfo().join(',')}`)
  })
})
