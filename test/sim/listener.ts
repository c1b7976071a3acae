/**
 * One outbound Event Socket connection, as mod_event_socket's listener runs
 * it: FreeSWITCH connects and sends nothing first; `connect` gets the channel
 * data; commands are answered strictly in order; subscribed events are
 * queued and written as the socket accepts them; linger and disconnect
 * notices; `exit`. A call can have several (a transfer back into the socket
 * extension opens a second one while the first still listens).
 */
import { randomUUID } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import { Frame, FrameParser } from '../../src/esl/frame-parser.ts'
import { serializeJson, serializePlain, type EventHeaders } from './channel.ts'
import { bytes } from './fs-strings.ts'
import type { LingerNotice, ParkDelivery, SimFaults } from './options.ts'
import { Outbox } from './outbox.ts'

const DISCONNECT_BODY = bytes('Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n')
/** mod_event_socket drops a listener once more than this many events could not be queued (MAX_MISSED). */
export const MAX_MISSED_EVENTS = 500

/** What the listener needs from the call it serves. */
export interface ListenerHost {
  readonly uuid: string
  readonly channelName: string
  readonly channelUp: boolean
  readonly control: 'full' | 'single-channel'
  readonly faults: SimFaults | undefined
  /** Events this listener's queue holds before it starts losing them (MAX_QUEUE_LEN). */
  readonly maxQueuedEvents: number
  /** Without linger, events still queued when the channel goes down are lost (06d-repeat3). */
  readonly dropEventsWithoutLinger: boolean
  /** Runs `action` after simulated ms (cleared when the call ends). */
  schedule(ms: number, action: () => void): void
  /** Real ms FreeSWITCH waits for `connect` (25 s; not scaled). */
  readonly firstCommandTimeoutMs: number
  /** Runs `action` after real ms (cleared when the call ends). */
  scheduleReal(ms: number, action: () => void): void
  connectReply(control: string): string
  onConnect(listener: SimListener): void
  onSendmsg(listener: SimListener, frame: Frame): void
  /** An `api` (run, output returned) or `bgapi` (recorded only) command line. */
  onApi(line: string, background: boolean): string
  getvar(name: string): string | undefined
  onResume(): void
  /** The controller let go of the call: `exit`, its side closed, or FreeSWITCH cut it off. */
  onRelease(listener: SimListener, how: 'exit' | 'closed' | 'cut-off'): void
  onClosed(listener: SimListener): void
  onCommand(frame: Frame): void
  onSent(frame: Buffer): void
}

export class SimListener {
  private socket: Socket | undefined
  private readonly parser = new FrameParser({ commandLine: true, maxFrameBytes: 16 * 1024 * 1024 })
  tcpConnected = false
  connected = false
  eventsOn = false
  format: 'plain' | 'json' = 'plain'
  /** undefined: no linger; -1: linger until the controller closes; N: seconds. */
  linger: number | undefined
  released = false
  socketClosed = false
  private closing = false
  private readonly outbox: Outbox
  /** Events lost because the queue was full (a controller that stopped reading). */
  lostEventsTotal = 0
  private lostEvents = 0
  private repliesAfterConnect = 0
  private lingerNoticeSent = false
  /** The socket application's CHANNEL_PARK, waiting for its turn (it races with myevents). */
  private pendingPark: { headers: EventHeaders; afterReplies: number } | undefined
  /** Events held back so the linger notice can overtake them ({ overtakes: n }). */
  private readonly held: string[] = []
  private readonly opened: Promise<boolean>
  private resolveOpened!: (connected: boolean) => void

  constructor(
    private readonly host: ListenerHost,
    private readonly park: ParkDelivery,
    private readonly lingerNotice: LingerNotice,
  ) {
    this.outbox = new Outbox(host.faults, (frame) => host.onSent(frame))
    this.opened = new Promise((resolve) => {
      this.resolveOpened = resolve
    })
  }

  /** Connects like the socket application; resolves false when the address refuses. */
  open(address: string, port: number): Promise<boolean> {
    const socket = connect({ host: address, port, allowHalfOpen: true, noDelay: true })
    this.socket = socket
    this.outbox.attach(socket)
    socket.on('connect', () => {
      this.tcpConnected = true
      this.resolveOpened(true)
      // mod_event_socket's 25 s first-command timeout: "Socket Error!", a disconnect notice, close.
      this.host.scheduleReal(this.host.firstCommandTimeoutMs, () => this.firstCommandTimeout())
    })
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('end', () => this.onPeerEnd())
    socket.on('error', () => {})
    socket.on('close', () => this.onSocketClose())
    return this.opened
  }

  /** `connect` never came within the first-command timeout: "Socket Error!", then the channel stays parked. */
  private firstCommandTimeout(): void {
    if (this.connected || this.closing) return
    this.sendDisconnect()
    this.close()
  }

  // ---- input ----

  private onData(chunk: Buffer): void {
    const frames = this.parser.push(chunk)
    if (frames instanceof Error) {
      this.close()
      return
    }
    for (const frame of frames) {
      this.host.onCommand(frame)
      this.onCommand(frame)
      this.outbox.armStall()
    }
  }

