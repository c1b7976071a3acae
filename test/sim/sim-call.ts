/**
 * One simulated call: FreeSWITCH's `socket` application connecting to the
 * router, the Event Socket listener on that connection (commands, replies,
 * event delivery, linger, disconnect notices) and the channel thread running
 * the queued applications. Behaviour follows test/fixtures/transcripts.
 */
import { connect, type Socket } from 'node:net'
import { Frame, FrameParser } from '../../src/esl/frame-parser.ts'
import { APPS, type AppContext, type BridgeRecord } from './apps.ts'
import { localStamp, newUuid, serializeJson, serializePlain, SimChannel, type EventHeaders, type SwitchIdentity } from './channel.ts'
import { bytes, expandVariables, Q850, separateString, text } from './fs-strings.ts'
import type { DtmfInput, BridgeOutcome, SimCallOptions } from './options.ts'
import type { VariableValue } from './variable-store.ts'

export type Disposition =
  /** Still under the router's control. */
  | 'controlled'
  /** Hung up while the router controlled it. */
  | 'hungup'
  /** The socket application returned with the call up (exit or close): the dialplan continued. */
  | 'handed-back'
  /** A transfer took the call elsewhere. */
  | 'transferred'
  /** The router never sent `connect`: FreeSWITCH leaves such a channel parked for good. */
  | 'parked'
  /** No router accepted the connection: FreeSWITCH goes on with the next dialplan action. */
  | 'unreachable'

export interface ExecutedApp {
  readonly app: string
  /** The argument after FreeSWITCH's first expansion, as text. */
  readonly arg: string
  readonly eventUuid: string
  /** The channel's variables when the application started (text). */
  readonly variables: ReadonlyMap<string, string>
}

export interface SimCallResult {
  readonly disposition: Disposition
  readonly hangupCause: string | undefined
  readonly answered: boolean
  readonly bridged: boolean
}

interface QueuedMessage {
  readonly command: string
  readonly app: string
  readonly arg: string
  readonly eventUuid: string
  readonly eventLock: boolean
  readonly hangupCause: string
}

interface SimContext {
  readonly identity: SwitchIdentity
  readonly timeScale: number
  readonly host: string
  readonly port: number
}

const DISCONNECT_BODY = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n'
const GLOBALS: Readonly<Record<string, string>> = {
  domain: '192.0.2.2',
  domain_name: '192.0.2.2',
  hostname: 'vm',
  sound_prefix: '/usr/share/freeswitch/sounds/en/us/callie',
  sounds_dir: '/usr/share/freeswitch/sounds',
}

export class SimCall {
  readonly uuid: string
  readonly channel: SimChannel
  /** Every command the router sent, in order (command line, headers, body). */
  readonly received: Frame[] = []
  /** Every frame sent to the router, byte for byte. */
  readonly sent: Buffer[] = []
  readonly executed: ExecutedApp[] = []
  readonly bridges: BridgeRecord[] = []
  /** `api` commands the router ran, as sent. */
  readonly apiCommands: string[] = []
  /** `${api ...}` expansions FreeSWITCH would have run: any entry is an injection. */
  readonly apiExpansions: string[] = []
  /** Dialplan applications that ran after the socket application returned. */
  readonly dialplanApps: Array<readonly [string, string]> = []
  disposition: Disposition = 'controlled'
  readonly done: Promise<SimCallResult>
  /** When the router sent `connect`, in ms (performance.now), for latency figures. */
  connectedAt: number | undefined

  private readonly options: SimCallOptions
  private readonly sim: SimContext
  private socket: Socket | undefined
  private readonly parser = new FrameParser({ commandLine: true, maxFrameBytes: 16 * 1024 * 1024 })
  private tcpConnected = false
  private connected = false
  private eventsOn = false
  private format: 'plain' | 'json' = 'plain'
  private linger: number | undefined
  private controlled = true
  private closing = false
  private socketClosed = false
  private readonly outbox: string[] = []
  private flushing = false
  private framesSent = 0
  /** Frames are held after the connect reply until this application is executed (faults.withholdUntilExecute). */
  private withholdUntil: string | undefined
  /** While withholding, frames up to this count may go out (the connect reply, then stall releases). */
  private releasedUpTo = 1
  private stallTimer: NodeJS.Timeout | undefined
  /** Times the router went quiet while frames were held and they had to be released (faults.stallReleaseMs). */
  blockingRounds = 0
  /** When things happened (performance.now()): `tcp`, `connect`, `execute:<app>` (first), for latency figures. */
  readonly marks = new Map<string, number>()
  private readonly queue: QueuedMessage[] = []
  private pumping: Promise<void> | undefined
  private readonly running = new Set<Promise<void>>()
  private readonly waits = new Set<() => void>()
  private readonly timers = new Set<NodeJS.Timeout>()
  private dtmfIndex = 0
  private digitsDialed = ''
  private bridgeIndex = 0
  private commandCount = 0
  private readonly executeCounts = new Map<string, number>()
  private hangupSequence: Promise<void> | undefined
  private lastApp: readonly [string, string]
  private readonly socketAppUuid = newUuid()
  private resolveDone!: (result: SimCallResult) => void
  private finished = false
  private lingerNoticeSent = false

