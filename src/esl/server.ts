/**
 * The outbound Event Socket server FreeSWITCH's `socket` application connects
 * to. A connection from an allowed peer becomes an `EslSession` at once (which
 * sends `connect` before any other work); others are closed unanswered. When a
 * call's handler returns or throws while the session still holds the call,
 * the call is handed back to the dialplan, so no call is ever left parked.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { silentLogger, type Logger } from '../logger.ts'
import type { AllowList } from '../net/allow-list.ts'
import { EslSession, type SessionOptions } from './session.ts'

/** On close, how long handlers may take to unwind once their calls are handed back. */
const HANDLER_UNWIND_MS = 5000

export interface EslServerOptions {
  readonly host: string
  readonly port: number
  readonly allow: AllowList
  readonly onSession: (session: EslSession) => Promise<void> | void
  readonly session?: Partial<SessionOptions>
  readonly logger?: Logger
}

export interface CloseOptions {
  /** How long calls in progress may keep running before they are handed back. */
  readonly drainMs?: number
  /**
   * Hand back bridged calls at once instead of waiting for the conversation to
   * end: the bridge goes on in FreeSWITCH (an `exit` lets the running
   * application finish) and `hangup_after_bridge` ends the call afterwards.
   */
  readonly handBackBridged?: boolean
}

export class EslServer {
  private readonly server: Server
  private readonly sessions = new Set<EslSession>()
  private readonly pendingHandlers = new Set<Promise<void>>()
  private readonly log: Logger
  private accepting = false

  constructor(private readonly options: EslServerOptions) {
    this.log = options.logger ?? silentLogger
    this.server = createServer({ noDelay: true, keepAlive: true }, (socket) => this.onConnection(socket))
    this.server.on('error', (error) => this.log.error({ err: error.message }, 'event socket server error'))
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free one). */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error)
      this.server.once('error', onError)
      this.server.listen({ host: this.options.host, port: this.options.port }, () => {
        this.server.off('error', onError)
        this.accepting = true
        resolve(this.server.address() as AddressInfo)
      })
    })
  }

  /** Calls currently held. */
  get activeSessions(): number {
    return this.sessions.size
  }

  get listening(): boolean {
    return this.accepting
  }

  /**
   * Stops accepting first (a connection that is accepted is always served),
   * lets calls in progress finish for up to `drainMs`, hands the rest back to
   * the dialplan, and resolves when every socket is closed.
   */
  async close(options: CloseOptions = {}): Promise<void> {
    // server.close() stops accepting at once; its callback only fires when every connection is gone.
    const closed = new Promise<void>((resolve) => {
      if (!this.accepting) resolve()
      else this.server.close(() => resolve())
    })
    if (this.accepting) this.log.info({ activeCalls: this.sessions.size }, 'event socket server closed: no new calls')
    this.accepting = false
    const unsubscribe: Array<() => void> = []
    if (options.handBackBridged) {
      for (const session of this.sessions) {
        if (session.bridged) void session.handBack()
        else unsubscribe.push(session.onEvent((event) => event.name === 'CHANNEL_BRIDGE' && void session.handBack()))
      }
    }
    const drainMs = options.drainMs ?? 0
    if (this.sessions.size > 0 && drainMs > 0) await waitAtMost(Promise.all([...this.sessions].map((session) => session.ended)), drainMs)
    for (const stop of unsubscribe) stop()
    await Promise.all([...this.sessions].map((session) => session.handBack()))
    await closed
    // Let every call's handler finish (its summary, its metrics) before the caller closes what they
    // use. Their waits have all ended by now; the bound only guards against a handler that hangs.
    await waitAtMost(Promise.all([...this.pendingHandlers]), HANDLER_UNWIND_MS)
  }

  /** Handlers still running (a handler may outlive its session while it unwinds). */
  get runningHandlers(): number {
    return this.pendingHandlers.size
  }

  private onConnection(socket: Socket): void {
    const peer = socket.remoteAddress ?? ''
    // A connection delivered here is always served, even while closing: dropping it
    // before `connect` would leave FreeSWITCH's channel parked for good.
    if (!this.options.allow.allows(peer)) {
      this.log.warn({ peer }, 'refused an event socket connection from a peer not in ESL_ALLOW')
      socket.destroy()
      return
    }
    const session = EslSession.start(socket, { ...this.options.session, logger: this.log })
    this.sessions.add(session)
    void session.ended.then(() => this.sessions.delete(session))
    const handler = this.runHandler(session)
    this.pendingHandlers.add(handler)
    void handler.then(() => this.pendingHandlers.delete(handler))
  }

  private async runHandler(session: EslSession): Promise<void> {
    try {
      await this.options.onSession(session)
    } catch (error) {
      this.log.error({ err: error instanceof Error ? error.stack : String(error), peer: session.remoteAddress }, 'call handler failed')
    }
    // Safety net: a call still under our control goes back to the dialplan.
    if (session.isActive) await session.handBack()
  }
}

/** Resolves when `promise` settles or after `ms`, whichever comes first, leaving no timer behind. */
async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    promise,
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms)
    }),
  ])
  clearTimeout(timer)
}
