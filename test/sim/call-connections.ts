/**
 * The Event Socket side of one call: what its listeners ask of the call (the
 * channel data, the socket application parking the channel, commands queued
 * for the channel thread, API commands) and what they leave on record for
 * tests (every command received, every frame sent, when things happened).
 */
import type { Frame } from '../../src/esl/frame-parser.ts'
import { runApi } from './api.ts'
import type { SimContext } from './call-records.ts'
import type { CallServices } from './call-services.ts'
import { serializePlain, withUndef, type SimChannel } from './channel.ts'
import type { SimClock } from './clock.ts'
import { text } from './fs-strings.ts'
import type { ListenerHost, SimListener } from './listener.ts'
import { parseSendmsg, type QueuedMessage } from './messages.ts'
import type { SimCallOptions } from './options.ts'

/** What the connections need from the call itself. */
export interface CallHooks {
  /** A scripted hang-up may be due (options.hangups). */
  trigger(on: 'connect' | 'command'): void
  /** A command for the channel thread. */
  enqueue(message: QueuedMessage): void
  /** A socket closed: the call may be over. */
  closed(): void
}

export class CallConnections implements ListenerHost {
  /** The Event Socket connections this call opened (a transfer back into the socket extension opens another). */
  readonly listeners: SimListener[] = []
  /** Every command the router sent, in order (command line, headers, body), on every connection. */
  readonly received: Frame[] = []
  /** Every frame sent to the router, byte for byte. */
  readonly sent: Buffer[] = []
  /** `api` and `bgapi` commands the router sent, as sent. */
  readonly apiCommands: string[] = []
  /** When things happened (performance.now()): `tcp`, `connect`, `execute:<app>` (first), for latency figures. */
  readonly marks = new Map<string, number>()
  /** When the router first sent `connect` (performance.now). */
  connectedAt: number | undefined

  constructor(
    private readonly channel: SimChannel,
    private readonly options: SimCallOptions,
    private readonly sim: SimContext,
    private readonly clock: SimClock,
    private readonly services: CallServices,
    private readonly call: CallHooks,
  ) {}

  get uuid(): string {
    return this.channel.uuid
  }

  get channelName(): string {
    return this.channel.name
  }

  get channelUp(): boolean {
    return this.channel.up
  }

  get control(): 'full' | 'single-channel' {
    return this.options.control ?? 'full'
  }

  get faults(): SimCallOptions['faults'] {
    return this.options.faults
  }

  get maxQueuedEvents(): number {
    return this.sim.maxQueuedEvents
  }

  get dropEventsWithoutLinger(): boolean {
    return this.options.dropEventsWithoutLinger ?? false
  }

  get firstCommandTimeoutMs(): number {
    return this.options.firstCommandTimeoutMs ?? 25_000
  }

  schedule(ms: number, action: () => void): void {
    this.clock.schedule(ms, action)
  }

  scheduleReal(ms: number, action: () => void): void {
    this.clock.scheduleReal(ms, action)
  }

  connectReply(control: string): string {
    const headers = this.channel.render('CHANNEL_DATA', {
      post: [
        ['Content-Type', 'command/reply'],
        ['Reply-Text', '+OK\n'],
        ['Socket-Mode', 'async'],
        ['Control', control],
      ],
    })
    return `${serializePlain(withUndef(headers))}\n`
  }

  onConnect(listener: SimListener): void {
    this.connectedAt ??= performance.now()
    if (!this.marks.has('connect')) this.marks.set('connect', this.connectedAt)
    this.call.trigger('connect')
    // The socket application parks the channel: CHANNEL_PARK, which races with `myevents` on this connection.
    const park = withUndef(this.channel.render('CHANNEL_PARK'))
    for (const other of this.listeners) if (other !== listener) other.deliver(park)
    listener.parked(park)
    this.clock.notify()
  }

  onSendmsg(listener: SimListener, frame: Frame): void {
    const message = parseSendmsg(frame)
    if (message.command === 'execute') {
      if (!this.marks.has(`execute:${message.app}`)) this.marks.set(`execute:${message.app}`, performance.now())
      listener.executed(message.app)
    }
    this.call.enqueue(message)
    this.call.trigger('command')
  }

  onApi(line: string, background: boolean): string {
    this.apiCommands.push(text(line))
    if (background) return ''
    const space = line.indexOf(' ')
    return runApi(this.services.api(), space === -1 ? line : line.slice(0, space), space === -1 ? '' : line.slice(space + 1))
  }

  getvar(name: string): string | undefined {
    return this.channel.vars.get(name)
  }

  onResume(): void {
    this.channel.vars.set('socket_resume', 'true')
  }

  onRelease(): void {
    this.clock.notify()
  }

  onClosed(): void {
    this.clock.notify()
    this.call.closed()
  }

  onCommand(frame: Frame): void {
    this.received.push(frame)
  }

  onSent(frame: Buffer): void {
    this.sent.push(frame)
  }
}
