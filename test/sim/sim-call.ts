/**
 * One simulated call: its channel, and the session thread that runs the
 * dialplan from the `socket` application on. The socket application tries
 * its addresses in order, waits for `connect`, parks the channel and runs
 * the commands queued to it until the controller lets go, a transfer takes
 * the call elsewhere or the channel hangs up; then the dialplan goes on
 * (FreeSWITCH hangs up when it runs out). Listeners (listener.ts) carry the
 * Event Socket side; this class is their host. Behaviour follows
 * test/fixtures/transcripts.
 */
import type { Frame } from '../../src/esl/frame-parser.ts'
import { answer, APPS, preAnswer, type AppContext } from './apps.ts'
import type { BridgeRecord } from './bridge.ts'
import type { Disposition, ExecutedApp, SimCallResult, SimContext, SocketAttempt } from './call-records.ts'
import { CallConnections } from './call-connections.ts'
import { CallServices } from './call-services.ts'
import { initialChannel } from './call-setup.ts'
import { setCdrVariables } from './cdr.ts'
import { newUuid, withUndef, type EventHeaders, type SimChannel } from './channel.ts'
import { SimClock } from './clock.ts'
import { bytes, text } from './fs-strings.ts'
import type { HookRun } from './hooks.ts'
import { SimListener } from './listener.ts'
import type { Action, QueuedMessage } from './messages.ts'
import type { ParkDelivery, SimCallOptions } from './options.ts'
import { isSip, sipAcked, sipHangup } from './sip-media.ts'
import { route, transferProfile, xferext, type Transfer } from './transfer.ts'
import type { VariableValue } from './variable-store.ts'

export type { Disposition, ExecutedApp, SimCallResult, SimContext, SocketAttempt } from './call-records.ts'

type AppOutcome = 'returned' | 'parked' | 'unreachable'

// Applications without SAF_SUPPORT_NOMEDIA: the core pre-answers the channel before they start (K3).
const MEDIA_APPS = new Set(['playback', 'play_and_get_digits'])

export class SimCall {
  readonly uuid: string
  readonly channel: SimChannel
  readonly executed: ExecutedApp[] = []
  readonly bridges: BridgeRecord[] = []
  /** Dialplan applications that ran after the socket application returned. */
  readonly dialplanApps: Array<readonly [string, string]> = []
  /** Where the socket application tried to connect, in order. */
  readonly socketAttempts: SocketAttempt[] = []
  disposition: Disposition = 'controlled'
  readonly done: Promise<SimCallResult>