  constructor(sim: SimContext, options: SimCallOptions) {
    this.sim = sim
    this.options = options
    this.uuid = options.uuid ?? newUuid()
    this.withholdUntil = options.faults?.withholdUntilExecute
    const now = sim.identity.now()
    const callerNumber = bytes(options.callerIdNumber ?? '5551230001')
    const callerName = options.callerIdNameBytes ? options.callerIdNameBytes.toString('latin1') : bytes(options.callerIdName ?? 'Test Caller')
    const destination = bytes(options.destinationNumber ?? '31201234567')
    const context = options.context ?? 'public'
    const name = options.channelName ?? `sofia/external/${text(callerNumber)}@192.0.2.10`
    const socketArgument = options.socketArgument ?? '127.0.0.1:8084 async full'
    this.lastApp = ['socket', socketArgument]
    const profile: Array<[string, string]> = options.profile
      ? options.profile.map(([field, value]) => [field, field === 'Unique-ID' ? this.uuid : value])
      : [
          ['Direction', 'inbound'],
          ['Logical-Direction', 'inbound'],
          ['Dialplan', 'XML'],
          ['Caller-ID-Name', callerName],
          ['Caller-ID-Number', callerNumber],
          ['Orig-Caller-ID-Name', callerName],
          ['Orig-Caller-ID-Number', callerNumber],
          ['Callee-ID-Name', 'Outbound Call'],
          ['Callee-ID-Number', destination],
          ['ANI', callerNumber],
          ['Destination-Number', destination],
          ['Unique-ID', this.uuid],
          ['Source', 'mod_sofia'],
          ['Context', context],
          ['Channel-Name', name],
          ['Profile-Index', '1'],
          ['Profile-Created-Time', ''],
          ['Channel-Created-Time', ''],
          ['Channel-Answered-Time', ''],
          ['Channel-Progress-Time', ''],
          ['Channel-Progress-Media-Time', ''],
          ['Channel-Hangup-Time', ''],
          ['Channel-Transfer-Time', ''],
          ['Channel-Resurrect-Time', '0'],
          ['Channel-Bridged-Time', ''],
          ['Channel-Last-Hold', '0'],
          ['Channel-Hold-Accum', '0'],
          ['Screen-Bit', 'true'],
          ['Privacy-Hide-Name', ''],
          ['Privacy-Hide-Number', ''],
        ]
    const given = options.variables
    const extra: Array<readonly [string, VariableValue]> = given === undefined ? [] : Array.isArray(given) ? [...given] : Object.entries(given).map(([key, value]) => [key, bytes(value)] as const)
    const variables: Array<readonly [string, VariableValue]> = options.profile
      ? extra.map(([key, value]) => [key, key === 'uuid' || key === 'call_uuid' || key === 'channel_name' ? (key === 'channel_name' ? name : this.uuid) : value])
      : [
          ['direction', 'inbound'],
          ['uuid', this.uuid],
          ['session_id', '1'],
          ['sip_from_user', callerNumber],
          ['sip_to_user', destination],
          ['channel_name', name],
          ['read_codec', 'PCMA'],
          ['read_rate', '8000'],
          ['write_codec', 'PCMA'],
          ['write_rate', '8000'],
          ['call_uuid', this.uuid],
          ...extra,
          ['current_application_data', socketArgument],
          ['current_application', 'socket'],
          ['socket_host', socketArgument.split(':')[0] ?? '127.0.0.1'],
        ]
    this.channel = new SimChannel(sim.identity, this.uuid, name, profile, variables, now)
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve
    })
  }

  /** Connects to the router like the socket application: sends nothing first. */
  start(): void {
    const socket = connect({ host: this.sim.host, port: this.sim.port, allowHalfOpen: true, noDelay: true })
    this.socket = socket
    socket.on('connect', () => {
      this.tcpConnected = true
      this.marks.set('tcp', performance.now())
      // mod_event_socket's 25 s first-command timeout (real time, not scaled): "Socket Error!",
      // then the channel stays parked.
      const timer = setTimeout(() => {
        this.timers.delete(timer)
        if (this.connected) return
        this.sendDisconnect()
        this.closeSocket()
      }, this.options.firstCommandTimeoutMs ?? 25_000)
      this.timers.add(timer)
    })
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('end', () => this.onPeerEnd())
    socket.on('error', () => {})
    socket.on('close', () => this.onSocketClose())
  }

  /** The caller (or the network) hangs up now. */
  hangup(cause = 'NORMAL_CLEARING'): void {
    this.hangupChannel(cause)
  }

  /** A channel variable as text, undefined when unset. */
  variable(name: string): string | undefined {
    const value = this.channel.vars.get(name)
    return value === undefined ? undefined : text(value)
  }

  /** Every variable as text. */
  variables(): Map<string, string> {
    return textMap(this.channel.vars.snapshot())
  }

  /** Ends the call from the simulator's side: hangs up if needed and closes the socket. */
  abort(): void {
    if (this.channel.up && this.disposition === 'controlled') this.hangupChannel('NORMAL_CLEARING')
    this.closeSocket()
    this.finish(this.disposition === 'controlled' ? 'hungup' : this.disposition)
  }

  // ---- the Event Socket listener ----

  private onData(chunk: Buffer): void {
    const frames = this.parser.push(chunk)
    if (frames instanceof Error) {
      this.closeSocket()
      return
    }
    for (const frame of frames) {
      this.received.push(frame)
      this.onCommand(frame)
      this.armStall()
    }
  }

  private onCommand(frame: Frame): void {
    const command = (frame.command ?? '').trim()
    const lower = command.toLowerCase()
    if (!this.connected) {
      if (lower.startsWith('connect')) {
        this.connected = true
        this.connectedAt = performance.now()
        this.marks.set('connect', this.connectedAt)
        this.sendConnectReply()
        this.trigger('connect')
        const slowReader = this.options.faults?.slowReaderMs
        if (slowReader && this.socket) {
          const socket = this.socket
          socket.pause()
          this.after(slowReader, () => socket.resume())
        }
      }
      // FreeSWITCH parses a first packet that is not `connect` without replying to it.
      return
    }
    if (lower.startsWith('exit') || lower.startsWith('...')) {
      this.reply('+OK bye')
      this.sendDisconnect()
      this.closeSocket()
      this.handBack()
      return
    }
    if (lower.startsWith('resume')) {
      this.channel.vars.set('socket_resume', 'true')
      this.reply('+OK')
    } else if (lower.startsWith('myevents')) {
      if (this.eventsOn) {
        this.reply('-ERR aready enabled.')
        return
      }
      this.eventsOn = true
      this.format = /json/i.test(command) ? 'json' : 'plain'
      this.reply('+OK Events Enabled')
      if (this.options.parkEvent === 'after-myevents') this.emit('CHANNEL_PARK')
    } else if (lower.startsWith('getvar')) {
      const name = command.slice(6).trim()
      const value = this.channel.vars.get(name) ?? ''
      this.reply(value === '' ? '-ERR command not found' : value)
    } else if (lower.startsWith('sendmsg')) {
      this.onSendmsg(frame)
      this.reply('+OK')
    } else if ((this.options.control ?? 'full') !== 'full') {
      this.reply('-ERR command not found')
    } else if (lower.startsWith('api ')) {
      const line = command.slice(4)
      this.apiCommands.push(text(line))
      const space = line.indexOf(' ')
      this.apiResponse(this.runApi(space === -1 ? line : line.slice(0, space), space === -1 ? '' : line.slice(space + 1)))
    } else if (lower.startsWith('bgapi ')) {
      const job = frame.header('Job-UUID') ?? newUuid()
      this.apiCommands.push(text(command.slice(6)))
      this.queueFrame(`Content-Type: command/reply\nReply-Text: +OK Job-UUID: ${job}\nJob-UUID: ${job}\n\n`)
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

  private sendConnectReply(): void {
    const headers = this.channel.render('CHANNEL_DATA', {
      post: [
        ['Content-Type', 'command/reply'],
        ['Reply-Text', '+OK\n'],
        ['Socket-Mode', 'async'],
        ['Control', this.options.control ?? 'full'],
      ],
    })
    this.queueFrame(`${serializePlain(withUndef(headers))}\n`)
  }

  private reply(replyText: string): void {
    this.queueFrame(`Content-Type: command/reply\nReply-Text: ${replyText}\n\n`)
  }

  private apiResponse(body: string): void {
    const output = body === '' ? '-ERR no reply\n' : body
    this.queueFrame(`Content-Type: api/response\nContent-Length: ${output.length}\n\n${output}`)
  }

  private sendDisconnect(): void {
    const body = bytes(DISCONNECT_BODY)
    this.queueFrame(`Content-Type: text/disconnect-notice\nControlled-Session-UUID: ${this.uuid}\nContent-Disposition: disconnect\nContent-Length: ${body.length}\n\n${body}`)
  }

  private sendLingerNotice(): void {
    if (this.lingerNoticeSent) return
    this.lingerNoticeSent = true
    const seconds = this.linger ?? -1
    this.queueFrame(
      `Content-Type: text/disconnect-notice\nControlled-Session-UUID: ${this.uuid}\nContent-Disposition: linger\nChannel-Name: ${this.channel.name}\nLinger-Time: ${seconds}\nContent-Length: 0\n\n`,
    )
    if (seconds >= 0) {
      this.after(seconds * 1000, () => {
        this.sendDisconnect()
        this.closeSocket()
      })
    }
  }

  /** Renders an event from the channel's state now and queues it if the controller subscribed. */
  private emit(eventName: string, options: { pre?: EventHeaders; post?: EventHeaders } = {}): void {
    const headers = withUndef(this.channel.render(eventName, options))
    if (!this.connected || !this.eventsOn || this.closing) return
    // Without linger, events queued when the channel goes down may never be sent (06d-repeat3).
    if (!this.channel.up && this.linger === undefined && this.options.dropEventsWithoutLinger) return
    if (this.format === 'json') {
      const body = serializeJson(headers)
      this.queueFrame(`Content-Length: ${body.length}\nContent-Type: text/event-json\n\n${body}`)
    } else {
      const body = `${serializePlain(headers)}\n`
      this.queueFrame(`Content-Length: ${body.length}\nContent-Type: text/event-plain\n\n${body}`)
    }
  }

  private queueFrame(frame: string): void {
    if (this.closing || !this.socket) return
    this.outbox.push(frame)
    if (this.holding()) this.armStall()
    this.kickFlush()
  }

  /** Output is being withheld (faults.withholdUntilExecute) beyond what was released. */
  private holding(): boolean {
    return this.withholdUntil !== undefined && this.framesSent >= this.releasedUpTo
  }

  /**
   * With faults.stallReleaseMs: when the router sends nothing for that long while
   * frames are held, it is waiting for them: release them and count a blocking round trip.
   */
  private armStall(): void {
    const stallMs = this.options.faults?.stallReleaseMs
    if (stallMs === undefined || this.withholdUntil === undefined) return
    clearTimeout(this.stallTimer)
    this.stallTimer = setTimeout(() => {
      if (this.withholdUntil === undefined || this.outbox.length === 0) return
      this.blockingRounds++
      this.releasedUpTo = this.framesSent + this.outbox.length
      this.kickFlush()
    }, stallMs)
  }

  private kickFlush(): void {
    if (this.flushing) return
    this.flushing = true
    setImmediate(() => void this.flush())
  }

  private async flush(): Promise<void> {
    const socket = this.socket
    while (this.outbox.length > 0 && socket && !socket.destroyed) {
      if (this.holding()) break
      const frame = Buffer.from(this.outbox.shift() as string, 'latin1')
      this.sent.push(frame)
      this.framesSent++
      const faults = this.options.faults
      if (faults?.resetAfterFrames !== undefined && this.framesSent > faults.resetAfterFrames) {
        socket.write(frame.subarray(0, Math.max(1, Math.floor(frame.length / 2))))
        socket.resetAndDestroy()
        break
      }
      const split = faults?.split ?? 'none'
      if (split === 'none') {
        socket.write(frame)
        continue
      }
      for (const piece of splitFrame(frame, split)) {
        socket.write(piece)
        // Give the event loop a turn so the router gets a chance to read each piece separately.
        await new Promise((resolve) => setImmediate(resolve))
        if (socket.destroyed) break
      }
    }
    this.flushing = false
    if (this.outbox.length > 0 && !this.holding()) {
      this.kickFlush()
    } else if (this.closing && socket && !socket.destroyed) {
      socket.end()
    }
  }

  private closeSocket(): void {
    if (this.closing) return
    // Frames already queued (e.g. the disconnect notice) still go out, then the socket closes.
    if (!this.flushing && this.socket && !this.socket.destroyed) {
      this.closing = true
      if (this.outbox.length === 0) this.socket.end()
      else this.kickFlush()
      return
    }
    this.closing = true
  }

  /** The router half-closed: FreeSWITCH answers with its disconnect notice and closes. */
  private onPeerEnd(): void {
    if (!this.connected) {
      this.closeSocket()
      return
    }
    this.sendDisconnect()
    this.closeSocket()
    this.handBack()
  }

  private onSocketClose(): void {
    this.socketClosed = true
    this.closing = true
    this.outbox.length = 0
    if (!this.connected) {
      // Refused: FreeSWITCH goes on with the dialplan. Accepted but never `connect`ed: parked for good.
      this.finish(this.tcpConnected ? 'parked' : 'unreachable')
      return
    }
    if (this.controlled && this.channel.up) this.handBack()
    this.maybeFinish()
  }

  // ---- sendmsg and the channel thread ----

  private onSendmsg(frame: Frame): void {
    const header = (name: string): string => frame.header(name) ?? ''
    const contentType = header('content-type')
    let arg = header('execute-app-arg')
    if (arg === '' && contentType.toLowerCase() === 'text/plain') {
      // FreeSWITCH copies the body as a C string: it ends at the first NUL.
      const body = frame.body.toString('latin1')
      const nul = body.indexOf('\0')
      arg = nul === -1 ? body : body.slice(0, nul)
    }
    const message: QueuedMessage = {
      command: header('call-command').toLowerCase(),
      app: header('execute-app-name'),
      arg,
      eventUuid: header('event-uuid') || newUuid(),
      eventLock: /^(true|yes|on|1)$/i.test(header('event-lock')),
      hangupCause: header('hangup-cause') || 'NORMAL_CLEARING',
    }
    this.commandCount++
    if (message.command === 'execute' && !this.marks.has(`execute:${message.app}`)) this.marks.set(`execute:${message.app}`, performance.now())
    if (message.command === 'execute' && message.app === this.withholdUntil) {
      this.withholdUntil = undefined
      clearTimeout(this.stallTimer)
      this.kickFlush()
    }
    this.trigger('command')
    if (message.command === 'execute' && !message.eventLock && this.pumping !== undefined) {
      // Without event-lock a queued execute runs nested inside the application that is running.
      void this.runMessage(message)
      return
    }
    this.queue.push(message)
    this.pump()
  }

  private pump(): void {
    if (this.pumping) return
    this.pumping = (async () => {
      // A parked channel thread looks at its queue every 20 ms: replies to a burst of commands all go out first.
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, 20 * this.sim.timeScale)))
      while (this.queue.length > 0) {
        await new Promise((resolve) => setImmediate(resolve))
        const message = this.queue.shift() as QueuedMessage
        await this.runMessage(message)
      }
    })().finally(() => {
      this.pumping = undefined
      // The socket may have closed while a command was queued: the call can end now.
      this.maybeFinish()
    })
  }

  private async runMessage(message: QueuedMessage): Promise<void> {
    if (message.command === 'hangup') {
      this.hangupChannel(message.hangupCause)
      return
    }
    if (message.command !== 'execute' || !this.channel.up) return
    if (APPS[message.app] === undefined) {
      this.hangupChannel('DESTINATION_OUT_OF_ORDER')
      return
    }
    const vars = this.channel.vars
    vars.set('current_loop', '1')
    vars.set('total_loops', '1')
    const disabled = /^(true|yes|on|1)$/i.test(vars.get('app_disable_expand_variables') ?? '')
    const arg = disabled ? message.arg : this.expand(message.arg)
    await this.executeApp(message.app, arg, message.eventUuid)
    vars.delete('current_loop')
    vars.delete('total_loops')
  }

  private async executeApp(app: string, arg: string, eventUuid: string): Promise<void> {
    const run = APPS[app]
    if (!run) return
    const vars = this.channel.vars
    // The order FreeSWITCH sets these in (visible in where the variables sit in the events).
    vars.set('current_application', app)
    vars.set('current_application_data', arg === '' ? undefined : arg)
    vars.delete('current_application_response')
    const identity: EventHeaders = [['Application', app], ...(arg === '' ? [] : ([['Application-Data', arg]] as EventHeaders))]
    this.emit('CHANNEL_EXECUTE', { post: [...identity, ['Application-UUID', eventUuid]] })
    vars.set('current_application_data', arg === '' ? undefined : arg)
    vars.set('current_application', app)
    this.executed.push({ app, arg: text(arg), eventUuid, variables: textMap(vars.snapshot()) })
    const count = (this.executeCounts.get(app) ?? 0) + 1
    this.executeCounts.set(app, count)
    this.trigger('execute', app, count)
    this.lastApp = [app, arg]
    const execution = run(this.appContext(), arg)
    this.running.add(execution)
    try {
      await execution
    } finally {
      this.running.delete(execution)
      this.maybeFinish()
    }
    this.emit('CHANNEL_EXECUTE_COMPLETE', {
      post: [...identity, ['Application-Response', vars.get('current_application_response') ?? '_none_'], ['Application-UUID', eventUuid]],
    })
  }

  private appContext(): AppContext {
    return {
      channel: this.channel,
      emit: (eventName, options) => this.emit(eventName, options),
      wait: (ms) => this.wait(ms),
      expand: (value) => this.expand(value),
      nextDtmf: (): DtmfInput | undefined => this.options.dtmf?.[this.dtmfIndex++],
      nextBridgeOutcome: (): BridgeOutcome | undefined => this.options.bridge?.[this.bridgeIndex++],
      fileDuration: (file) => this.fileDuration(file),
      hangup: (cause) => this.hangupChannel(cause),
      transfer: (destination, dialplan, context) => this.transfer(destination, dialplan, context),
      recordBridge: (record) => this.bridges.push(record),
      dtmfPressed: (key) => {
        this.digitsDialed += key
      },
    }
  }

  private expand(value: string): string {
    return expandVariables(value, {
      variable: (name) => this.channel.vars.get(name),
      global: (name) => (GLOBALS[name] === undefined ? undefined : bytes(GLOBALS[name])),
      api: (command, args) => {
        this.apiExpansions.push(text(`${command} ${args}`))
        if (command === 'system' && args.startsWith('echo ')) return `${args.slice(5)}\n`
        return ''
      },
    })
  }

  private fileDuration(file: string): number {
    const known = this.options.fileDurations?.[text(file)]
    if (known !== undefined) return known
    const tone = /^tone_stream:\/\/%\((\d+),(\d+)/.exec(file)
    if (tone) return Number(tone[1]) + Number(tone[2])
    const silence = /^silence_stream:\/\/(-?\d+)/.exec(file)
    if (silence) return Number(silence[1]) < 0 ? 3_600_000 : Number(silence[1])
    return 500
  }

  /** Waits simulated ms; resolves false at once if the channel hangs up. */
  private wait(ms: number): Promise<boolean> {
    if (!this.channel.up) return Promise.resolve(false)
    return new Promise((resolve) => {
      const done = (): void => {
        this.waits.delete(done)
        clearTimeout(timer)
        this.timers.delete(timer)
        resolve(this.channel.up)
      }
      const timer = setTimeout(done, Math.max(0, ms * this.sim.timeScale))
      this.timers.add(timer)
      this.waits.add(done)
    })
  }

  private after(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      action()
    }, Math.max(0, ms * this.sim.timeScale))
    this.timers.add(timer)
  }

  private trigger(on: 'connect' | 'command' | 'execute', app?: string, count?: number): void {
    for (const hangup of this.options.hangups ?? []) {
      if (hangup.on !== on) continue
      if (on === 'execute' && (hangup.app !== app || (hangup.nth ?? 1) !== count)) continue
      if (on === 'command' && (hangup.nth ?? 1) !== this.commandCount) continue
      this.after(hangup.afterMs ?? 0, () => this.hangupChannel(hangup.cause ?? 'NORMAL_CLEARING'))
    }
  }

  // ---- hang-up, hand-back, transfer ----

  /** Resolves once no application runs and no queued command is left. */
  private async idle(): Promise<void> {
    for (;;) {
      if (this.pumping) await this.pumping
      else if (this.running.size > 0) await Promise.allSettled([...this.running])
      else return
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  private hangupChannel(cause: string): void {
    const channel = this.channel
    if (!channel.up) return
    const lingerNotice = this.options.lingerNotice ?? 'last'
    if (this.linger !== undefined && lingerNotice === 'before-hangup') this.sendLingerNotice()
    channel.hangupCause = cause
    channel.answerState = 'hangup'
    channel.stateNumber = 10
    this.emit('CHANNEL_HANGUP')
    if (this.linger !== undefined && lingerNotice === 'after-hangup') this.sendLingerNotice()
    for (const wake of [...this.waits]) wake()
    this.hangupSequence ??= this.finishHangup()
  }

  /** After the hang-up: the running app returns, then the socket app, then the state machine reports. */
  private async finishHangup(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve))
    await this.idle()
    this.queue.length = 0
    const channel = this.channel
    channel.vars.delete('current_loop')
    channel.vars.delete('total_loops')
    if (this.controlled) this.socketAppReturns()
    channel.state = 'CS_HANGUP'
    this.emit('CHANNEL_STATE')
    channel.state = 'CS_REPORTING'
    channel.callState = 'HANGUP'
    channel.stateNumber = 11
    channel.times.hangup = channel.identity.now()
    this.emit('CHANNEL_STATE')
    this.setCdrVariables()
    this.emit('CHANNEL_HANGUP_COMPLETE', { pre: [['Hangup-Cause', channel.hangupCause ?? 'NORMAL_CLEARING']] })
    if (this.controlled) {
      this.controlled = false
      this.disposition = 'hungup'
    }
    // The listener, still attached (controlled or after a transfer), notices the channel is gone.
    if (!this.closing) {
      if (this.linger !== undefined) this.sendLingerNotice()
      else {
        if (this.options.dropEventsWithoutLinger) this.outbox.length = 0
        this.sendDisconnect()
        this.closeSocket()
      }
    }
    this.maybeFinish()
  }

  private socketAppReturns(): void {
    this.emit('CHANNEL_UNPARK')
    this.emit('CHANNEL_EXECUTE_COMPLETE', {
      post: [
        ['Application', 'socket'],
        ['Application-Data', this.options.socketArgument ?? '127.0.0.1:8084 async full'],
        ['Application-Response', this.channel.vars.get('current_application_response') ?? '_none_'],
        ['Application-UUID', this.socketAppUuid],
      ],
    })
  }

  /** The socket application returned with the channel up: queued commands run, then the dialplan goes on. */
  private handBack(): void {
    if (!this.controlled || !this.channel.up) return
    this.controlled = false
    this.disposition = 'handed-back'
    void (async () => {
      // Commands already queued still run (parse_all_events after park), possibly a hang-up.
      await this.idle()
      if (!this.channel.up) {
        this.disposition = 'hungup'
        this.maybeFinish()
        return
      }
      this.socketAppReturns()
      for (const [app, arg] of this.options.afterSocket ?? []) {
        if (!this.channel.up) break
        this.dialplanApps.push([app, text(this.expand(arg))])
        await this.executeApp(app, this.expand(arg), newUuid())
      }
      this.maybeFinish()
    })()
  }

  private transfer(destination: string, dialplan: string, context: string): void {
    const channel = this.channel
    const now = channel.identity.now()
    const source = `${Math.floor(now / 1e6)}:${newUuid()}:bl_xfer:${destination}/${context}/${dialplan}`
    const previous = channel.profileValue('Destination-Number')
    channel.setProfileValue('Dialplan', dialplan)
    channel.setProfileValue('Destination-Number', destination)
    channel.setProfileValue('Transfer-Source', source, 'Source')
    channel.setProfileValue('Context', context)
    channel.setProfileValue('RDNIS', previous, 'Context')
    channel.setProfileValue('Profile-Index', String(Number(channel.profileValue('Profile-Index') || '1') + 1))
    channel.times.profileCreated = now
    channel.stateNumber = 2
    if (!channel.vars.has('max_forwards')) channel.vars.set('max_forwards', '70')
    channel.vars.push('transfer_history', source)
    channel.vars.set('transfer_source', source)
    this.disposition = 'transferred'
    // After the transfer app completes, the socket app returns and the new extension runs.
    void (async () => {
      await new Promise((resolve) => setImmediate(resolve))
      await this.idle()
      if (!channel.up) return
      this.controlled = false
      channel.vars.delete('current_loop')
      channel.vars.delete('total_loops')
      this.socketAppReturns()
      channel.state = 'CS_ROUTING'
      channel.callState = 'RINGING'
      this.emit('CHANNEL_STATE')
      // The XML dialplan matched the new destination.
      channel.vars.set('DP_MATCH', [destination, destination])
      channel.vars.set('call_uuid', channel.uuid)
      channel.state = 'CS_EXECUTE'
      channel.callState = channel.answerState === 'answered' ? 'ACTIVE' : 'RINGING'
      channel.stateNumber = 4
      this.emit('CHANNEL_STATE')
      for (const [app, arg] of this.options.dialplan?.[text(destination)] ?? []) {
        if (!channel.up) break
        this.dialplanApps.push([app, arg])
        await this.executeApp(app, this.expand(bytes(arg)), newUuid())
      }
      this.maybeFinish()
    })()
  }

  private setCdrVariables(): void {
    const channel = this.channel
    const vars = channel.vars
    const times = channel.times
    const end = times.hangup
    const cause = channel.hangupCause ?? 'NORMAL_CLEARING'
    const stamp = (micros: number): string => localStamp(new Date(Math.floor(micros / 1000)))
    vars.set('hangup_cause', cause)
    vars.set('hangup_cause_q850', String(Q850[cause] ?? 16))
    vars.set('digits_dialed', this.digitsDialed === '' ? 'none' : this.digitsDialed)
    vars.set('start_stamp', stamp(times.created))
    vars.set('profile_start_stamp', stamp(times.profileCreated))
    if (times.answered) vars.set('answer_stamp', stamp(times.answered))
    if (times.bridged) vars.set('bridge_stamp', stamp(times.bridged))
    if (times.progress) vars.set('progress_stamp', stamp(times.progress))
    if (times.progressMedia) vars.set('progress_media_stamp', stamp(times.progressMedia))
    vars.set('end_stamp', stamp(end))
    const epochs: Array<[string, number]> = [
      ['start', times.created],
      ['profile_start', times.profileCreated],
      ['answer', times.answered],
      ['bridge', times.bridged],
      ['last_hold', 0],
    ]
    for (const [name, micros] of epochs) {
      vars.set(`${name}_epoch`, String(Math.floor(micros / 1e6)))
      vars.set(`${name}_uepoch`, String(micros))
    }
    vars.set('hold_accum_seconds', '0')
    vars.set('hold_accum_usec', '0')
    vars.set('hold_accum_ms', '0')
    for (const [name, micros] of [
      ['resurrect', 0],
      ['progress', times.progress],
      ['progress_media', times.progressMedia],
      ['end', end],
    ] as Array<[string, number]>) {
      vars.set(`${name}_epoch`, String(Math.floor(micros / 1e6)))
      vars.set(`${name}_uepoch`, String(micros))
    }
    vars.set('last_app', this.lastApp[0])
    if (this.lastApp[1] !== '') vars.set('last_arg', this.lastApp[1])
    vars.set('caller_id', `"${channel.profileValue('Caller-ID-Name')}" <${channel.profileValue('Caller-ID-Number')}>`)
    const since = (from: number): number => (from ? end - from : 0)
    const durations: Array<[string, number]> = [
      ['duration', end - times.created],
      ['billsec', since(times.answered)],
      ['progress', times.progress ? times.progress - times.created : 0],
      ['answer', times.answered ? times.answered - times.created : 0],
      ['wait', times.bridged ? times.bridged - times.created : 0],
      ['progress_media', times.progressMedia ? times.progressMedia - times.created : 0],
      ['flow_bill', end - times.profileCreated],
    ]
    const suffixed = (name: string, unit: string): string =>
      name === 'duration' ? (unit === 'sec' ? 'duration' : unit === 'msec' ? 'mduration' : 'uduration') : name === 'billsec' ? `bill${unit}` : `${name}${unit}`
    for (const [unit, divisor] of [
      ['sec', 1e6],
      ['msec', 1e3],
      ['usec', 1],
    ] as Array<[string, number]>) {
      for (const [name, micros] of durations) vars.set(suffixed(name, unit), String(unit === 'sec' ? Math.floor(micros / divisor) : Math.round(micros / divisor)))
    }
    if (channel.profileValue('Source') === 'mod_loopback') vars.set('is_loopback', '1')
  }

  // ---- the simulated API ----

  private runApi(command: string, args: string): string {
    const channel = this.channel
    const ownUuid = (uuid: string | undefined): boolean => uuid === this.uuid
    switch (command) {
      case 'uuid_setvar': {
        const [uuid, name, value] = separateString(args, ' ', 3)
        if (!ownUuid(uuid)) return '-ERR No such channel!\n'
        if (!name) return '-ERR No variable specified\n'
        channel.vars.set(name, value)
        return '+OK\n'
      }
      case 'uuid_setvar_multi': {
        const space = args.indexOf(' ')
        if (space === -1 || !ownUuid(args.slice(0, space))) return '-ERR No such channel!\n'
        let set = 0
        for (const assignment of separateString(args.slice(space + 1), ';', 64)) {
          const equals = assignment.indexOf('=')
          const name = equals === -1 ? assignment : assignment.slice(0, equals)
          if (name === '') continue
          channel.vars.set(name, equals === -1 ? undefined : assignment.slice(equals + 1))
          set++
        }
        return set > 0 ? '+OK\n' : '-ERR No variable specified\n'
      }
      case 'uuid_getvar': {
        const [uuid, name] = separateString(args, ' ', 2)
        if (!ownUuid(uuid)) return '-ERR No such channel!\n'
        return channel.vars.get(name ?? '') ?? '_undef_'
      }
      case 'uuid_exists':
        return ownUuid(args.trim()) && channel.up ? 'true' : 'false'
      case 'uuid_kill': {
        const [uuid, cause] = separateString(args, ' ', 2)
        if (!ownUuid(uuid) || !channel.up) return '-ERR No such channel!\n'
        this.hangupChannel(cause || 'NORMAL_CLEARING')
        return '+OK\n'
      }
      case 'uuid_dump':
        if (!ownUuid(args.trim())) return '-ERR No such channel!\n'
        return `${serializePlain(withUndef(channel.render('CHANNEL_DATA', { site: ['mod_commands.c', 'uuid_dump_function', '6495'], profileBlock: false })))}\n`
      default:
        return `-ERR ${command} Command not found!\n`
    }
  }

  // ---- completion ----

  private maybeFinish(): void {
    if (this.finished) return
    const channelDone = !this.channel.up || this.disposition === 'handed-back' || this.disposition === 'transferred'
    if (this.socketClosed && channelDone && this.pumping === undefined && this.running.size === 0) {
      this.finish(this.disposition === 'controlled' ? 'hungup' : this.disposition)
    }
  }

  private finish(disposition: Disposition): void {
    if (this.finished) return
    this.finished = true
    this.disposition = disposition
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    clearTimeout(this.stallTimer)
    for (const wake of [...this.waits]) wake()
    this.socket?.destroy()
    this.resolveDone({
      disposition,
      hangupCause: this.channel.hangupCause,
      answered: this.channel.times.answered > 0,
      bridged: this.bridges.some((bridge) => bridge.outcome === 'answered'),
    })
  }
}

