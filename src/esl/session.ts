/**
 * One call's outbound Event Socket connection. It sends `connect` the moment
 * it exists, subscribes to the channel's events in JSON and asks FreeSWITCH to
 * linger, then correlates replies (strictly FIFO) and executes (by
 * Event-UUID). Every wait ends on the first of: its answer, the hang-up, a
 * disconnect notice, the socket closing, or its deadline. Failures are
 * returned as `EslError` values, never thrown.
 */
import { randomUUID } from 'node:crypto'
import type { Socket } from 'node:net'
import { EslError } from '../errors.ts'
import { silentLogger, type Logger } from '../logger.ts'
import { parseChannelData, type ChannelData } from './channel-data.ts'
import {
  apiCommand,
  bgapiCommand,
  connectCommand,
  executeCommand,
  exitCommand,
  hangupCommand,
  lingerCommand,
  myEventsCommand,
} from './commands.ts'
import { DEFAULT_MAX_FRAME_BYTES, FrameParser, type Frame } from './frame-parser.ts'
import { FrameWriter } from './frame-writer.ts'
import { toMessage, type EslEvent } from './messages.ts'
import { ReplyQueue, type ReplyMessage } from './reply-queue.ts'
import { isVariableName, unsafeValueReason } from './variables.ts'

export interface SessionOptions {
  /** `linger N`: seconds FreeSWITCH keeps the socket after the hang-up, so the final events arrive. */
  readonly lingerSeconds: number
  /** How long FreeSWITCH gets to answer `connect`. */
  readonly connectTimeoutMs: number
  /** After the hang-up, how long to wait for CHANNEL_HANGUP_COMPLETE before closing the socket ourselves. */
  readonly hangupGraceMs: number
  /** After `exit` or our FIN, how long before the socket is destroyed if FreeSWITCH has not closed it. */
  readonly closeTimeoutMs: number
  readonly maxFrameBytes: number
  /** Output queued for a peer that stopped reading; beyond it the session is closed. */
  readonly maxPendingWriteBytes: number
  /**
   * FreeSWITCH answers every command at once (`+OK` for a sendmsg, the result
   * of an api): a peer that leaves one unanswered this long is broken and the
   * session is given up, so a silent peer cannot hold a call for ever.
   */
  readonly replyTimeoutMs: number
  readonly logger: Logger
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = {
  lingerSeconds: 5,
  connectTimeoutMs: 5000,
  hangupGraceMs: 1000,
  closeTimeoutMs: 2000,
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  maxPendingWriteBytes: 1024 * 1024,
  replyTimeoutMs: 10_000,
  logger: silentLogger,
}

/** Per session, how many lines of one kind of peer misbehaviour are logged before they are only counted. */
const WARNINGS_PER_KIND = 3

/** An absolute deadline (`Date.now()` milliseconds) for one operation. */
export interface WaitOptions {
  readonly deadline?: number
}

type SessionState = 'connecting' | 'active' | 'hungup' | 'closing' | 'closed'

/** How the session ended, for the call's summary line. */
export interface SessionEnd {
  readonly uniqueId: string | undefined
  /** The channel's Hangup-Cause when it hung up while we held it. */
  readonly hangupCause: string | undefined
  /** What ended our control: hangup, disconnected (exit or FreeSWITCH closing), closed, control_lost, protocol... */
  readonly reason: EslError['code']
}


interface ExecuteWaiter {
  readonly app: string
  readonly resolve: (result: EslEvent | EslError) => void
  timer: NodeJS.Timeout | undefined
}

export class EslSession {
  readonly remoteAddress: string
  private readonly options: SessionOptions
  private readonly parser: FrameParser
  private readonly replies: ReplyQueue
  private readonly executes = new Map<string, ExecuteWaiter>()
  private readonly eventListeners = new Set<(event: EslEvent) => void>()
  private readonly hangupWaiters = new Set<(result: undefined | EslError) => void>()
  private readonly abortController = new AbortController()
  private state: SessionState = 'connecting'
  private channelData: ChannelData | undefined
  private log: Logger
  private endReason: EslError | undefined
  private hangupCauseValue: string | undefined
  private hangupCompleteSeen = false
  private bridgedValue = false
  private readonly readyPromise: Promise<ChannelData | EslError>
  private resolveReady!: (result: ChannelData | EslError) => void
  private readonly endedPromise: Promise<SessionEnd>
  private resolveEnded!: (end: SessionEnd) => void
  private connectTimer: NodeJS.Timeout | undefined
  private graceTimer: NodeJS.Timeout | undefined
  private closeTimer: NodeJS.Timeout | undefined
  private readonly writer: FrameWriter
  /** Peer misbehaviour seen, by kind, so a flood of junk costs a few log lines, not one each. */
  private readonly warnings = new Map<string, number>()

