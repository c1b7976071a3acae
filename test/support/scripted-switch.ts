/**
 * A scripted FreeSWITCH for one outbound Event Socket connection: a bare TCP
 * client that answers each command exactly as the test says (refusals,
 * replies nobody asked for, events of another channel, silence), which the
 * simulator, being a faithful switch, never does.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'
import { EslError } from '../../src/errors.ts'
import { FrameParser, type Frame } from '../../src/esl/frame-parser.ts'
import { EslSession, type SessionEnd, type SessionOptions } from '../../src/esl/session.ts'
import { within } from './deadline.ts'
import { captureLogs, type CapturedLogs } from './log-capture.ts'

export const UUID = '6c1ad3c4-86b4-4b4b-9b23-1f5b1c1e0d01'
export const WAIT_MS = 5000

/** The FreeSWITCH side of one outbound connection, driven by the test. */
export class ScriptedSwitch {
  readonly commands: Frame[] = []
  readonly closed: Promise<void>
  private taken = 0
  private readonly parser = new FrameParser({ commandLine: true, maxFrameBytes: 1 << 20 })
  private wake: (() => void) | undefined
  private ended = false
  private finReceived = false

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      const frames = this.parser.push(chunk)
      if (frames instanceof Error) throw frames
      this.commands.push(...frames)
      this.wake?.()
    })
    socket.on('end', () => {
      this.finReceived = true
    })
    socket.on('error', () => {})
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.ended = true
        this.wake?.()
        resolve()
      }),
    )
  }

  /** True once the session half-closed its side (sent FIN). */
  get sawFin(): boolean {
    return this.finReceived
  }

  /** The next command the session sent, in order. */
  async next(what: string): Promise<Frame> {
    const deadline = Date.now() + WAIT_MS
    while (this.commands.length <= this.taken) {
      if (this.ended) throw new Error(`${what}: the session closed the connection first`)
      if (Date.now() > deadline) throw new Error(`${what}: no command within ${WAIT_MS} ms`)
      await within(new Promise<void>((resolve) => (this.wake = resolve)), WAIT_MS, what)
    }
    return this.commands[this.taken++] as Frame
  }

  /** Asserts the next command's line and returns its frame. */
  async expect(commandLine: string): Promise<Frame> {
    const frame = await this.next(`the command ${commandLine}`)
    assert.equal(frame.command, commandLine)
    return frame
  }

  /** Nothing sent beyond what the test has taken. */
  assertNoMoreCommands(): void {
    assert.deepEqual(
      this.commands.slice(this.taken).map((frame) => frame.command),
      [],
    )
  }

  send(text: string): void {
    this.socket.write(text)
  }

  reply(text = '+OK'): void {
    this.send(`Content-Type: command/reply\nReply-Text: ${text}\n\n`)
  }

  apiResponse(body: string): void {
    this.send(`Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`)
  }

  event(fields: Record<string, string>): void {
    const body = JSON.stringify(fields)
    this.send(`Content-Length: ${Buffer.byteLength(body)}\nContent-Type: text/event-json\n\n${body}`)
  }

  disconnectNotice(disposition: string): void {
    const body = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n'
    this.send(`Content-Type: text/disconnect-notice\nController-Type: outbound\nContent-Disposition: ${disposition}\nContent-Length: ${body.length}\n\n${body}`)
  }

  /** Answers connect with the channel data, then myevents and linger (unless told otherwise). */
  async handshake(options: { control?: string; setupReplies?: [string, string] } = {}): Promise<void> {
    await this.expect('connect')
    this.send(
      [
        'Event-Name: CHANNEL_DATA',
        `Unique-ID: ${UUID}`,
        'Channel-Name: sofia/internal/1001%40example.com',
        'Caller-Caller-ID-Name: Jan%20Caller',
        'Caller-Caller-ID-Number: 1001',
        'Caller-Destination-Number: 31201234567',
        'Answer-State: ringing',
        'variable_webhook: crm',
        'Content-Type: command/reply',
        'Reply-Text: +OK',
        'Socket-Mode: async',
        `Control: ${options.control ?? 'full'}`,
        '',
        '',
      ].join('\n'),
    )
    const [events, linger] = options.setupReplies ?? ['+OK Events Enabled', '+OK will linger']
    await this.expect('myevents json')
    this.reply(events)
    await this.expect('linger 5')
    this.reply(linger)
  }

  hangupEvents(cause: string): void {
    this.event({ 'Event-Name': 'CHANNEL_HANGUP', 'Unique-ID': UUID, 'Hangup-Cause': cause })
    this.event({ 'Event-Name': 'CHANNEL_HANGUP_COMPLETE', 'Unique-ID': UUID, 'Hangup-Cause': cause })
  }
}

export interface Pair {
  readonly session: EslSession
  readonly peer: ScriptedSwitch
  readonly logs: CapturedLogs
  /** The router's end of the connection, the socket the session writes to. */
  readonly routerSocket: Socket
  /** Resolves with how the session ended, or fails naming what did not happen. */
  ended(what?: string): Promise<SessionEnd>
  close(): Promise<void>
}

export async function pair(options: Partial<SessionOptions> = {}): Promise<Pair> {
  const logs = captureLogs('debug')
  let accept!: (accepted: { session: EslSession; routerSocket: Socket }) => void
  const accepted = new Promise<{ session: EslSession; routerSocket: Socket }>((resolve) => (accept = resolve))
  const server = createServer((socket) => accept({ session: EslSession.start(socket, { logger: logs.logger, ...options }), routerSocket: socket }))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const client = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port })
  const peer = new ScriptedSwitch(client)
  const { session, routerSocket } = await within(accepted, WAIT_MS, 'the session starting')
  return {
    session,
    routerSocket,
    peer,
    logs,
    ended: (what = 'the session ending') => within(session.ended, WAIT_MS, what),
    async close() {
      client.destroy()
      await within(session.ended, WAIT_MS, 'the session ending at cleanup')
      server.close()
    },
  }
}

/** Runs `body` against a session whose handshake is done, and closes the pair whatever happens. */
export async function withHandshake(options: Partial<SessionOptions>, body: (connected: Pair) => Promise<void>): Promise<void> {
  const connected = await pair(options)
  try {
    await connected.peer.handshake()
    await body(connected)
  } finally {
    await connected.close()
  }
}

/** An api round trip: once it is answered, every reply sent before has been read (FIFO). */
export async function roundTrip(session: EslSession, peer: ScriptedSwitch): Promise<void> {
  const api = session.api('status')
  await peer.expect('api status')
  peer.apiResponse('UP')
  assert.equal(await within(api, WAIT_MS, 'the api round trip'), 'UP')
}

export function errorOf(value: unknown): EslError {
  assert.ok(value instanceof EslError, `expected an EslError, got ${JSON.stringify(value)}`)
  return value
}