/** FreeSWITCH writes empty header values as `_undef_`. */
function withUndef(headers: EventHeaders): EventHeaders {
  return headers.map(([name, value]) => [name, value === '' ? '_undef_' : value])
}

function textMap(snapshot: Map<string, VariableValue>): Map<string, string> {
  const out = new Map<string, string>()
  for (const [name, value] of snapshot) out.set(text(name), text(typeof value === 'string' ? value : (value[0] ?? '')))
  return out
}

/** Hostile split points: single bytes, around every line break, or random. */
function splitFrame(frame: Buffer, mode: 'bytes' | 'lines' | 'random'): Buffer[] {
  if (mode === 'bytes') return Array.from({ length: frame.length }, (_, i) => frame.subarray(i, i + 1))
  const cuts = new Set<number>()
  if (mode === 'lines') {
    for (let i = frame.indexOf(10); i !== -1; i = frame.indexOf(10, i + 1)) cuts.add(i + 1)
  } else {
    for (let n = 0; n < 4; n++) cuts.add(1 + Math.floor(Math.random() * Math.max(1, frame.length - 1)))
  }
  const points = [...cuts].filter((cut) => cut > 0 && cut < frame.length).sort((a, b) => a - b)
  const pieces: Buffer[] = []
  let previous = 0
  for (const point of points) {
    pieces.push(frame.subarray(previous, point))
    previous = point
  }
  pieces.push(frame.subarray(previous))
  return pieces
}