  private constructor(
    private readonly socket: Socket,
    options: Partial<SessionOptions>,
  ) {
    this.options = { ...DEFAULT_SESSION_OPTIONS, ...options }
    this.log = this.options.logger
    this.parser = new FrameParser({ maxFrameBytes: this.options.maxFrameBytes })
    this.remoteAddress = socket.remoteAddress ?? ''
    this.readyPromise = new Promise((resolve) => {
      this.resolveReady = resolve
    })
    this.endedPromise = new Promise((resolve) => {
      this.resolveEnded = resolve
    })
    this.replies = new ReplyQueue(this.options.replyTimeoutMs, (command) => {
      this.log.warn({ command, ms: this.options.replyTimeoutMs }, 'FreeSWITCH left a command unanswered, closing')
      this.abandon(new EslError('protocol', `no reply to ${command} within ${this.options.replyTimeoutMs} ms`))
    })
    this.writer = new FrameWriter(socket, this.options.maxPendingWriteBytes, (queuedBytes) => {
      this.log.warn({ queuedBytes }, 'FreeSWITCH stopped reading, closing')
      this.abandon(new EslError('backpressure', 'output queue over its cap'))
    })
    socket.on('data', this.onData)
    socket.on('error', this.onSocketError)
    socket.on('close', this.onSocketClose)
  }

  /** Takes over an accepted socket and sends `connect` immediately, before anything else. */
  static start(socket: Socket, options: Partial<SessionOptions> = {}): EslSession {
    const session = new EslSession(socket, options)
    session.sendConnect()
    return session
  }

  /** The channel data from the connect reply, or why the handshake failed. */
  ready(): Promise<ChannelData | EslError> {
    return this.readyPromise
  }

  /** Resolves once the socket is closed and everything the session held is released. */
  get ended(): Promise<SessionEnd> {
    return this.endedPromise
  }

  get channel(): ChannelData | undefined {
    return this.channelData
  }

  /** Aborted the moment the call hangs up or control ends: pass it to work done for this call. */
  get signal(): AbortSignal {
    return this.abortController.signal
  }

  /** True while commands can be sent and the channel is up. */
  get isActive(): boolean {
    return this.state === 'active'
  }

  get hungUp(): boolean {
    return this.hangupCauseValue !== undefined
  }

  get hangupCause(): string | undefined {
    return this.hangupCauseValue
  }

  /** True once FreeSWITCH reported CHANNEL_BRIDGE for this channel. */
  get bridged(): boolean {
    return this.bridgedValue
  }

  /** Calls `listener` for every event of this channel until the session ends; returns an unsubscribe. */
  onEvent(listener: (event: EslEvent) => void): () => void {
    if (this.state === 'closed') return () => {}
    this.eventListeners.add(listener)
    return () => this.eventListeners.delete(listener)
  }

  /**
   * Runs a dialplan application and resolves with its CHANNEL_EXECUTE_COMPLETE.
   * Untrusted text must not reach `arg` unfiltered: FreeSWITCH expands `${...}` in it.
   * Calls made without awaiting are pipelined and run in order (event-lock).
   */
  execute(app: string, arg = '', options: WaitOptions = {}): Promise<EslEvent | EslError> {
    const unavailable = this.unavailable()
    if (unavailable) return Promise.resolve(unavailable)
    const eventUuid = randomUUID()
    const frame = executeCommand(app, arg, eventUuid)
    if (frame instanceof EslError) return Promise.resolve(frame)
    return new Promise((resolve) => {
      const waiter: ExecuteWaiter = { app, resolve, timer: undefined }
      this.executes.set(eventUuid, waiter)
      waiter.timer = this.deadlineTimer(options.deadline, () =>
        this.finishExecute(eventUuid, new EslError('deadline', `${app} did not complete before its deadline`)),
      )
      this.sendCommand(frame, undefined, (reply) => {
        if (reply instanceof EslError) return // the execute wait ends on its own signals
        if (reply.kind === 'reply' && reply.text.startsWith('-ERR')) {
          this.finishExecute(eventUuid, new EslError('rejected', `${app}: ${reply.text}`))
        }
      })
    })
  }

