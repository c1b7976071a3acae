/**
 * Replays each recorded scenario against the simulator: a controller sends
 * the recorded commands, each once the simulator has sent as many frames as
 * FreeSWITCH had at that point, and the frames the simulator sends must match
 * the recording (header names, order and values; see support/conformance.ts).
 */
import assert from 'node:assert/strict'
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { Frame, FrameParser } from '../../src/esl/frame-parser.ts'
import { percentDecode } from '../../src/esl/percent-decode.ts'
import { describe as describeFrame, Normalizer, type NormalFrame } from '../support/conformance.ts'
import { readTranscript, recordedFrames } from '../support/transcripts.ts'
import type { SimCallOptions } from './options.ts'
import { FreeSwitchSimulator } from './simulator.ts'
import type { VariableValue } from './variable-store.ts'

interface Scenario {
  readonly name: string
  readonly options?: Partial<SimCallOptions>
}

const PIN_HANGUP = { hangups: [{ on: 'execute' as const, app: 'play_and_get_digits', afterMs: 1000 }] }

const SCENARIOS: Scenario[] = [
  { name: '01a-answer-playback-hangup-linger' },
  { name: '01b-answer-playback-hangup-linger2' },
  { name: '01c-answer-playback-hangup-nolinger' },
  { name: '02a-pagd-dtmf-uuid_send_dtmf', options: { dtmf: ['1234#'] } },
  { name: '02c-pagd-too-few-digits', options: { dtmf: ['12#'] } },
  { name: '03-pagd-timeout', options: { dtmf: [{ timeout: true }] } },
  { name: '04a-bridge-loopback-1000-callerid-privacy', options: { bridge: [{ answer: true, talkMs: 3000 }] } },
  { name: '05a-bridge-fail-default-no-continue_on_fail', options: { bridge: [{ fail: 'NO_ROUTE_DESTINATION' }] } },
  {
    name: '05b-bridge-fail-continue_on_fail-true',
    options: {
      bridge: [{ fail: 'NO_ROUTE_DESTINATION' }, { fail: 'USER_BUSY' }, { fail: 'NO_ANSWER' }, { fail: 'ALLOTTED_TIMEOUT', afterMs: 2000 }, { fail: 'NO_ANSWER', afterMs: 2000 }],
    },
  },
  { name: '05c-bridge-fail-default-no-answer-continues', options: { bridge: [{ fail: 'NO_ANSWER' }] } },
  { name: '06a-caller-hangup-during-pagd-linger', options: PIN_HANGUP },
  { name: '06b-controlled-leg-killed-during-pagd-linger', options: { ...PIN_HANGUP, lingerNotice: 'after-hangup' } },
  { name: '06c-caller-hangup-during-pagd-nolinger', options: PIN_HANGUP },
  { name: '06d-caller-hangup-nolinger-repeat3', options: { ...PIN_HANGUP, dropEventsWithoutLinger: true } },
  { name: '07a-controller-closes-socket' },
  { name: '07b-controller-closes-socket-during-playback' },
  {
    name: '08a-transfer-app',
    options: {
      dialplan: {
        '4000': [
          ['set', 'rig_transfer_target=4000'],
          ['answer', ''],
          ['playback', 'tone_stream://%(300,0,660)'],
          ['hangup', 'NORMAL_CLEARING'],
        ],
      },
    },
  },
  { name: '09a-back-to-back-sendmsg-event-lock' },
  { name: '09d-back-to-back-sendmsg-lock-one-write' },
  { name: 'J1-json-pagd-exit-while-up', options: { dtmf: ['1234#'] } },
  { name: 'J2-json-linger-caller-hangup-during-pagd', options: PIN_HANGUP },
  { name: 'J3a-variable-forms-json', options: { bridge: [{ answer: true, talkMs: 3000 }] } },
  { name: 'J3b-variable-forms-plain', options: { bridge: [{ answer: true, talkMs: 3000 }] } },
  { name: 'J4-bridge-dialstring-vars-privacy', options: { bridge: [{ answer: true, talkMs: 3000 }] } },
  { name: 'J4b-bridge-hangup_after_bridge-on-caller', options: { bridge: [{ answer: true, talkMs: 3000 }] } },
  { name: 'J4c-bridge-fail-continue_on_fail-in-dialstring', options: { bridge: [{ fail: 'NO_ROUTE_DESTINATION' }] } },
  { name: 'J6-bridge-no-answer-originate_timeout-2', options: { bridge: [{ fail: 'NO_ANSWER' }] } },
  { name: 'J7a-connect-after-3s-delay' },
  { name: 'J7b-no-command-for-30s', options: { firstCommandTimeoutMs: 250 } },
]

/** Byte string of a percent-encoded value (the simulator keeps one char per byte). */
function decodeBytes(raw: string): string {
  return Buffer.from(percentDecode(raw), 'utf8').toString('latin1')
}

/** The recorded connect reply (or, for J7b, the transcript's known setup) as simulator options. */
function callFromRecording(name: string): SimCallOptions {
  const connect = recordedFrames(name).find((frame) => frame.header('Event-Name') === 'CHANNEL_DATA')
  if (!connect) {
    // No connect reply (J7b): the channel's UUID is known only from FreeSWITCH's disconnect notice.
    const notice = readTranscript(name).find((message) => message.connection === 'OUT#1' && message.direction === 'FS->CTRL')
    return { uuid: /Controlled-Session-UUID: (\S+)/.exec(notice?.bytes.toString('latin1') ?? '')?.[1] ?? '' }
  }
  const headers = connect.headers
  const start = headers.findIndex(([header]) => header === 'Channel-Direction')
  const end = headers.findIndex(([header]) => header === 'Channel-State')
  const profile = headers.slice(start, end).map(([header, value]): [string, string] => [header.slice('Channel-'.length), decodeBytes(value)])
  const variables = headers
    .filter(([header]) => header.startsWith('variable_'))
    .map(([header, value]): [string, VariableValue] => {
      const decoded = decodeBytes(value)
      return [header.slice('variable_'.length), decoded.startsWith('ARRAY::') ? decoded.slice(7).split('|:') : decoded]
    })
  const get = (header: string): string => decodeBytes(connect.header(header) ?? '')
  return {
    uuid: get('Unique-ID'),
    channelName: get('Channel-Name'),
    profile,
    variables,
    socketArgument: get('variable_current_application_data'),
  }
}

