/**
 * Replays one recorded scenario against the simulator: for each outbound
 * connection of the recording (OUT#1, OUT#2 after a transfer back into the
 * socket extension), a controller sends the recorded commands, each once the
 * simulator has sent as many frames on that connection as FreeSWITCH had,
 * and ends the connection the way the recording's controller did. Returns
 * both frame sequences per connection, normalised.
 */
import type { Server, Socket } from 'node:net'
import { Frame, FrameParser } from '../../src/esl/frame-parser.ts'
import { percentDecode } from '../../src/esl/percent-decode.ts'
import type { LingerNotice, ParkDelivery, SimCallOptions } from '../sim/options.ts'
import type { FreeSwitchSimulator } from '../sim/simulator.ts'
import type { VariableValue } from '../sim/variable-store.ts'
import { Normalizer, type NormalFrame } from './conformance.ts'
import { readTranscript, recordedFrames } from './transcripts.ts'

export interface Scenario {
  readonly name: string
  /** What the recording's script did to the call (keys, callee outcomes, hang-ups...). */
  readonly options?: Partial<SimCallOptions>
}

export interface ReplayedConnection {
  readonly connection: string
  readonly recorded: NormalFrame[]
  readonly simulated: NormalFrame[]
}

/** Byte string of a percent-encoded value (the simulator keeps one char per byte). */
function decodeBytes(raw: string): string {
  return Buffer.from(percentDecode(raw), 'utf8').toString('latin1')
}

export function isEventNamed(frame: Frame, name: string): boolean {
  const type = frame.contentType
  if (type === 'text/event-json') return frame.body.includes(`"Event-Name":"${name}"`)
  if (type === 'text/event-plain') return frame.body.subarray(0, 80).toString('latin1').startsWith(`Event-Name: ${name}\n`)
  return false
}

function isReply(frame: Frame): boolean {
  return frame.contentType === 'command/reply' || frame.contentType === 'api/response'
}

/** Outbound connections of a recording, in order of appearance. */
export function recordedConnections(name: string): string[] {
  return [...new Set(readTranscript(name).map((message) => message.connection).filter((connection) => connection.startsWith('OUT#')))]
}

/**
 * When the socket application's CHANNEL_PARK reached this connection: after
 * how many replies following the connect reply (it races with `myevents`),
 * or never. Read from the recording, like the channel's variables.
 */
export function recordedPark(name: string, connection: string): ParkDelivery {
  const frames = recordedFrames(name, connection)
  const park = frames.findIndex((frame) => isEventNamed(frame, 'CHANNEL_PARK'))
  if (park === -1) return 'none'
  // Any event before the PARK on this connection came from another listener's socket app: not this one's park.
  if (frames.slice(0, park).some((frame) => frame.contentType?.startsWith('text/event'))) return 'none'
  return { afterReplies: frames.slice(1, park).filter(isReply).length }
}

/**
 * Where the linger notice landed on the first connection, relative to
 * CHANNEL_HANGUP (it races with the event dispatcher): read from the recording.
 */
export function recordedLingerNotice(name: string): LingerNotice {
  const frames = recordedFrames(name)
  const notice = frames.findIndex((frame) => frame.header('Content-Disposition') === 'linger')
  const hangup = frames.findIndex((frame) => isEventNamed(frame, 'CHANNEL_HANGUP'))
  const complete = frames.findIndex((frame) => isEventNamed(frame, 'CHANNEL_HANGUP_COMPLETE'))
  if (notice === -1 || hangup === -1 || notice > complete) return 'last'
  if (notice === hangup + 1) return 'after-hangup'
  if (notice === hangup - 1) return 'before-hangup'
  const events = frames.slice(notice + 1, hangup).filter((frame) => frame.contentType?.startsWith('text/event'))
  return { overtakes: events.length }
}

/** The recorded connect reply (or, for J7b, the transcript's known setup) as simulator options. */
export function callFromRecording(name: string): SimCallOptions {
  const connections = recordedConnections(name)
  const connect = recordedFrames(name).find((frame) => frame.header('Event-Name') === 'CHANNEL_DATA')
  if (!connect) {
    // No connect reply (J7b, J7c): the channel's UUID is known only from FreeSWITCH's disconnect notice, if any.
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
    parkEvent: connections.map((connection) => recordedPark(name, connection)),
    lingerNotice: recordedLingerNotice(name),
  }
}