  private onCommand(frame: Frame): void {
    const command = (frame.command ?? '').trim()
    const lower = command.toLowerCase()
    if (this.closing) return
    if (!this.connected) {
      // FreeSWITCH reads a first packet that is not `connect` without replying to it.
      if (lower.startsWith('connect')) this.onConnect()
      return
    }
    if (lower.startsWith('exit') || lower.startsWith('...')) {
      // Linger is ignored; events still queued are dropped: `+OK bye`, the disconnect notice, close (J1).
      this.dropQueuedEvents()
      this.reply('+OK bye')
      this.sendDisconnect()
      this.release('exit')
      this.close()
      return
    }
    if (lower.startsWith('resume')) {
      this.host.onResume()
      this.reply('+OK')
    } else if (lower.startsWith('myevents')) {
      if (this.eventsOn) {
        this.reply('-ERR aready enabled.')
        return
      }
      this.eventsOn = true
      this.format = /json/i.test(command) ? 'json' : 'plain'
      this.reply('+OK Events Enabled')
    } else if (lower.startsWith('getvar')) {
      const value = this.host.getvar(command.slice(6).trim()) ?? ''
      this.reply(value === '' ? '-ERR command not found' : value)
    } else if (lower.startsWith('sendmsg')) {
      this.host.onSendmsg(this, frame)
      this.reply('+OK')
    } else if (this.host.control !== 'full') {
      this.reply('-ERR command not found')
    } else if (lower.startsWith('api ')) {
      const output = this.host.onApi(command.slice(4), false)
      const body = output === '' ? '-ERR no reply\n' : output
      this.queueFrame(`Content-Type: api/response\nContent-Length: ${body.length}\n\n${body}`)
      this.countReply()
    } else if (lower.startsWith('bgapi ')) {
      const job = frame.header('Job-UUID') ?? randomUUID()
      this.host.onApi(command.slice(6), true)
      this.queueFrame(`Content-Type: command/reply\nReply-Text: +OK Job-UUID: ${job}\nJob-UUID: ${job}\n\n`)
      this.countReply()
    } else if (lower.startsWith('nolinger')) {
      this.linger = undefined
      this.reply('+OK will not linger')
    } else if (lower.startsWith('linger')) {
      const seconds = Number.parseInt(command.slice(6).trim(), 10)
      this.linger = Number.isFinite(seconds) ? seconds : -1
      this.reply(this.linger === -1 ? '+OK will linger' : `+OK will linger ${this.linger} seconds`)
    } else if (lower.startsWith('event')) {
      this.eventsOn = true
      if (/\bjson\b/i.test(command)) this.format = 'json'
      this.reply(`+OK event listener enabled ${this.format}`)
    } else if (lower.startsWith('noevents')) {
      this.eventsOn = false
      this.reply('+OK no longer listening for events')
    } else {
      this.reply('-ERR command not found')
    }
  }

  private onConnect(): void {
    this.connected = true
    this.queueFrame(this.host.connectReply(this.host.control))
    this.host.onConnect(this)
    const slowReader = this.host.faults?.slowReaderMs
    if (slowReader && this.socket) {
      const socket = this.socket
      socket.pause()
      this.host.schedule(slowReader, () => socket.resume())
    }
  }

  // ---- output ----

  private reply(replyText: string): void {
    this.queueFrame(`Content-Type: command/reply\nReply-Text: ${replyText}\n\n`)
    this.countReply()
  }

  /** A reply went out after the connect reply: the socket app's CHANNEL_PARK may be due now. */
  private countReply(): void {
    this.repliesAfterConnect++
    const park = this.pendingPark
    if (park && this.repliesAfterConnect >= park.afterReplies && this.eventsOn) {
      this.pendingPark = undefined
      this.deliver(park.headers)
    }
  }

  /** The socket application parked the channel: its CHANNEL_PARK reaches this listener if subscribed in time. */
  parked(headers: EventHeaders): void {
    const rule = this.park
    if (rule === 'none') return
    const afterReplies = rule === 'after-myevents' ? 1 : rule.afterReplies
    this.pendingPark = { headers, afterReplies }
    // Already due (the replies went out before the park): deliver now.
    if (this.eventsOn && this.repliesAfterConnect >= afterReplies) {
      this.pendingPark = undefined
      this.deliver(headers)
    }
  }

