/**
 * One simulated call: its channel, and the session thread that runs the
 * dialplan from the `socket` application on. The socket application tries
 * its addresses in order, waits for `connect`, parks the channel and runs
 * the commands queued to it until the controller lets go, a transfer takes
 * the call elsewhere or the channel hangs up; then the dialplan goes on
 * (FreeSWITCH hangs up when it runs out). Listeners (listener.ts) carry the
 * Event Socket side. Behaviour follows test/fixtures/transcripts.
 */
import type { Frame } from '../../src/esl/frame-parser.ts'
import { isKnownApi, runApi, type ApiContext } from './api.ts'
import { answer, APPS, preAnswer, type AppContext } from './apps.ts'
import type { BridgeRecord } from './bridge.ts'
import { initialChannel } from './call-setup.ts'
import { setCdrVariables } from './cdr.ts'
import { newUuid, serializePlain, type EventHeaders, type SimChannel, type SwitchIdentity } from './channel.ts'
import { bytes, expandVariables, text } from './fs-strings.ts'
import { hooksAt, type HookMoment, type HookRun } from './hooks.ts'
import { SimListener, type ListenerHost } from './listener.ts'
import { isSip, sipAcked, sipHangup } from './sip-media.ts'
import type { BridgeOutcome, DtmfInput, LingerNotice, ParkDelivery, SimCallOptions, SwitchDirectory } from './options.ts'
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

/** One address the socket application tried, in order. */
export interface SocketAttempt {
  readonly target: string
  readonly accepted: boolean
}

/** What the simulator shares with each call. */
export interface SimContext {
  readonly identity: SwitchIdentity
  readonly timeScale: number
  readonly host: string
  readonly port: number
  readonly directory: SwitchDirectory
  readonly maxQueuedEvents: number
  /** The race outcomes this call gets when its options do not pin them. */
  readonly park: ParkDelivery
  readonly lingerNotice: LingerNotice
  /** mod_hash's store (process-wide, like FreeSWITCH's). */
  readonly hashes: Map<string, string>
}

interface QueuedMessage {
  readonly command: string
  readonly app: string
  readonly arg: string
  readonly eventUuid: string
  readonly eventLock: boolean
  readonly hangupCause: string
  /** xferext: `application: <app> <arg>` headers, in order. */
  readonly applications: readonly string[]
}

type Action = readonly [app: string, arg: string]

interface Transfer {
  readonly destination: string
  readonly actions: readonly Action[] | undefined
  /** The inline dialplan puts the destination back (its RDNIS) as it hunts (08b). */
  readonly inline?: boolean
}

const GLOBALS: Readonly<Record<string, string>> = {
  domain: '192.0.2.2',
  domain_name: '192.0.2.2',
  hostname: 'vm',
  sound_prefix: '/usr/share/freeswitch/sounds/en/us/callie',
  sounds_dir: '/usr/share/freeswitch/sounds',
}
// Applications without SAF_SUPPORT_NOMEDIA: the core pre-answers the channel before they start (K3).
const MEDIA_APPS = new Set(['playback', 'play_and_get_digits'])

export class SimCall implements ListenerHost {
  readonly uuid: string
  readonly channel: SimChannel
  /** Every command the router sent, in order (command line, headers, body), on every connection. */
  readonly received: Frame[] = []
  /** Every frame sent to the router, byte for byte. */
  readonly sent: Buffer[] = []
  readonly executed: ExecutedApp[] = []
  readonly bridges: BridgeRecord[] = []
  /** `api` and `bgapi` commands the router sent, as sent. */
  readonly apiCommands: string[] = []
  /** `${api ...}` expansions FreeSWITCH would have run: any entry is an injection. */
  readonly apiExpansions: string[] = []
  /** Hook variables FreeSWITCH would have run later (API commands, applications): any the router did not mean is an injection. */
  readonly hookRuns: HookRun[] = []
  /** Dialplan applications that ran after the socket application returned. */
  readonly dialplanApps: Array<readonly [string, string]> = []
  /** Where the socket application tried to connect, in order. */
  readonly socketAttempts: SocketAttempt[] = []
  /** The Event Socket connections this call opened (a transfer back into the socket extension opens another). */
  readonly listeners: SimListener[] = []
  disposition: Disposition = 'controlled'
  readonly done: Promise<SimCallResult>
  /** When the router sent `connect`, in ms (performance.now), for latency figures. */
  connectedAt: number | undefined
  /** When things happened (performance.now()): `tcp`, `connect`, `execute:<app>` (first), for latency figures. */
  readonly marks = new Map<string, number>()

