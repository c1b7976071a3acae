/**
 * A real HTTP(S) webhook for tests, on a free port. Each request is recorded
 * and answered by a script: a status and body, or misbehaviour (never answer,
 * drip bytes, reset mid-body, redirect).
 */
import { once } from 'node:events'
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'

export interface RecordedRequest {
  readonly method: string
  /** Path and query as sent. */
  readonly url: string
  readonly headers: IncomingMessage['headers']
  readonly body: string
  /** Query parameters, decoded. */
  readonly query: URLSearchParams
}

export type Reply =
  | {
      readonly status?: number
      readonly headers?: Readonly<Record<string, string>>
      readonly body?: string | Buffer
    }
  /** Accept the request and never answer (the client's deadline must end it). */
  | { readonly hang: true }
  /** Headers at once, then one byte of body at a time, forever (until the client gives up). */
  | { readonly drip: true }
  /** Headers and part of the body, then a TCP reset. */
  | { readonly resetMidBody: true }
  /** 302 to this path (relative to the server). */
  | { readonly redirect: string }

export type Script = (request: RecordedRequest) => Reply | Promise<Reply>

export class WebhookServer {
  readonly requests: RecordedRequest[] = []
  private script: Script = () => ({ body: 'status=ACK' })
  private readonly sockets = new Set<Socket>()
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly waiters = new Set<() => void>()
  /** Requests whose connection went away before the answer was complete (an aborted client). */
  abortedRequests = 0
  /** TCP connections accepted so far (keep-alive reuse shows as few). */
  connections = 0

  private constructor(
    private readonly server: Server,
    readonly protocol: 'http' | 'https',
    readonly host: string,
  ) {
    server.on('connection', (socket: Socket) => {
      this.connections++
      this.sockets.add(socket)
      socket.once('close', () => this.sockets.delete(socket))
    })
    server.on('request', (request: IncomingMessage, response: ServerResponse) => void this.handle(request, response))
  }

  static async start(options: { tls?: { key: string; cert: string }; host?: string } = {}): Promise<WebhookServer> {
    const server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }) : createHttpServer()
    server.keepAliveTimeout = 60_000
    const host = options.host ?? '127.0.0.1'
    const webhook = new WebhookServer(server, options.tls ? 'https' : 'http', host)
    server.listen(0, host)
    await once(server, 'listening')
    return webhook
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port
  }

  /** `http://127.0.0.1:PORT` + path; `host` replaces the address (e.g. `localhost`). */
  url(path = '/', host = this.host): string {
    return `${this.protocol}://${host}:${this.port}${path}`
  }

  /** Replaces how requests are answered. */
  reply(script: Script | Reply): void {
    this.script = typeof script === 'function' ? script : () => script
  }

  /** Resolves once `count` requests have arrived in total. */
  async waitForRequests(count: number): Promise<void> {
    while (this.requests.length < count) await new Promise<void>((resolve) => this.waiters.add(resolve))
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer)
    for (const socket of this.sockets) socket.destroy()
    this.server.close()
    await once(this.server, 'close')
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const url = request.url ?? '/'
    const recorded: RecordedRequest = {
      method: request.method ?? '',
      url,
      headers: request.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      query: new URL(url, 'http://webhook').searchParams,
    }
    this.requests.push(recorded)
    for (const wake of this.waiters) wake()
    this.waiters.clear()
    response.once('close', () => {
      if (!response.writableFinished) this.abortedRequests++
    })

    const reply = await this.script(recorded)
    if ('hang' in reply) return
    if ('redirect' in reply) {
      response.writeHead(302, { location: reply.redirect, 'content-length': '0' }).end()
      return
    }
    if ('drip' in reply) {
      response.writeHead(200, { 'content-type': 'text/plain' })
      response.write('status=')
      const timer = setInterval(() => response.write('A'), 5)
      this.timers.add(timer)
      response.once('close', () => {
        clearInterval(timer)
        this.timers.delete(timer)
      })
      return
    }
    if ('resetMidBody' in reply) {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '200' })
      response.write('status=AC', () => response.socket?.resetAndDestroy())
      return
    }
    const body = reply.body ?? ''
    response.writeHead(reply.status ?? 200, { 'content-type': 'application/x-www-form-urlencoded', ...reply.headers })
    response.end(body)
  }
}