  /** Queues one event for this listener if it subscribed (myevents: this channel's events). */
  deliver(headers: EventHeaders): void {
    if (!this.connected || !this.eventsOn || this.closing) return
    // Without linger, events fired as the channel goes down may never be sent (06d-repeat3).
    if (!this.host.channelUp && this.linger === undefined && this.host.dropEventsWithoutLinger) return
    if (this.outbox.queuedEvents >= this.host.maxQueuedEvents) {
      // The queue is full (the controller stopped reading): the event is lost; too many and the listener is dropped.
      this.lostEventsTotal++
      if (++this.lostEvents > MAX_MISSED_EVENTS) this.cutOff()
      return
    }
    this.lostEvents = 0
    let frame: string
    if (this.format === 'json') {
      const body = serializeJson(headers)
      frame = `Content-Length: ${body.length}\nContent-Type: text/event-json\n\n${body}`
    } else {
      const body = `${serializePlain(headers)}\n`
      frame = `Content-Length: ${body.length}\nContent-Type: text/event-plain\n\n${body}`
    }
    const notice = this.lingerNotice
    if (typeof notice === 'object' && !this.lingerNoticeSent && this.linger !== undefined) {
      // The event dispatcher lags behind the listener's own check of the channel: hold the last n events.
      this.held.push(frame)
      if (this.held.length <= notice.overtakes) return
      frame = this.held.shift() as string
    }
    this.queueFrame(frame, true)
  }

  // ---- the channel going down ----

  /** Called just before CHANNEL_HANGUP is fired. */
  beforeHangupEvent(): void {
    if (this.linger === undefined || this.closing) return
    if (this.lingerNotice === 'before-hangup' || typeof this.lingerNotice === 'object') this.sendLingerNotice()
  }

  /** Called right after CHANNEL_HANGUP is fired. */
  afterHangupEvent(): void {
    if (this.linger !== undefined && !this.closing && this.lingerNotice === 'after-hangup') this.sendLingerNotice()
  }

  /** The channel reported its hang-up (CHANNEL_HANGUP_COMPLETE went out): linger notice, or disconnect and close. */
  channelGone(): void {
    if (this.closing) return
    if (this.linger !== undefined) {
      this.sendLingerNotice()
      return
    }
    if (this.host.dropEventsWithoutLinger) this.dropQueuedEvents()
    this.sendDisconnect()
    this.close()
  }

  private sendLingerNotice(): void {
    if (this.lingerNoticeSent) return
    this.lingerNoticeSent = true
    const seconds = this.linger ?? -1
    this.queueFrame(
      `Content-Type: text/disconnect-notice\nControlled-Session-UUID: ${this.host.uuid}\nContent-Disposition: linger\nChannel-Name: ${this.host.channelName}\nLinger-Time: ${seconds}\nContent-Length: 0\n\n`,
    )
    this.releaseHeld()
    if (seconds >= 0) {
      this.host.schedule(seconds * 1000, () => {
        this.sendDisconnect()
        this.close()
      })
    }
  }

  private releaseHeld(): void {
    for (const frame of this.held.splice(0)) this.queueFrame(frame, true)
  }

  private sendDisconnect(): void {
    this.queueFrame(
      `Content-Type: text/disconnect-notice\nControlled-Session-UUID: ${this.host.uuid}\nContent-Disposition: disconnect\nContent-Length: ${DISCONNECT_BODY.length}\n\n${DISCONNECT_BODY}`,
    )
  }

  private dropQueuedEvents(): void {
    this.outbox.dropEvents()
    this.held.length = 0
  }

  // ---- writing ----

  private queueFrame(frame: string, event = false): void {
    if (this.closing || !this.socket) return
    this.outbox.push(frame, event)
  }

  /** The controller sent an execute: frames withheld until it are released. */
  executed(app: string): void {
    this.outbox.executed(app)
  }

  /** Times the controller went quiet while frames were withheld (faults.stallReleaseMs). */
  get blockingRounds(): number {
    return this.outbox.blockingRounds
  }

  /** The most events this listener ever held for its controller (bounded by maxQueuedEvents). */
  get peakQueuedEvents(): number {
    return this.outbox.peakQueuedEvents
  }

  // ---- closing ----

  /** Frames already queued (e.g. a disconnect notice) still go out, then the socket closes. */
  close(): void {
    if (this.closing) return
    this.closing = true
    this.releaseHeld()
    this.outbox.end()
  }

  /** Ends the connection at once (the call is being torn down). */
  destroy(): void {
    this.closing = true
    this.outbox.clear()
    this.socket?.destroy()
  }

  /** mod_event_socket's kill_listener: the socket is shut down, nothing more is written. */
  private cutOff(): void {
    if (this.closing) return
    this.closing = true
    this.outbox.clear()
    this.held.length = 0
    this.release('cut-off')
    this.socket?.destroy()
  }

  private release(how: 'exit' | 'closed' | 'cut-off'): void {
    if (this.released) return
    this.released = true
    this.host.onRelease(this, how)
  }

  /** The controller half-closed: FreeSWITCH answers with its disconnect notice and closes. */
  private onPeerEnd(): void {
    if (this.connected && !this.closing) this.sendDisconnect()
    if (this.connected) this.release('closed')
    this.close()
  }

  private onSocketClose(): void {
    this.socketClosed = true
    this.closing = true
    this.outbox.clear()
    if (!this.tcpConnected) this.resolveOpened(false)
    if (this.connected) this.release('closed')
    this.host.onClosed(this)
  }

  /** Frames not yet written: what this listener holds in memory for a controller that does not read. */
  get queuedFrames(): number {
    return this.outbox.length + this.held.length
  }
}