  private readonly options: SimCallOptions
  private readonly sim: SimContext
  private readonly clock: SimClock
  private readonly services: CallServices
  private readonly connections: CallConnections
  private readonly socketArgument: string
  private readonly queue: QueuedMessage[] = []
  /** Depth of running applications started with event-lock: while > 0 nothing queued runs nested. */
  private eventLocks = 0
  private transferTo: Transfer | undefined
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
    this.clock = new SimClock(sim.timeScale)
    this.uuid = options.uuid ?? newUuid()
    const targets = options.socketTargets
    this.socketArgument = options.socketArgument ?? (targets ? `${targets.join('|')} async full` : '127.0.0.1:8084 async full')
    this.lastApp = ['socket', this.socketArgument]
    this.channel = initialChannel(sim.identity, this.uuid, options, this.socketArgument)
    this.services = new CallServices(this.channel, options, sim.hashes, (cause) => this.hangupChannel(cause))
    this.connections = new CallConnections(this.channel, options, sim, this.clock, this.services, {
      trigger: (on) => this.trigger(on),
      enqueue: (message) => {
        this.commandCount++
        this.queue.push(message)
        this.clock.notify()
      },
      closed: () => this.maybeFinish(),
    })
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve
    })
  }

  /** Every command the router sent, in order (command line, headers, body), on every connection. */
  get received(): readonly Frame[] {
    return this.connections.received
  }

  /** Every frame sent to the router, byte for byte. */
  get sent(): readonly Buffer[] {
    return this.connections.sent
  }

  /** `api` and `bgapi` commands the router sent, as sent. */
  get apiCommands(): readonly string[] {
    return this.connections.apiCommands
  }

  /** The Event Socket connections this call opened (a transfer back into the socket extension opens another). */
  get listeners(): readonly SimListener[] {
    return this.connections.listeners
  }

  /** When things happened (performance.now()): `tcp`, `connect`, `execute:<app>` (first), for latency figures. */
  get marks(): Map<string, number> {
    return this.connections.marks
  }

  /** When the router sent `connect`, in ms (performance.now), for latency figures. */
  get connectedAt(): number | undefined {
    return this.connections.connectedAt
  }

  /** `${api ...}` expansions FreeSWITCH would have run: any entry is an injection. */
  get apiExpansions(): readonly string[] {
    return this.services.apiExpansions
  }

  /** Hook variables FreeSWITCH would have run later (API commands, applications). */
  get hookRuns(): readonly HookRun[] {
    return this.services.hookRuns
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
        const expanded = this.services.expand(bytes(arg))
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
      const next = route(this.channel, (name, options) => this.emit(name, options), transfer, this.options.dialplan, text(transfer.destination))
      // No extension matches the destination: FreeSWITCH hangs up.
      if (next === undefined) this.hangupChannel('NO_ROUTE_DESTINATION')
      actions = next ?? []
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
  private async socketApp(): Promise<AppOutcome> {
    const targets = this.options.socketTargets ?? [`${this.sim.host}:${this.sim.port}`]
    for (const target of targets) {
      if (!this.channel.up || this.finished) return 'returned'
      const colon = target.lastIndexOf(':')
      const park = this.options.parkEvent
      const parkRule: ParkDelivery = Array.isArray(park) ? ((park as readonly ParkDelivery[])[this.listeners.length] ?? 'none') : ((park as ParkDelivery | undefined) ?? this.sim.park)
      const listener = new SimListener(this.connections, parkRule, this.options.lingerNotice ?? this.sim.lingerNotice)
      const listeners = this.connections.listeners
      listeners.push(listener)
      const accepted = await listener.open(target.slice(0, colon), Number(target.slice(colon + 1)))
      this.socketAttempts.push({ target, accepted })
      if (!accepted) {
        listeners.splice(listeners.indexOf(listener), 1)
        continue
      }
      this.marks.set('tcp', performance.now())
      while (!listener.connected && !listener.socketClosed && this.channel.up && !this.finished) await this.clock.signal()
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
        await this.clock.sleep(20)
        await this.drainQueue()
        continue
      }
      if (this.transferTo || listener.released) {
        if (listener.released && !this.transferTo && this.channel.up) this.disposition = 'handed-back'
        return
      }
      await this.clock.signal()
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
      this.transferTo = xferext(this.channel, message.applications)
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
    const arg = disabled ? message.arg : this.services.expand(message.arg)
    if (message.eventLock) this.eventLocks++
    try {
      await this.executeApp(message.app, arg, message.eventUuid)
    } finally {
      if (message.eventLock) this.eventLocks--
    }
    vars.delete('current_loop')
    vars.delete('total_loops')
  }

  private async executeApp(app: string, arg: string, eventUuid: string, announced = false): Promise<AppOutcome> {
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
    let outcome: AppOutcome = 'returned'
    if (app === 'socket') {
      // socket_function sets socket_host as it starts (the first one, too, before anyone listened).
      if (!announced) vars.set('socket_host', arg.split(/[:| ]/)[0])
      outcome = await this.socketApp()
    } else {
      await APPS[app]?.(this.appContext(), arg)
    }
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
    this.clock.notify()
  }

  /** The state machine reports the hang-up once every application has returned. */
  private report(): void {
    const channel = this.channel
    this.queue.length = 0
    channel.vars.delete('current_loop')
    channel.vars.delete('total_loops')
    channel.state = 'CS_HANGUP'
    this.emit('CHANNEL_STATE')
    this.services.runHooks(channel.vars.list(), 'hangup', 'caller')
    channel.state = 'CS_REPORTING'
    channel.callState = 'HANGUP'
    channel.stateNumber = 11
    channel.times.hangup = channel.identity.now()
    this.emit('CHANNEL_STATE')
    setCdrVariables(channel, this.lastApp, this.digitsDialed)
    if (isSip(channel)) sipHangup(channel, !this.callerHungUp)
    this.emit('CHANNEL_HANGUP_COMPLETE', { pre: [['Hangup-Cause', channel.hangupCause ?? 'NORMAL_CLEARING']] })
    this.services.runHooks(channel.vars.list(), 'reporting', 'caller')
    if (this.disposition === 'controlled') this.disposition = 'hungup'
    // Every listener still attached (the controller's, or one kept after a transfer) notices the channel is gone.
    for (const listener of this.listeners) listener.channelGone()
  }

  // ---- what applications use ----

  private appContext(): AppContext {
    return {
      channel: this.channel,
      emit: (eventName, options) => this.emit(eventName, options),
      wait: (ms) => this.wait(ms),
      expand: (value) => this.services.expand(value),
      nextDtmf: () => this.options.dtmf?.[this.dtmfIndex++],
      nextBridgeOutcome: () => this.options.bridge?.[this.bridgeIndex++],
      fileDuration: (file) => this.services.fileDuration(file),
      hangup: (cause) => this.hangupChannel(cause),
      transfer: (destination, dialplan, context) => {
        this.transferTo = transferProfile(this.channel, destination, dialplan, context)
        this.disposition = 'transferred'
      },
      recordBridge: (record) => this.bridges.push(record),
      dtmfPressed: (key) => {
        this.digitsDialed += key
      },
      directory: this.sim.directory,
      runHooks: (variables, moment, leg) => this.services.runHooks(variables, moment, leg),
      preAnswerCaller: () => preAnswer(this.appContext()),
      answerCaller: () => answer(this.appContext()),
      transferring: this.transferTo !== undefined,
    }
  }

  /**
   * Waits simulated ms; false at once if the channel hangs up. Applications
   * that loop on media (playback, read, sleep, bridge) run queued commands
   * nested meanwhile, unless an event lock holds (09b, 09c).
   */
  private async wait(ms: number): Promise<boolean> {
    const deadline = performance.now() + this.clock.real(ms)
    for (;;) {
      if (!this.channel.up || this.finished) return false
      if (this.eventLocks === 0 && this.queue.length > 0) await this.drainQueue()
      if (!this.channel.up || this.finished) return false
      const remaining = deadline - performance.now()
      if (remaining <= 0) return true
      await this.clock.signal(remaining)
    }
  }

  /** Scripted hang-ups (options.hangups) due at this point. */
  private trigger(on: 'connect' | 'command' | 'execute', app?: string, count?: number): void {
    for (const hangup of this.options.hangups ?? []) {
      if (hangup.on !== on) continue
      if (on === 'execute' && (hangup.app !== app || (hangup.nth ?? 1) !== count)) continue
      if (on === 'command' && (hangup.nth ?? 1) !== this.commandCount) continue
      this.clock.schedule(hangup.afterMs ?? 0, () => this.hangup(hangup.cause ?? 'NORMAL_CLEARING'))
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
    this.clock.stop()
    for (const listener of this.listeners) listener.destroy()
    this.resolveDone({
      disposition: this.disposition,
      hangupCause: this.channel.hangupCause,
      answered: this.channel.times.answered > 0,
      bridged: this.bridges.some((bridge) => bridge.outcome === 'answered'),
    })
  }
}

function textMap(snapshot: Map<string, VariableValue>): Map<string, string> {
  const out = new Map<string, string>()
  for (const [name, value] of snapshot) out.set(text(name), text(typeof value === 'string' ? value : (value[0] ?? '')))
  return out
}