  private readonly options: SimCallOptions
  private readonly sim: SimContext
  private readonly socketArgument: string
  private readonly queue: QueuedMessage[] = []
  /** Depth of running applications started with event-lock: while > 0 nothing queued runs nested. */
  private eventLocks = 0
  private transferTo: Transfer | undefined
  private readonly wakers = new Set<() => void>()
  private readonly timers = new Set<NodeJS.Timeout>()
  private dtmfIndex = 0
  private digitsDialed = ''
  private bridgeIndex = 0
  private commandCount = 0
  private readonly executeCounts = new Map<string, number>()
  private lastApp: Action
  private readonly socketAppUuid = newUuid()
  private resolveDone!: (result: SimCallResult) => void
  private threadDone = false
  /** The caller hung up (a BYE came in), rather than FreeSWITCH. */
  private callerHungUp = false
  private finished = false

  constructor(sim: SimContext, options: SimCallOptions) {
    this.sim = sim
    this.options = options
    this.uuid = options.uuid ?? newUuid()
    const targets = options.socketTargets
    this.socketArgument = options.socketArgument ?? (targets ? `${targets.join('|')} async full` : '127.0.0.1:8084 async full')
    this.lastApp = ['socket', this.socketArgument]
    this.channel = initialChannel(sim.identity, this.uuid, options, this.socketArgument)
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve
    })
  }

  /** Times the router went quiet while frames were withheld (faults.stallReleaseMs), over all connections. */
  get blockingRounds(): number {
    return this.listeners.reduce((sum, listener) => sum + listener.blockingRounds, 0)
  }

  /** Starts the session thread at the socket application. */
  start(): void {
    void this.run().finally(() => {
      this.threadDone = true
      this.maybeFinish()
    })
  }

  /** The caller (or the network) hangs up now. */
  hangup(cause = 'NORMAL_CLEARING'): void {
    this.callerHungUp ||= this.channel.up
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

  /** Ends the call from the simulator's side: hangs up if needed and closes every connection. */
  abort(): void {
    if (this.channel.up && this.disposition === 'controlled') this.hangupChannel('NORMAL_CLEARING')
    this.finish()
  }

  // ---- the session thread ----

  private async run(): Promise<void> {
    // The dialplan is at its `socket` action: its CHANNEL_EXECUTE fired before anyone listened.
    const outcome = await this.executeApp('socket', this.socketArgument, this.socketAppUuid, true)
    if (outcome === 'parked') {
      this.disposition = 'parked'
      return
    }
    if (outcome === 'unreachable') this.disposition = 'unreachable'
    let actions: readonly Action[] = this.options.afterSocket ?? []
    let index = 0
    for (;;) {
      while (index < actions.length && this.channel.up && !this.transferTo && !this.finished) {
        const [app, arg] = actions[index++] as Action
        const expanded = this.expand(bytes(arg))
        this.dialplanApps.push([app, text(expanded)])
        if (APPS[app] === undefined && app !== 'socket') {
          this.hangupChannel('DESTINATION_OUT_OF_ORDER')
          break
        }
        await this.executeApp(app, expanded, newUuid())
      }
      const transfer = this.transferTo
      if (!transfer || !this.channel.up || this.finished) break
      this.transferTo = undefined
      actions = this.route(transfer)
      index = 0
    }
    // The dialplan ran out with the channel up: FreeSWITCH hangs it up.
    if (this.channel.up && !this.finished) this.hangupChannel('NORMAL_CLEARING')
    if (!this.finished) this.report()
  }

  /**
   * The socket application: tries each address in order (a refused one moves
   * on; none left and the dialplan goes on), waits for `connect` (none, and
   * the channel stays parked for good: J7b, J7c), parks the channel and runs
   * what the controller queues until it lets go, a transfer or the hang-up.
   */
  private async socketApp(): Promise<'returned' | 'parked' | 'unreachable'> {
    const targets = this.options.socketTargets ?? [`${this.sim.host}:${this.sim.port}`]
    for (const target of targets) {
      if (!this.channel.up || this.finished) return 'returned'
      const colon = target.lastIndexOf(':')
      const index = this.listeners.length
      const parkRule = Array.isArray(this.options.parkEvent) ? (this.options.parkEvent[index] ?? 'none') : (this.options.parkEvent ?? this.sim.park)
      const listener = new SimListener(this, parkRule as ParkDelivery, this.options.lingerNotice ?? this.sim.lingerNotice)
      this.listeners.push(listener)
      const accepted = await listener.open(target.slice(0, colon), Number(target.slice(colon + 1)))
      this.socketAttempts.push({ target, accepted })
      if (!accepted) {
        this.listeners.splice(this.listeners.indexOf(listener), 1)
        continue
      }
      this.marks.set('tcp', performance.now())
      while (!listener.connected && !listener.socketClosed && this.channel.up && !this.finished) await this.signal()
      if (!listener.connected) return this.channel.up ? 'parked' : 'returned'
      await this.parkLoop(listener)
      this.emit('CHANNEL_UNPARK')
      return 'returned'
    }
    return 'unreachable'
  }

  /** The parked channel runs queued commands (a burst after a 20 ms look at the queue) until released. */
  private async parkLoop(listener: SimListener): Promise<void> {
    for (;;) {
      if (!this.channel.up || this.finished) return
      if (this.queue.length > 0) {
        // A parked channel thread looks at its queue every 20 ms: replies to a burst of commands all go out first.
        await this.sleep(20)
        await this.drainQueue()
        continue
      }
      if (this.transferTo || listener.released) {
        if (listener.released && !this.transferTo && this.channel.up) this.disposition = 'handed-back'
        return
      }
      await this.signal()
    }
  }

  private async drainQueue(): Promise<void> {
    while (this.queue.length > 0 && this.channel.up && !this.finished) {
      await new Promise((resolve) => setImmediate(resolve))
      const message = this.queue.shift()
      if (message) await this.runMessage(message)
    }
  }

  private async runMessage(message: QueuedMessage): Promise<void> {
    if (message.command === 'hangup') {
      this.hangupChannel(message.hangupCause)
      return
    }
    if (message.command === 'xferext') {
      // An ad-hoc extension of the `application:` headers; no events for the xferext itself (08c).
      const actions = message.applications.map((line): Action => {
        const space = line.indexOf(' ')
        return space === -1 ? [line, ''] : [line.slice(0, space), line.slice(space + 1)]
      })
      this.channel.stateNumber = 2
      this.transferTo = { destination: '', actions }
      this.disposition = 'transferred'
      return
    }
    if (message.command !== 'execute' || !this.channel.up) return
    if (APPS[message.app] === undefined && message.app !== 'socket') {
      this.hangupChannel('DESTINATION_OUT_OF_ORDER')
      return
    }
    const vars = this.channel.vars
    // The Event-UUID travels as app_uuid until the application starts (visible only in a pre-answer's event: K3).
    vars.set('app_uuid', message.eventUuid)
    vars.set('current_loop', '1')
    vars.set('total_loops', '1')
    const disabled = /^(true|yes|on|1)$/i.test(vars.get('app_disable_expand_variables') ?? '')
    const arg = disabled ? message.arg : this.expand(message.arg)
    if (message.eventLock) this.eventLocks++
    try {
      await this.executeApp(message.app, arg, message.eventUuid)
    } finally {
      if (message.eventLock) this.eventLocks--
    }
    vars.delete('current_loop')
    vars.delete('total_loops')
  }

  private async executeApp(app: string, arg: string, eventUuid: string, announced = false): Promise<'returned' | 'parked' | 'unreachable'> {
    const vars = this.channel.vars
    const identity: EventHeaders = [['Application', app], ...(arg === '' ? [] : ([['Application-Data', arg]] as EventHeaders))]
    if (!announced) {
      if (MEDIA_APPS.has(app) && this.channel.answerState === 'ringing' && !this.transferTo) await preAnswer(this.appContext())
      vars.delete('app_uuid')
      // The order FreeSWITCH sets these in (visible in where the variables sit in the events).
      vars.set('current_application', app)
      vars.set('current_application_data', arg === '' ? undefined : arg)
      vars.delete('current_application_response')
      this.emit('CHANNEL_EXECUTE', { post: [...identity, ['Application-UUID', eventUuid]] })
      vars.set('current_application_data', arg === '' ? undefined : arg)
      vars.set('current_application', app)
      this.executed.push({ app, arg: text(arg), eventUuid, variables: textMap(vars.snapshot()) })
      const count = (this.executeCounts.get(app) ?? 0) + 1
      this.executeCounts.set(app, count)
      this.trigger('execute', app, count)
      this.lastApp = [app, arg]
    }
    let outcome: 'returned' | 'parked' | 'unreachable' = 'returned'
    if (app === 'socket') {
      // socket_function sets socket_host as it starts (the first one, too, before anyone listened).
      if (!announced) vars.set('socket_host', arg.split(/[:| ]/)[0])
      outcome = await this.socketApp()
    }
    else await APPS[app]?.(this.appContext(), arg)
    if (outcome === 'parked' || this.finished) return outcome
    this.emit('CHANNEL_EXECUTE_COMPLETE', {
      post: [...identity, ['Application-Response', vars.get('current_application_response') ?? '_none_'], ['Application-UUID', eventUuid]],
    })
    const sip = this.channel.sip
    if (sip?.ackPending) {
      // The caller's ACK to our 200 OK arrives while the answer completes.
      sip.ackPending = false
      sipAcked(this.channel)
    }
    return outcome
  }

  /** A transfer took effect: the XML (or inline) dialplan routes the new destination. */
  private route(transfer: Transfer): readonly Action[] {
    const channel = this.channel
    channel.state = 'CS_ROUTING'
    channel.callState = 'RINGING'
    this.emit('CHANNEL_STATE')
    if (transfer.inline) {
      channel.setProfileValue('Destination-Number', channel.profileValue('RDNIS'))
      channel.removeProfileValue('RDNIS')
    } else if (transfer.destination !== '') {
      channel.vars.set('DP_MATCH', [transfer.destination, transfer.destination])
    }
    channel.vars.set('call_uuid', channel.uuid)
    channel.state = 'CS_EXECUTE'
    channel.callState = channel.answerState === 'answered' ? 'ACTIVE' : 'RINGING'
    channel.stateNumber = 4
    this.emit('CHANNEL_STATE')
    const actions = transfer.actions ?? this.options.dialplan?.[text(transfer.destination)]
    if (actions === undefined) {
      // No extension matches: FreeSWITCH hangs up.
      this.hangupChannel('NO_ROUTE_DESTINATION')
      return []
    }
    return actions
  }

  // ---- hang-up ----

  private hangupChannel(cause: string): void {
    const channel = this.channel
    if (!channel.up) return
    for (const listener of this.listeners) listener.beforeHangupEvent()
    channel.hangupCause = cause
    channel.answerState = 'hangup'
    channel.stateNumber = 10
    this.emit('CHANNEL_HANGUP')
    for (const listener of this.listeners) listener.afterHangupEvent()
    this.notify()
  }

  /** The state machine reports the hang-up once every application has returned. */
  private report(): void {
    const channel = this.channel
    this.queue.length = 0
    channel.vars.delete('current_loop')
    channel.vars.delete('total_loops')
    channel.state = 'CS_HANGUP'
    this.emit('CHANNEL_STATE')
    this.runHooks(channel.vars.list(), 'hangup', 'caller')
    channel.state = 'CS_REPORTING'
    channel.callState = 'HANGUP'
    channel.stateNumber = 11
    channel.times.hangup = channel.identity.now()
    this.emit('CHANNEL_STATE')
    setCdrVariables(channel, this.lastApp, this.digitsDialed)
    if (isSip(channel)) sipHangup(channel, !this.callerHungUp)
    this.emit('CHANNEL_HANGUP_COMPLETE', { pre: [['Hangup-Cause', channel.hangupCause ?? 'NORMAL_CLEARING']] })
    this.runHooks(channel.vars.list(), 'reporting', 'caller')
    if (this.disposition === 'controlled') this.disposition = 'hungup'
    // Every listener still attached (the controller's, or one kept after a transfer) notices the channel is gone.
    for (const listener of this.listeners) listener.channelGone()
  }

  // ---- ListenerHost: what the Event Socket side asks of the call ----

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
    this.scheduleReal(ms * this.sim.timeScale, action)
  }

  scheduleReal(ms: number, action: () => void): void {
    if (this.finished) return
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      action()
    }, Math.max(0, ms))
    this.timers.add(timer)
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
    this.trigger('connect')
    // The socket application parks the channel: CHANNEL_PARK, which races with `myevents` on this connection.
    const park = withUndef(this.channel.render('CHANNEL_PARK'))
    for (const other of this.listeners) if (other !== listener) other.deliver(park)
    listener.parked(park)
    this.notify()
  }

  onSendmsg(listener: SimListener, frame: Frame): void {
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
      applications: frame.headers.filter(([name]) => name.toLowerCase() === 'application').map(([, value]) => value),
    }
    this.commandCount++
    if (message.command === 'execute') {
      if (!this.marks.has(`execute:${message.app}`)) this.marks.set(`execute:${message.app}`, performance.now())
      listener.executed(message.app)
    }
    this.trigger('command')
    this.queue.push(message)
    this.notify()
  }

  onApi(line: string, background: boolean): string {
    this.apiCommands.push(text(line))
    if (background) return ''
    const space = line.indexOf(' ')
    return runApi(this.apiContext(), space === -1 ? line : line.slice(0, space), space === -1 ? '' : line.slice(space + 1))
  }

  getvar(name: string): string | undefined {
    return this.channel.vars.get(name)
  }

  onResume(): void {
    this.channel.vars.set('socket_resume', 'true')
  }

  onRelease(): void {
    this.notify()
  }

  onClosed(): void {
    this.notify()
    this.maybeFinish()
  }

  onCommand(frame: Frame): void {
    this.received.push(frame)
  }

  onSent(frame: Buffer): void {
    this.sent.push(frame)
  }

  // ---- what applications use ----

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
      directory: this.sim.directory,
      runHooks: (variables, moment, leg) => this.runHooks(variables, moment, leg),
      preAnswerCaller: () => preAnswer(this.appContext()),
      answerCaller: () => answer(this.appContext()),
      transferring: this.transferTo !== undefined,
    }
  }

  private apiContext(): ApiContext {
    return {
      channel: this.channel,
      // The API answers at once; the hang-up reaches the listener through the event system, after the reply (K2).
      hangup: (cause) => setImmediate(() => this.hangupChannel(cause)),
      dump: () => withUndef(this.channel.render('CHANNEL_DATA', { site: ['mod_commands.c', 'uuid_dump_function', '6495'], profileBlock: false })),
      hashes: this.sim.hashes,
    }
  }

  /** The transfer application: the caller profile changes now; the new extension runs once the current application returns. */
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
    // The inline dialplan: `app:arg,app:arg`, commas separate the applications, the first colon the argument (08b).
    const inline = dialplan.toLowerCase() === 'inline'
      ? destination.split(',').map((item): Action => {
          const colon = item.indexOf(':')
          return colon === -1 ? [item, ''] : [item.slice(0, colon), item.slice(colon + 1)]
        })
      : undefined
    this.transferTo = inline ? { destination, actions: inline, inline: true } : { destination, actions: undefined }
    this.disposition = 'transferred'
  }

  private runHooks(variables: Iterable<readonly [string, VariableValue]>, moment: HookMoment, leg: 'caller' | 'callee'): void {
    for (const hook of hooksAt(variables, moment)) {
      const command = this.expand(hook.value)
      this.hookRuns.push({ leg, variable: text(hook.variable), moment, kind: hook.kind, command: text(command) })
      if (hook.kind !== 'api') continue
      const space = command.indexOf(' ')
      runApi(this.apiContext(), space === -1 ? command : command.slice(0, space), space === -1 ? '' : command.slice(space + 1))
    }
  }

  private expand(value: string): string {
    return expandVariables(value, {
      variable: (name) => this.channel.variable(name),
      global: (name) => (GLOBALS[name] === undefined ? undefined : bytes(GLOBALS[name])),
      api: (command, args) => {
        this.apiExpansions.push(text(`${command} ${args}`))
        return isKnownApi(command) ? runApi(this.apiContext(), command, args) : ''
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

  // ---- time ----

  /**
   * Waits simulated ms; false at once if the channel hangs up. Applications
   * that loop on media (playback, read, sleep, bridge) run queued commands
   * nested meanwhile, unless an event lock holds (09b, 09c).
   */
  private async wait(ms: number): Promise<boolean> {
    const deadline = performance.now() + ms * this.sim.timeScale
    for (;;) {
      if (!this.channel.up || this.finished) return false
      if (this.eventLocks === 0 && this.queue.length > 0) await this.drainQueue()
      if (!this.channel.up || this.finished) return false
      const remaining = deadline - performance.now()
      if (remaining <= 0) return true
      await this.signal(remaining)
    }
  }

  /** Simulated ms, not interrupted by anything. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.scheduleReal(Math.max(1, ms * this.sim.timeScale), resolve))
  }

  /** Resolves at the next notify() (a command, a hang-up, a release, a connect) or after real ms. */
  private signal(realMs?: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined
      const wake = (): void => {
        this.wakers.delete(wake)
        if (timer) {
          clearTimeout(timer)
          this.timers.delete(timer)
        }
        resolve()
      }
      if (realMs !== undefined) {
        timer = setTimeout(wake, Math.max(0, realMs))
        this.timers.add(timer)
      }
      this.wakers.add(wake)
    })
  }

  private notify(): void {
    for (const wake of [...this.wakers]) wake()
  }

  private trigger(on: 'connect' | 'command' | 'execute', app?: string, count?: number): void {
    for (const hangup of this.options.hangups ?? []) {
      if (hangup.on !== on) continue
      if (on === 'execute' && (hangup.app !== app || (hangup.nth ?? 1) !== count)) continue
      if (on === 'command' && (hangup.nth ?? 1) !== this.commandCount) continue
      this.schedule(hangup.afterMs ?? 0, () => this.hangup(hangup.cause ?? 'NORMAL_CLEARING'))
    }
  }

  /** Renders an event from the channel's state now and hands it to every listener (each decides if it subscribed). */
  private emit(eventName: string, options: { pre?: EventHeaders; post?: EventHeaders } = {}): void {
    const headers = withUndef(this.channel.render(eventName, options))
    for (const listener of this.listeners) listener.deliver(headers)
  }

  // ---- completion ----

  private maybeFinish(): void {
    if (this.finished || !this.threadDone) return
    if (this.listeners.some((listener) => !listener.socketClosed)) return
    this.finish()
  }

  private finish(): void {
    if (this.finished) return
    this.finished = true
    if (this.disposition === 'controlled') this.disposition = 'hungup'
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    for (const listener of this.listeners) listener.destroy()
    this.notify()
    this.resolveDone({
      disposition: this.disposition,
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