  /** Runs an API command over this socket (`api`, needs `full`); resolves with its output. */
  api(command: string, args = '', options: WaitOptions = {}): Promise<string | EslError> {
    const unavailable = this.unavailable()
    if (unavailable) return Promise.resolve(unavailable)
    const frame = apiCommand(command, args)
    if (frame instanceof EslError) return Promise.resolve(frame)
    return new Promise((resolve) => {
      this.sendCommand(frame, options.deadline, (reply) => {
        if (reply instanceof EslError) resolve(reply)
        else if (reply.kind === 'api') resolve(reply.body)
        else resolve(new EslError('rejected', `${command}: ${reply.text}`))
      })
    })
  }

  /**
   * Starts an API command in the background (`bgapi`) and resolves with its Job-UUID.
   * Its result arrives as a BACKGROUND_JOB event, which `myevents` does not deliver.
   */
  bgapi(command: string, args = ''): Promise<string | EslError> {
    const unavailable = this.unavailable()
    if (unavailable) return Promise.resolve(unavailable)
    const jobUuid = randomUUID()
    const frame = bgapiCommand(command, args, jobUuid)
    if (frame instanceof EslError) return Promise.resolve(frame)
    return new Promise((resolve) => {
      this.sendCommand(frame, undefined, (reply) => {
        if (reply instanceof EslError) resolve(reply)
        else if (reply.kind === 'reply' && reply.text.startsWith('+OK')) resolve(jobUuid)
        else resolve(new EslError('rejected', `bgapi ${command}: ${reply.kind === 'reply' ? reply.text : reply.body}`))
      })
    })
  }

  /**
   * Sets channel variables with one `uuid_setvar_multi`, which stores values
   * without expanding them. Values must already be inert (see `variables.ts`);
   * an unsafe one is refused before anything is sent. An empty value unsets.
   */
  setVariables(variables: Readonly<Record<string, string>>, options: WaitOptions = {}): Promise<undefined | EslError> {
    const channel = this.channelData
    if (!channel) return Promise.resolve(new EslError('closed', 'the session is not connected'))
    const pairs: string[] = []
    for (const [name, value] of Object.entries(variables)) {
      if (!isVariableName(name)) {
        return Promise.resolve(new EslError('invalid_argument', `bad variable name ${JSON.stringify(name)}`))
      }
      const reason = unsafeValueReason(value)
      if (reason) return Promise.resolve(new EslError('invalid_argument', `value of ${name} ${reason}`))
      pairs.push(`${name}=${value}`)
    }
    if (pairs.length === 0) return Promise.resolve(undefined)
    // uuid_setvar_multi takes at most 64 assignments per call.
    const batches: Array<Promise<string | EslError>> = []
    for (let i = 0; i < pairs.length; i += 60) {
      batches.push(this.api('uuid_setvar_multi', `${channel.uniqueId} ${pairs.slice(i, i + 60).join(';')}`, options))
    }
    return Promise.all(batches).then((results) => {
      for (const result of results) {
        if (result instanceof EslError) return result
        if (!result.startsWith('+OK')) return new EslError('rejected', `uuid_setvar_multi: ${result.trim()}`)
      }
      return undefined
    })
  }

  /**
   * Hangs up the channel with `cause` and resolves once the hang-up is seen
   * (or the session ends). With `full` control this is `api uuid_kill`, which
   * acts at once; a `sendmsg` hangup would wait behind a running
   * event-locked application.
   */
  hangup(cause = 'NORMAL_CLEARING', options: WaitOptions = {}): Promise<undefined | EslError> {
    if (this.hungUp) return Promise.resolve(undefined)
    const unavailable = this.unavailable()
    if (unavailable) return Promise.resolve(unavailable)
    const channel = this.channelData
    const frame =
      channel?.control === 'full' ? (/^[A-Z][A-Z0-9_]*$/.test(cause) ? apiCommand('uuid_kill', `${channel.uniqueId} ${cause}`) : hangupCommand(cause)) : hangupCommand(cause)
    if (frame instanceof EslError) return Promise.resolve(frame)
    return new Promise((resolve) => {
      const done = (result: undefined | EslError): void => {
        if (!this.hangupWaiters.delete(done)) return
        resolve(result)
      }
      this.hangupWaiters.add(done)
      this.sendCommand(frame, options.deadline, (reply) => {
        if (reply instanceof EslError) {
          if (reply.code !== 'hangup') done(reply)
          return
        }
        const text = reply.kind === 'reply' ? reply.text : reply.body
        if (!text.startsWith('+OK') && !this.hungUp) done(new EslError('rejected', `hangup: ${text.trim()}`))
      })
    })
  }