interface Replayed {
  readonly recorded: NormalFrame[]
  readonly simulated: NormalFrame[]
}

function isParkFrame(frame: Frame): boolean {
  const type = frame.contentType
  if (type === 'text/event-json') return frame.body.includes('"Event-Name":"CHANNEL_PARK"')
  if (type === 'text/event-plain') return frame.body.subarray(0, 40).toString('latin1').startsWith('Event-Name: CHANNEL_PARK\n')
  return false
}

async function replay(sim: FreeSwitchSimulator, server: Server, scenario: Scenario): Promise<Replayed> {
  const messages = readTranscript(scenario.name).filter((message) => message.connection === 'OUT#1')
  // For each recorded command: how many frames FreeSWITCH had sent before it.
  const counter = new FrameParser({ maxFrameBytes: 1 << 24 })
  let seen = 0
  const commands: Array<{ bytes: Buffer; after: number }> = []
  for (const message of messages) {
    if (message.direction === 'FS->CTRL') {
      const frames = counter.push(message.bytes)
      if (frames instanceof Error) throw frames
      seen += frames.filter((frame) => !isParkFrame(frame)).length
    } else {
      commands.push({ bytes: message.bytes, after: seen })
    }
  }
  // CHANNEL_PARK reaches the controller or not, depending on a race: left out on both sides.
  const expected = recordedFrames(scenario.name).filter((frame) => !isParkFrame(frame))
  const last = expected.at(-1)
  const lingerForever = expected.some((frame) => frame.header('Linger-Time') === '-1')
  const fsClosed = last?.header('Content-Disposition') === 'disconnect'
  // How the recording's controller ended: waited for FreeSWITCH, FIN after the linger notice, or a plain close.
  const closeAfter = fsClosed ? (lingerForever ? expected.length - 1 : undefined) : expected.length

  const received: Frame[] = []
  const onConnection = (socket: Socket): void => {
    const parser = new FrameParser({ maxFrameBytes: 1 << 24 })
    let next = 0
    let ended = false
    const sendDue = (): void => {
      while (next < commands.length && received.length >= (commands[next]?.after ?? 0)) {
        socket.write(commands[next]?.bytes ?? Buffer.alloc(0))
        next++
      }
      if (!ended && next === commands.length && closeAfter !== undefined && received.length >= closeAfter) {
        ended = true
        if (fsClosed) socket.end()
        else socket.destroy()
      }
    }
    socket.on('data', (chunk: Buffer) => {
      const frames = parser.push(chunk)
      if (frames instanceof Error) throw frames
      received.push(...frames.filter((frame) => !isParkFrame(frame)))
      sendDue()
    })
    socket.on('error', () => {})
    sendDue()
  }
  server.removeAllListeners('connection')
  server.on('connection', onConnection)
  const call = sim.placeCall({ ...callFromRecording(scenario.name), ...scenario.options })
  let timer: NodeJS.Timeout | undefined
  const outcome = await Promise.race([
    call.done,
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), 3_000)
    }),
  ])
  clearTimeout(timer)
  if (outcome === 'timeout') call.abort()
  const recordedSide = new Normalizer()
  const simulatedSide = new Normalizer()
  return {
    recorded: expected.map((frame) => recordedSide.frame(frame)),
    simulated: received.map((frame) => simulatedSide.frame(frame)),
  }
}

/** Empty when equal; otherwise the first differing positions, header by header. */
function headerDifference(simulated: NormalFrame, recorded: NormalFrame): string {
  const left = simulated.kind === 'event' ? simulated.headers : [...simulated.headers, ['<body>', simulated.body] as [string, string]]
  const right = recorded.kind === 'event' ? recorded.headers : [...recorded.headers, ['<body>', recorded.body] as [string, string]]
  const lines: string[] = []
  for (let i = 0; i < Math.max(left.length, right.length) && lines.length < 12; i++) {
    const [sName, sValue] = left[i] ?? ['-', '']
    const [rName, rValue] = right[i] ?? ['-', '']
    if (sName !== rName || sValue !== rValue) lines.push(`  #${i} sim ${sName}=${JSON.stringify(sValue)}  recorded ${rName}=${JSON.stringify(rValue)}`)
  }
  return lines.join('\n')
}

describe('simulator conformance with the recorded FreeSWITCH transcripts', () => {
  let server: Server
  let sim: FreeSwitchSimulator

  before(async () => {
    server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    sim = new FreeSwitchSimulator({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, timeScale: 0.01 })
  })

  after(async () => {
    await sim.close()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: the simulator sends the recorded frames`, async () => {
      const { recorded, simulated } = await replay(sim, server, scenario)
      assert.deepEqual(simulated.map(describeFrame), recorded.map(describeFrame), 'frame sequence')
      for (let i = 0; i < recorded.length; i++) {
        const difference = headerDifference(simulated[i] as NormalFrame, recorded[i] as NormalFrame)
        assert.equal(difference, '', `frame ${i} ${describeFrame(recorded[i] as NormalFrame)} differs:\n${difference}`)
      }
    })
  }
})