interface ConnectionScript {
  /** Each command's bytes and how many frames FreeSWITCH had sent on this connection before it. */
  readonly commands: Array<{ bytes: Buffer; after: number }>
  readonly expected: Frame[]
  /** Close after this many frames (FIN), or wait for FreeSWITCH to close (undefined). */
  readonly closeAfter: number | undefined
  /** FreeSWITCH closed the connection: the controller half-closes politely; otherwise it resets. */
  readonly fsClosed: boolean
}

function scriptFor(name: string, connection: string): ConnectionScript {
  const messages = readTranscript(name).filter((message) => message.connection === connection)
  const counter = new FrameParser({ maxFrameBytes: 1 << 24 })
  let seen = 0
  const commands: Array<{ bytes: Buffer; after: number }> = []
  for (const message of messages) {
    if (message.direction === 'FS->CTRL') {
      const frames = counter.push(message.bytes)
      if (frames instanceof Error) throw frames
      seen += frames.length
    } else {
      commands.push({ bytes: message.bytes, after: seen })
    }
  }
  const expected = recordedFrames(name, connection)
  const last = expected.at(-1)
  const lingerForever = expected.some((frame) => frame.header('Linger-Time') === '-1')
  const fsClosed = last?.header('Content-Disposition') === 'disconnect'
  // How the recording's controller ended: waited for FreeSWITCH, FIN after the linger notice, or a plain close.
  const closeAfter = fsClosed ? (lingerForever ? expected.length - 1 : undefined) : expected.length
  return { commands, expected, closeAfter, fsClosed }
}

export async function replay(sim: FreeSwitchSimulator, server: Server, scenario: Scenario): Promise<ReplayedConnection[]> {
  const connections = recordedConnections(scenario.name)
  const scripts = connections.map((connection) => scriptFor(scenario.name, connection))
  const received: Frame[][] = connections.map(() => [])
  let accepted = 0
  const onConnection = (socket: Socket): void => {
    const index = accepted++
    const script = scripts[index]
    const frames = received[index]
    if (!script || !frames) {
      socket.destroy()
      return
    }
    const parser = new FrameParser({ maxFrameBytes: 1 << 24 })
    let next = 0
    let ended = false
    const sendDue = (): void => {
      while (next < script.commands.length && frames.length >= (script.commands[next]?.after ?? 0)) {
        socket.write(script.commands[next]?.bytes ?? Buffer.alloc(0))
        next++
      }
      if (!ended && next === script.commands.length && script.closeAfter !== undefined && frames.length >= script.closeAfter) {
        ended = true
        if (script.fsClosed) socket.end()
        else socket.destroy()
      }
    }
    socket.on('data', (chunk: Buffer) => {
      const parsed = parser.push(chunk)
      if (parsed instanceof Error) throw parsed
      frames.push(...parsed)
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
  return connections.map((connection, index) => {
    // One normaliser per side, shared by the connections, so a UUID keeps its token across them.
    return { connection, recorded: scripts[index]?.expected ?? [], simulated: received[index] ?? [] }
  }).map(normalise())
}

function normalise(): (replayed: { connection: string; recorded: Frame[]; simulated: Frame[] }) => ReplayedConnection {
  const recordedSide = new Normalizer()
  const simulatedSide = new Normalizer()
  return ({ connection, recorded, simulated }) => ({
    connection,
    recorded: recorded.map((frame) => recordedSide.frame(frame)),
    simulated: simulated.map((frame) => simulatedSide.frame(frame)),
  })
}

/** Empty when equal; otherwise the first differing positions, header by header. */
export function headerDifference(simulated: NormalFrame, recorded: NormalFrame, limit = 12): string {
  const left = simulated.kind === 'event' ? simulated.headers : [...simulated.headers, ['<body>', simulated.body] as [string, string]]
  const right = recorded.kind === 'event' ? recorded.headers : [...recorded.headers, ['<body>', recorded.body] as [string, string]]
  const lines: string[] = []
  for (let i = 0; i < Math.max(left.length, right.length) && lines.length < limit; i++) {
    const [sName, sValue] = left[i] ?? ['-', '']
    const [rName, rValue] = right[i] ?? ['-', '']
    if (sName !== rName || sValue !== rValue) lines.push(`  #${i} sim ${sName}=${JSON.stringify(sValue)}  recorded ${rName}=${JSON.stringify(rValue)}`)
  }
  return lines.join('\n')
}