  /**
   * Gives the call back to the dialplan: `exit` makes the socket application
   * return, so FreeSWITCH continues with the next dialplan action (an app
   * already running, e.g. a bridge, finishes first). Resolves when closed.
   */
  handBack(): Promise<SessionEnd> {
    if (this.state === 'active') {
      const frame = exitCommand()
      if (!(frame instanceof EslError)) this.sendCommand(frame, undefined, () => {})
      // Commands sent before `exit` are still answered, in order, before its `+OK bye`.
      this.beginClosing(new EslError('disconnected', 'handed back to the dialplan'), false, { keepReplies: true })
    } else {
      this.close()
    }
    return this.endedPromise
  }

  /** Closes the socket (FIN, then destroy if FreeSWITCH lingers); resolves when released. */
  close(): Promise<SessionEnd> {
    if (this.state !== 'closed') this.beginClosing(new EslError('closed', 'closed by the router'), true)
    return this.endedPromise
  }

  /** What the session still holds, for leak tests. */
  debugState(): { replies: number; executes: number; listeners: number; timers: number; queuedBytes: number } {
    const timers = [this.connectTimer, this.graceTimer, this.closeTimer].filter((timer) => timer !== undefined).length + (this.replies.watching ? 1 : 0)
    return {
      replies: this.replies.size,
      executes: this.executes.size,
      listeners: this.eventListeners.size + this.hangupWaiters.size,
      timers,
      queuedBytes: this.writer.queuedBytes,
    }
  }

  // ---- handshake ----

  private sendConnect(): void {
    const frame = connectCommand()
    if (frame instanceof EslError) return
    this.connectTimer = setTimeout(() => {
      this.connectTimer = undefined
      this.abandon(new EslError('protocol', `no connect reply within ${this.options.connectTimeoutMs} ms`))
    }, this.options.connectTimeoutMs)
    this.sendCommand(frame, undefined, (reply) => this.onConnectReply(reply))
  }

  private onConnectReply(reply: ReplyMessage | EslError): void {
    clearTimeout(this.connectTimer)
    this.connectTimer = undefined
    if (reply instanceof EslError) {
      this.resolveReady(reply)
      return
    }
    const channel = reply.kind === 'reply' ? parseChannelData(reply.frame) : new EslError('protocol', 'connect answered by an api response')
    if (channel instanceof EslError) {
      this.abandon(channel)
      return
    }
    this.channelData = channel
    this.log = this.log.child({ call: channel.uniqueId })
    this.state = 'active'
    if (channel.control !== 'full') {
      this.log.warn({ control: channel.control }, 'socket application lacks "full": linger and api are refused')
    }
    // Pipelined: FreeSWITCH handles commands in order, so events are on before any later execute runs.
    for (const frame of [myEventsCommand(), lingerCommand(this.options.lingerSeconds)]) {
      if (frame instanceof EslError) continue
      this.sendCommand(frame, undefined, (setupReply) => {
        if (setupReply instanceof EslError) return
        const text = setupReply.kind === 'reply' ? setupReply.text : setupReply.body
        if (!text.startsWith('+OK')) this.log.warn({ reply: text }, 'session setup command refused')
      })
    }
    this.resolveReady(channel)
  }

  // ---- inbound ----

  private readonly onData = (chunk: Buffer): void => {
    const frames = this.parser.push(chunk)
    if (frames instanceof Error) {
      this.log.warn({ err: frames.message.slice(0, 200), code: frames.code }, 'unframeable Event Socket input, closing')
      this.abandon(new EslError('protocol', frames.message))
      return
    }
    for (const frame of frames) {
      this.onFrame(frame)
      if (this.state === 'closed') return
    }
  }

