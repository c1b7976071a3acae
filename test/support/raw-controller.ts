/**
 * A bare Event Socket controller for simulator tests: a TCP server the
 * simulator's socket application connects to, and per connection a handle
 * that writes raw commands and parses what "FreeSWITCH" sends. Every wait
 * has a deadline and names what did not happen.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { Frame, FrameParser } from '../../src/esl/frame-parser.ts'

export class RawConnection {
  readonly frames: Frame[] = []
  readonly closed: Promise<void>
  private readonly parser = new FrameParser({ maxFrameBytes: 1 << 26 })
  private readonly watchers = new Set<() => void>()
  private ended = false

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      const frames = this.parser.push(chunk)
      if (frames instanceof Error) throw frames
      this.frames.push(...frames)
      this.wake()
    })
    socket.on('error', () => {})
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.ended = true
        this.wake()
        resolve()
      }),
    )
  }

  send(text: string): void {
    this.socket.write(text)
  }

  /** Stops reading: the kernel buffers fill, then FreeSWITCH's writes block. */
  stopReading(): void {
    this.socket.pause()
  }

  /** Reads again (and so notices a close that happened meanwhile). */
  resumeReading(): void {
    this.socket.resume()
  }

  get isClosed(): boolean {
    return this.ended
  }

  /** Resolves once `predicate` holds over the frames received so far; rejects after `ms` naming `what`. */
  async until(predicate: (frames: readonly Frame[]) => boolean, what: string, ms = 5000): Promise<void> {
    if (predicate(this.frames)) return
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (predicate(this.frames)) {
          finish()
          resolve()
        } else if (this.ended) {
          finish()
          reject(new Error(`${what}: the connection closed first (${this.frames.length} frames: ${this.frames.map(describe).join(', ')})`))
        }
      }
      const timer = setTimeout(() => {
        finish()
        reject(new Error(`${what}: not within ${ms} ms (${this.frames.length} frames: ${this.frames.map(describe).join(', ')})`))
      }, ms)
      const finish = (): void => {
        clearTimeout(timer)
        this.watchers.delete(check)
      }
      this.watchers.add(check)
      check()
    })
  }

  /** Waits for the connection to close, with a deadline. */
  async untilClosed(what: string, ms = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      this.closed,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: still open after ${ms} ms`)), ms)
      }),
    ]).finally(() => clearTimeout(timer))
  }

  private wake(): void {
    for (const watcher of [...this.watchers]) watcher()
  }
}

export class RawControllerServer {
  readonly connections: RawConnection[] = []
  private readonly waiting = new Set<() => void>()

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {
    server.on('connection', (socket) => {
      this.connections.push(new RawConnection(socket))
      for (const wake of [...this.waiting]) wake()
    })
  }

  static async listen(): Promise<RawControllerServer> {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return new RawControllerServer(server, (server.address() as AddressInfo).port)
  }

  /** The nth connection (0-based), once it is accepted. */
  async connection(index: number, ms = 5000): Promise<RawConnection> {
    const existing = this.connections[index]
    if (existing) return existing
    return await new Promise<RawConnection>((resolve, reject) => {
      const check = (): void => {
        const connection = this.connections[index]
        if (!connection) return
        clearTimeout(timer)
        this.waiting.delete(check)
        resolve(connection)
      }
      const timer = setTimeout(() => {
        this.waiting.delete(check)
        reject(new Error(`connection #${index + 1} not accepted within ${ms} ms`))
      }, ms)
      this.waiting.add(check)
    })
  }

  async close(): Promise<void> {
    for (const connection of this.connections) connection.socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

/** The event name of an event frame (plain or JSON), else undefined. */
export function eventName(frame: Frame): string | undefined {
  if (frame.contentType === 'text/event-json') return (JSON.parse(frame.body.toString('utf8')) as Record<string, string>)['Event-Name']
  if (frame.contentType === 'text/event-plain') return /^Event-Name: (\S+)/.exec(frame.body.toString('latin1'))?.[1]
  return undefined
}

/** A header of a JSON event. */
export function eventHeader(frame: Frame, name: string): string | undefined {
  if (frame.contentType !== 'text/event-json') return undefined
  const value = (JSON.parse(frame.body.toString('utf8')) as Record<string, unknown>)[name]
  return typeof value === 'string' ? value : undefined
}

/** One short label per frame: event name, reply text or notice kind. */
export function describe(frame: Frame): string {
  const event = eventName(frame)
  if (event) return event
  if (frame.contentType === 'text/disconnect-notice') return `notice:${frame.header('Content-Disposition') ?? '?'}`
  if (frame.contentType === 'command/reply') return `reply:${frame.header('Reply-Text') ?? ''}`
  if (frame.contentType === 'api/response') return `api:${frame.body.toString('latin1').trim()}`
  return frame.contentType ?? '?'
}

/** A sendmsg execute with event-lock and the argument as a body, as a careful controller writes it. */
export function execute(app: string, arg = '', uuid = app): string {
  const body = Buffer.from(arg)
  return `sendmsg\ncall-command: execute\nexecute-app-name: ${app}\nevent-lock: true\nEvent-UUID: ${uuid}\n${
    body.length > 0 ? `content-type: text/plain\ncontent-length: ${body.length}\n\n${arg}` : '\n'
  }`
}
