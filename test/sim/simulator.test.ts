/**
 * The simulator is no kinder than the switch: what the recordings and NOTES
 * show FreeSWITCH doing to a controller, driven by a bare controller that
 * writes raw commands (test/support/raw-controller.ts).
 */
import assert from 'node:assert/strict'
import { createServer, type AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import type { Frame } from '../../src/esl/frame-parser.ts'
import { describe as label, eventHeader, eventName, execute, RawControllerServer, type RawConnection } from '../support/raw-controller.ts'
import { FreeSwitchSimulator, type SimCall, type SimulatorOptions } from './simulator.ts'

const CONNECT = 'connect\n\n'
const SUBSCRIBE = 'myevents json\n\nlinger\n\n'
const HANGUP = 'sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING\n\n'

const named =
  (name: string) =>
  (frames: readonly Frame[]): boolean =>
    frames.some((frame) => eventName(frame) === name)
/** A header of the first event of this name. */
const header = (connection: RawConnection, event: string, name: string): string | undefined => {
  const frame = connection.frames.find((candidate) => eventName(candidate) === event)
  return frame ? eventHeader(frame, name) : undefined
}
const labels = (connection: RawConnection): string[] => connection.frames.map(label)

/** The promise's value, or an error naming what did not happen within `ms`. */
async function within<T>(promise: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}

/** A port nothing listens on (a router that is down). */
async function deadPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('the simulator is no kinder than the switch', { timeout: 30_000 }, () => {
  let controller: RawControllerServer

  before(async () => {
    controller = await RawControllerServer.listen()
  })

  after(async () => {
    await controller.close()
  })

  /** A simulator pointed at the bare controller; each test reads its calls' connections in order. */
  function simulator(options: Partial<SimulatorOptions> = {}): FreeSwitchSimulator {
    return new FreeSwitchSimulator({ host: '127.0.0.1', port: controller.port, timeScale: 0.01, ...options })
  }

  /** connect, then subscribe (JSON, bare linger); resolves once both replies arrived. */
  async function take(index: number): Promise<RawConnection> {
    const connection = await controller.connection(index)
    connection.send(CONNECT)
    await connection.until((frames) => frames.length >= 1, 'the connect reply')
    connection.send(SUBSCRIBE)
    await connection.until((frames) => frames.filter((frame) => frame.contentType === 'command/reply').length >= 3, 'the myevents and linger replies')
    return connection
  }

  async function finish(sim: FreeSwitchSimulator, ...calls: SimCall[]): Promise<void> {
    await within(sim.close(), 'the simulator closing')
    for (const call of calls) await within(call.done, 'a call ending')
  }

  it('CHANNEL_PARK reaches a controller that subscribes at once, right after the myevents reply (22 of 31 recorded connections)', async () => {
    const sim = simulator({ races: 'fixed' })
    const first = controller.connections.length
    const call = sim.placeCall()
    const connection = await take(first)
    await connection.until(named('CHANNEL_PARK'), 'CHANNEL_PARK')
    assert.deepEqual(labels(connection).slice(0, 4), ['reply:%2BOK%0A', 'reply:+OK Events Enabled', 'CHANNEL_PARK', 'reply:+OK will linger'])
    assert.equal(header(connection, 'CHANNEL_PARK', 'Unique-ID'), call.uuid)
    await finish(sim, call)
  })

  it('CHANNEL_PARK is racy: by default some calls get it, some do not', async () => {
    const sim = simulator()
    const first = controller.connections.length
    const calls: SimCall[] = []
    const parked: boolean[] = []
    // One call at a time, so that connection i is call i.
    for (let i = 0; i < 3; i++) {
      calls.push(sim.placeCall())
      const connection = await take(first + i)
      connection.send(HANGUP)
      await connection.until(named('CHANNEL_HANGUP_COMPLETE'), `call ${i}: CHANNEL_HANGUP_COMPLETE`)
      parked.push(connection.frames.some((frame) => eventName(frame) === 'CHANNEL_PARK'))
    }
    assert.deepEqual(parked, [true, true, false])
    await finish(sim, ...calls)
  })

  it('the linger notice does not always come last: after CHANNEL_HANGUP_COMPLETE, right after or right before CHANNEL_HANGUP, call by call', async () => {
    const sim = simulator()
    const first = controller.connections.length
    const calls: SimCall[] = []
    const orders: string[] = []
    for (let i = 0; i < 4; i++) {
      calls.push(sim.placeCall())
      const connection = await take(first + i)
      connection.send(HANGUP)
      await connection.until((frames) => named('CHANNEL_HANGUP_COMPLETE')(frames) && frames.some((frame) => frame.header('Content-Disposition') === 'linger'), `call ${i}: the hang-up and the linger notice`)
      const sequence = labels(connection).filter((item) => item.startsWith('CHANNEL_HANGUP') || item === 'notice:linger')
      orders.push(sequence.join(' '))
      connection.socket.end()
    }
    assert.deepEqual(orders, [
      'CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE notice:linger',
      'CHANNEL_HANGUP notice:linger CHANNEL_HANGUP_COMPLETE',
      'CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE notice:linger',
      'notice:linger CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE',
    ])
    await finish(sim, ...calls)
  })

  it('bridges to what the switch does not know fail as FreeSWITCH fails them, before any channel exists', async () => {
    const sim = simulator({ gateways: { carrier: 'up', broken: 'down' }, users: { '1002@example.com': 'unregistered', '1000@example.com': 'registered' } })
    const first = controller.connections.length
    const call = sim.placeCall()
    const connection = await take(first)
    const targets: Array<[string, string]> = [
      ['sofia/gateway/nope/31201234567', 'INVALID_GATEWAY'],
      ['sofia/gateway/broken/31201234567', 'GATEWAY_DOWN'],
      ['sofia/nowhere/31201234567@192.0.2.9', 'INVALID_PROFILE'],
      ['user/1099@example.com', 'SUBSCRIBER_ABSENT'],
      ['user/1002@example.com', 'USER_NOT_REGISTERED'],
      ['sofia/internal/1003', 'USER_NOT_REGISTERED'],
    ]
    connection.send(execute('set', 'continue_on_fail=true', 'cof'))
    for (const [target] of targets) connection.send(execute('bridge', target, target))
    await connection.until((frames) => frames.filter((frame) => eventName(frame) === 'CHANNEL_EXECUTE_COMPLETE').length === targets.length + 1, 'every bridge completing')
    const completes = connection.frames.filter((frame) => eventName(frame) === 'CHANNEL_EXECUTE_COMPLETE' && eventHeader(frame, 'Application') === 'bridge')
    assert.deepEqual(
      completes.map((frame) => [eventHeader(frame, 'Application-Data'), eventHeader(frame, 'variable_originate_disposition')]),
      targets,
    )
    assert.deepEqual(
      call.bridges.map((bridge) => bridge.outcome),
      targets.map(([, cause]) => cause),
    )
    // No channel was created: nothing rang, no leg is listed as originated.
    assert.equal(call.variable('originated_legs'), undefined)
    assert.equal(call.channel.up, true)
    connection.send(HANGUP)
    await finish(sim, call)
  })

  it('without continue_on_fail a bridge to an unknown gateway hangs the caller up with INVALID_GATEWAY', async () => {
    const sim = simulator()
    const first = controller.connections.length
    const call = sim.placeCall()
    const connection = await take(first)
    connection.send(execute('bridge', 'sofia/gateway/nope/31201234567'))
    await connection.until(named('CHANNEL_HANGUP_COMPLETE'), 'the hang-up')
    // Lingering without end: FreeSWITCH keeps the socket until the controller closes it.
    connection.socket.end()
    const result = await within(call.done, 'the call ending')
    assert.equal(result.hangupCause, 'INVALID_GATEWAY')
    assert.equal(header(connection, 'CHANNEL_HANGUP', 'Hangup-Cause'), 'INVALID_GATEWAY')
  })

  it('every leg of a dial string is dialled: `,` legs ring together, `|` groups one after another, each with its own variables', async () => {
    const sim = simulator({ users: { '1000@example.com': 'registered' } })
    const first = controller.connections.length
    const call = sim.placeCall({ bridge: [{ fail: 'USER_BUSY' }, { fail: 'NO_ANSWER', afterMs: 100 }, { answer: true, talkMs: 50 }] })
    const connection = await take(first)
    connection.send(execute('set', 'continue_on_fail=true', 'cof'))
    connection.send(execute('bridge', '{origination_caller_id_name=Desk}[leg_timeout=5]sofia/gateway/default/111,sofia/gateway/nope/222,sofia/gateway/default/333|user/1000@example.com'))
    await connection.until(named('CHANNEL_BRIDGE'), 'the bridge to the last leg')
    const legs = call.bridges[0]?.legs ?? []
    assert.deepEqual(
      legs.map((leg) => [leg.endpoint, leg.outcome, leg.callee.callerIdName, leg.variables.get('leg_timeout')]),
      [
        ['sofia/gateway/default/111', 'USER_BUSY', 'Desk', '5'],
        ['sofia/gateway/nope/222', 'INVALID_GATEWAY', 'Desk', undefined],
        ['sofia/gateway/default/333', 'NO_ANSWER', 'Desk', undefined],
        ['user/1000@example.com', 'answered', 'Desk', undefined],
      ],
    )
    assert.equal(header(connection, 'CHANNEL_BRIDGE', 'Other-Leg-Channel-Name'), 'sofia/internal/1000@example.com')
    // Both legs that made a channel in the first group, then the winner, are on record.
    assert.equal((call.channel.vars.list().find(([name]) => name === 'originated_legs')?.[1] ?? []).length, 3)
    connection.send(HANGUP)
    await finish(sim, call)
  })

  it('legs ringing together: the first to answer wins, the others lose the race', async () => {
    const sim = simulator()
    const first = controller.connections.length
    const call = sim.placeCall({ bridge: [{ answer: true, talkMs: 50 }, { answer: true, talkMs: 50 }] })
    const connection = await take(first)
    connection.send(execute('bridge', 'sofia/gateway/default/111,sofia/gateway/default/222'))
    await connection.until(named('CHANNEL_UNBRIDGE'), 'the end of the bridge')
    assert.deepEqual(
      call.bridges[0]?.legs.map((leg) => leg.outcome),
      ['answered', 'LOSE_RACE'],
    )
    connection.send(HANGUP)
    await finish(sim, call)
  })

  it("the socket application's host1|host2 failover: tried in order at connect time", async () => {
    const sim = simulator()
    const dead = await deadPort()
    const first = controller.connections.length
    const call = sim.placeCall({ socketTargets: [`127.0.0.1:${dead}`, `127.0.0.1:${controller.port}`] })
    const connection = await take(first)
    assert.deepEqual(call.socketAttempts, [
      { target: `127.0.0.1:${dead}`, accepted: false },
      { target: `127.0.0.1:${controller.port}`, accepted: true },
    ])
    // The socket argument shows both hosts, as the dialplan wrote them.
    assert.equal(call.variable('current_application_data'), `127.0.0.1:${dead}|127.0.0.1:${controller.port} async full`)
    connection.send(HANGUP)
    await finish(sim, call)
  })

  it('when no host answers, the socket application returns and the dialplan goes on', async () => {
    const sim = simulator()
    const [one, two] = [await deadPort(), await deadPort()]
    const call = sim.placeCall({ socketTargets: [`127.0.0.1:${one}`, `127.0.0.1:${two}`], afterSocket: [['playback', 'ivr/ivr-call_cannot_be_completed.wav']] })
    const result = await within(call.done, 'the call ending')
    assert.equal(result.disposition, 'unreachable')
    assert.deepEqual(
      call.socketAttempts.map((attempt) => attempt.accepted),
      [false, false],
    )
    assert.deepEqual(call.dialplanApps, [['playback', 'ivr/ivr-call_cannot_be_completed.wav']])
    // The dialplan ran out: FreeSWITCH hung up.
    assert.equal(result.hangupCause, 'NORMAL_CLEARING')
  })

  it('a controller that stops reading is cut off once 500 events are lost; its memory stays bounded and other calls go on', async () => {
    const sim = simulator({ races: 'fixed', maxQueuedEvents: 50 })
    const first = controller.connections.length
    const stuck = sim.placeCall({ afterSocket: [['playback', 'tone_stream://%(100,0,440)']] })
    const connection = await take(first)
    const healthy = sim.placeCall()
    const other = await take(first + 1)
    // Every event of this channel carries a 150 KB variable: 900 of them are far more than any socket buffer holds.
    connection.send(execute('set', `big=${'x'.repeat(150_000)}`, 'big'))
    await connection.until((frames) => frames.some((frame) => eventName(frame) === 'CHANNEL_EXECUTE_COMPLETE'), 'the big variable set')
    connection.stopReading()
    connection.send(Array.from({ length: 450 }, (_, i) => execute('log', `INFO line ${i}`, `log-${i}`)).join(''))
    // Cut off while the call was up: the socket application returned, the dialplan went on and ran out.
    const result = await within(stuck.done, 'the listener cut off and the call ending', 15_000)
    assert.equal(result.disposition, 'handed-back')
    const listener = stuck.listeners[0]
    assert.ok(listener)
    assert.ok(listener.lostEventsTotal > 500, `${listener.lostEventsTotal} events lost`)
    assert.ok(listener.peakQueuedEvents <= 50, `held ${listener.peakQueuedEvents} events`)
    assert.equal(listener.queuedFrames, 0)
    // The controller, reading again, finds the socket closed without a disconnect notice (kill_listener).
    connection.resumeReading()
    await connection.untilClosed('the socket closed')
    assert.ok(!labels(connection).includes('notice:disconnect'))
    assert.deepEqual(stuck.dialplanApps, [['playback', 'tone_stream://%(100,0,440)']])
    // The call next to it did not notice.
    other.send(execute('answer'))
    await other.until(named('CHANNEL_ANSWER'), 'the other call answered')
    other.send(HANGUP)
    await other.until(named('CHANNEL_HANGUP_COMPLETE'), 'the other call hung up')
    other.socket.end()
    assert.equal((await within(healthy.done, 'the other call ending')).hangupCause, 'NORMAL_CLEARING')
    await finish(sim, stuck, healthy)
  })

  it('exit stops the events: +OK bye, the disconnect notice, close; events queued meanwhile are dropped', async () => {
    const sim = simulator({ races: 'fixed' })
    const first = controller.connections.length
    const call = sim.placeCall()
    const connection = await take(first)
    const before = connection.frames.length
    // The hang-up's events are fired as uuid_kill returns; exit is read before the listener writes them.
    connection.send(`api uuid_kill ${call.uuid}\n\nexit\n\n`)
    await connection.untilClosed('the socket closed after exit')
    assert.deepEqual(labels(connection).slice(before), ['api:+OK', 'reply:+OK bye', 'notice:disconnect'])
    assert.equal((await within(call.done, 'the call ending')).hangupCause, 'NORMAL_CLEARING')
  })

  it('a SIP call sends CHANNEL_PROGRESS_MEDIA before CHANNEL_ANSWER, and has no codec until media is negotiated (10, J5)', async () => {
    const sim = simulator({ races: 'fixed' })
    const first = controller.connections.length
    const call = sim.placeCall()
    const connection = await take(first)
    assert.equal(connection.frames[0]?.header('Channel-Read-Codec-Name'), undefined)
    connection.send(execute('answer'))
    await connection.until(named('CHANNEL_EXECUTE_COMPLETE'), 'the answer completing')
    assert.deepEqual(labels(connection).slice(5), ['CHANNEL_EXECUTE', 'CHANNEL_PROGRESS_MEDIA', 'CHANNEL_ANSWER', 'CHANNEL_EXECUTE_COMPLETE'])
    assert.equal(header(connection, 'CHANNEL_PROGRESS_MEDIA', 'Channel-Read-Codec-Name'), 'PCMU')
    assert.equal(header(connection, 'CHANNEL_PROGRESS_MEDIA', 'variable_endpoint_disposition'), 'EARLY MEDIA')
    connection.send(HANGUP)
    await finish(sim, call)
  })

  it('hook variables run later, with no command from the controller, and are recorded: on the channel, exported, in {} and []', async () => {
    const sim = simulator({ races: 'fixed' })
    const first = controller.connections.length
    const call = sim.placeCall({ bridge: [{ answer: true, talkMs: 50 }] })
    const connection = await take(first)
    connection.send(execute('answer'))
    connection.send(execute('set', 'api_hangup_hook=hash insert/t/hangup/ran', 'hook'))
    connection.send(`api uuid_setvar_multi ${call.uuid} api_reporting_hook=hash insert/t/report/ran;innocent=1\n\n`)
    connection.send(execute('export', 'execute_on_answer=log INFO exported', 'export'))
    connection.send(execute('bridge', '{api_on_answer=hash insert/t/answer/ran}[execute_on_answer_2=log INFO leg]sofia/gateway/default/111'))
    await connection.until(named('CHANNEL_UNBRIDGE'), 'the bridge ending')
    connection.send(HANGUP)
    await connection.until(named('CHANNEL_HANGUP_COMPLETE'), 'the hang-up reported')
    await finish(sim, call)
    assert.deepEqual(
      call.hookRuns.map((run) => [run.leg, run.moment, run.kind, run.variable, run.command]),
      [
        ['callee', 'answer', 'app', 'execute_on_answer', 'log INFO exported'],
        ['callee', 'answer', 'api', 'api_on_answer', 'hash insert/t/answer/ran'],
        ['callee', 'answer', 'app', 'execute_on_answer_2', 'log INFO leg'],
        ['caller', 'hangup', 'api', 'api_hangup_hook', 'hash insert/t/hangup/ran'],
        ['caller', 'reporting', 'api', 'api_reporting_hook', 'hash insert/t/report/ran'],
      ],
    )
    // The API hooks ran: mod_hash has their entries.
    assert.deepEqual(
      ['hangup', 'report', 'answer'].map((key) => sim.hash('t', key)),
      ['ran', 'ran', 'ran'],
    )
  })

  it('expansion is recursive: a value stored inertly runs its API wherever an argument references it (K3)', async () => {
    const sim = simulator({ races: 'fixed' })
    const first = controller.connections.length
    const call = sim.placeCall({ callerIdName: '${system id}' })
    const connection = await take(first)
    connection.send(`api uuid_setvar ${call.uuid} stored \${expr 6*7}\n\n`)
    connection.send(execute('set', 'copy=${stored}', 'copy'))
    connection.send(execute('log', 'INFO caller=${caller_id_name}', 'log'))
    await connection.until((frames) => frames.filter((frame) => eventName(frame) === 'CHANNEL_EXECUTE_COMPLETE').length === 2, 'set and log completing')
    assert.equal(call.variable('stored'), '${expr 6*7}')
    assert.equal(call.variable('copy'), '42')
    assert.deepEqual(call.apiExpansions, ['expr 6*7', 'system id'])
    connection.send(HANGUP)
    await finish(sim, call)
  })
})