  private onFrame(frame: Frame): void {
    const message = toMessage(frame)
    switch (message.kind) {
      case 'reply':
      case 'api':
        this.onReply(message)
        return
      case 'event':
        this.onChannelEvent(message.event)
        return
      case 'disconnect':
        this.onDisconnectNotice(message.disposition)
        return
      case 'malformed':
        this.warnOnce('malformed', { reason: message.reason.slice(0, 200) }, 'ignored an undecodable event')
        return
      case 'other':
        this.log.debug({ contentType: message.contentType }, 'ignored a frame')
        return
    }
  }

  private onReply(message: ReplyMessage): void {
    if (!this.replies.answer(message)) this.warnOnce('unexpected_reply', { kind: message.kind }, 'a reply arrived with no command waiting for it')
  }

  /** Logs the first few of each kind of peer misbehaviour; the rest are counted and summed up at the end. */
  private warnOnce(kind: string, fields: Record<string, unknown>, message: string): void {
    const seen = (this.warnings.get(kind) ?? 0) + 1
    this.warnings.set(kind, seen)
    if (seen <= WARNINGS_PER_KIND) this.log.warn(fields, seen === WARNINGS_PER_KIND ? `${message} (further ones are counted, not logged)` : message)
  }

  private onChannelEvent(event: EslEvent): void {
    const channel = this.channelData
    // myevents filters on Unique-ID already; this also guards against a peer that does not.
    if (channel && event.uniqueId !== undefined && event.uniqueId !== channel.uniqueId) return
    switch (event.name) {
      case 'CHANNEL_EXECUTE_COMPLETE': {
        const id = event.get('Application-UUID')
        if (id !== undefined && this.executes.has(id)) this.finishExecute(id, event)
        else if (event.get('Application') === 'socket' && this.state === 'active') {
          // The socket application also returns when the caller hangs up (Answer-State: hangup, J2,
          // 06a); when that hang-up came before myevents took effect, this is the only sign of it.
          if (event.get('Answer-State') === 'hangup') this.onHangup(event.get('Hangup-Cause') ?? 'NORMAL_CLEARING')
          else this.onControlLost()
        }
        break
      }
      case 'CHANNEL_BRIDGE':
        this.bridgedValue = true
        break
      case 'CHANNEL_HANGUP':
        this.onHangup(event.get('Hangup-Cause') ?? 'NORMAL_CLEARING')
        break
      case 'CHANNEL_HANGUP_COMPLETE':
        this.onHangup(event.get('Hangup-Cause') ?? 'NORMAL_CLEARING')
        this.hangupCompleteSeen = true
        break
    }
    for (const listener of this.eventListeners) {
      try {
        listener(event)
      } catch (error) {
        this.log.error({ err: error }, 'event listener threw')
      }
    }
    if (this.hangupCompleteSeen && this.state === 'hungup') {
      this.beginClosing(new EslError('hangup', 'the call hung up'), true)
    }
  }

  private onDisconnectNotice(disposition: string): void {
    if (disposition === 'linger') {
      // FreeSWITCH saw the channel go down; it may still send the last events.
      this.onHangup(this.hangupCauseValue ?? 'NORMAL_CLEARING')
      return
    }
    this.beginClosing(new EslError('disconnected', 'FreeSWITCH sent its disconnect notice'), false)
  }

  private onHangup(cause: string): void {
    if (this.hangupCauseValue === undefined) this.hangupCauseValue = cause
    for (const waiter of [...this.hangupWaiters]) waiter(undefined)
    if (this.state !== 'active' && this.state !== 'connecting') return
    this.state = 'hungup'
    const error = new EslError('hangup', `the call hung up (${this.hangupCauseValue})`)
    this.endReason ??= error
    this.abortController.abort(error)
    this.endAllWaits(error)
    // Close once CHANNEL_HANGUP_COMPLETE arrived, or after a grace period if it never does.
    this.graceTimer = setTimeout(() => {
      this.graceTimer = undefined
      this.beginClosing(error, true)
    }, this.options.hangupGraceMs)
  }

  /** The socket application returned while the call is up (transfer...): the call is not ours any more. */
  private onControlLost(): void {
    this.log.debug({}, 'socket application returned: control lost')
    this.beginClosing(new EslError('control_lost', 'the channel left the socket application'), true)
  }

  // ---- outbound ----

  private sendCommand(frame: Buffer, deadline: number | undefined, settle: (result: ReplyMessage | EslError) => void): void {
    this.replies.add(commandName(frame), deadline, settle, () => new EslError('deadline', 'no reply before the deadline'))
    this.writer.write(frame)
  }

