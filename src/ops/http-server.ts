/**
 * The operations endpoints on HTTP_PORT: `/healthz` (the process answers),
 * `/readyz` (it can take calls: socket server listening, not shutting down,
 * Redis reachable or configs cached), `/metrics` (Prometheus text format).
 */
import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from '../logger.ts'

export interface Readiness {
  readonly ready: boolean
  /** Why not, for the operator reading the probe's body. */
  readonly reasons: readonly string[]
}

export interface OpsHandlers {
  readiness(): Readiness
  metrics(): Promise<{ contentType: string; body: string }>
}

export class OpsServer {
  private readonly server: Server

  constructor(
    private readonly handlers: OpsHandlers,
    private readonly logger: Logger,
  ) {
    this.server = createServer((request, response) => void this.handle(request, response))
    this.server.on('error', (error) => logger.error({ err: error.message }, 'operations server error'))
  }

  async listen(host: string, port: number): Promise<AddressInfo> {
    this.server.listen({ host, port })
    await Promise.race([
      once(this.server, 'listening'),
      once(this.server, 'error').then(([error]) => {
        throw error
      }),
    ])
    return this.server.address() as AddressInfo
  }

  async close(): Promise<void> {
    if (!this.server.listening) return
    this.server.closeAllConnections()
    await new Promise((resolve) => this.server.close(resolve))
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0]
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end()
      return
    }
    try {
      if (path === '/healthz') {
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n')
      } else if (path === '/readyz') {
        const readiness = this.handlers.readiness()
        response
          .writeHead(readiness.ready ? 200 : 503, { 'content-type': 'application/json' })
          .end(`${JSON.stringify({ ready: readiness.ready, reasons: readiness.reasons })}\n`)
      } else if (path === '/metrics') {
        const metrics = await this.handlers.metrics()
        response.writeHead(200, { 'content-type': metrics.contentType }).end(metrics.body)
      } else {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: /healthz, /readyz, /metrics\n')
      }
    } catch (error) {
      this.logger.error({ err: (error as Error).message, path }, 'operations endpoint failed')
      if (!response.headersSent) response.writeHead(500).end()
    }
  }
}