  // ---- completion and teardown ----

  private unavailable(): EslError | undefined {
    switch (this.state) {
      case 'active':
        return undefined
      case 'connecting':
        return new EslError('closed', 'the session is not connected yet')
      case 'hungup':
        return new EslError('hangup', `the call hung up (${this.hangupCauseValue ?? 'unknown cause'})`)
      default:
        return this.endReason ?? new EslError('closed', 'the session is closed')
    }
  }

  private deadlineTimer(deadline: number | undefined, onExpire: () => void): NodeJS.Timeout | undefined {
    if (deadline === undefined) return undefined
    return setTimeout(onExpire, Math.max(0, deadline - Date.now()))
  }

  private finishExecute(eventUuid: string, result: EslEvent | EslError): void {
    const waiter = this.executes.get(eventUuid)
    if (!waiter) return
    this.executes.delete(eventUuid)
    clearTimeout(waiter.timer)
    waiter.resolve(result)
  }

  /**
   * Ends every pending wait with `error`. Reply waiters stay queued so later
   * replies still line up; with `keepReplies` they are left to their replies.
   */
  private endAllWaits(error: EslError, keepReplies = false): void {
    for (const id of [...this.executes.keys()]) this.finishExecute(id, error)
    if (keepReplies) return
    this.replies.endAll(error)
  }

  /** Stops accepting commands and closes: FIN now (`fin`) or after FreeSWITCH's own close (exit). */
  private beginClosing(reason: EslError, fin: boolean, options: { keepReplies?: boolean } = {}): void {
    if (this.state === 'closed') return
    this.endReason ??= reason
    if (this.state !== 'closing') {
      this.state = 'closing'
      if (!this.abortController.signal.aborted) this.abortController.abort(reason)
    }
    this.endAllWaits(reason, options.keepReplies)
    clearTimeout(this.graceTimer)
    this.graceTimer = undefined
    if (fin && !this.socket.destroyed && !this.socket.writableEnded) this.socket.end()
    if (this.closeTimer === undefined) {
      this.closeTimer = setTimeout(() => {
        this.closeTimer = undefined
        this.socket.destroy()
      }, this.options.closeTimeoutMs)
    }
  }

  /** Gives up on the connection at once (protocol violation, no reply, backpressure). */
  private abandon(reason: EslError): void {
    this.endReason ??= reason
    this.socket.destroy()
  }

  private readonly onSocketError = (error: Error): void => {
    this.log.debug({ err: error.message }, 'socket error')
  }

  private readonly onSocketClose = (): void => {
    if (this.state === 'closed') return
    const reason = this.endReason ?? new EslError('closed', 'FreeSWITCH closed the socket')
    this.state = 'closed'
    if (!this.abortController.signal.aborted) this.abortController.abort(reason)
    this.resolveReady(reason)
    this.endAllWaits(reason)
    for (const waiter of [...this.hangupWaiters]) waiter(this.hangupCauseValue === undefined ? reason : undefined)
    this.replies.clear()
    clearTimeout(this.connectTimer)
    clearTimeout(this.graceTimer)
    clearTimeout(this.closeTimer)
    this.connectTimer = this.graceTimer = this.closeTimer = undefined
    const suppressed = [...this.warnings].filter(([, count]) => count > WARNINGS_PER_KIND)
    if (suppressed.length > 0) this.log.warn(Object.fromEntries(suppressed), 'peer misbehaviour counted on this connection')
    this.writer.release()
    this.eventListeners.clear()
    this.socket.off('data', this.onData)
    this.socket.off('close', this.onSocketClose)
    // 'error' stays attached: a late error on a destroyed socket must not become an uncaught exception.
    this.resolveEnded({
      uniqueId: this.channelData?.uniqueId,
      hangupCause: this.hangupCauseValue,
      reason: reason.code,
    })
  }
}

/** The command a frame carries (`sendmsg`, `api uuid_setvar_multi`...), for logs: never its arguments. */
function commandName(frame: Buffer): string {
  const line = frame.subarray(0, Math.min(frame.length, 64)).toString('latin1').split('\n', 1)[0] ?? ''
  const [verb, second] = line.split(' ')
  return verb === 'api' || verb === 'bgapi' ? `${verb} ${second ?? ''}`.trim() : (verb ?? '')
}
