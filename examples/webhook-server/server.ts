/**
 * A reference webhook for freeswitch-webhook-router: the contract's receiving
 * side, meant to be copied. It needs nothing but Node.js.
 *
 *   GET|POST /crm?callerid=...            CRM name lookup: ACK, the caller's company as callername
 *   GET|POST /pin?code=...                PIN check: ACK with the PIN's destination, or NAK
 *   GET|POST /route?did=...               routing by dialled number: ACK with a destination, or NAK
 *   GET|POST /missed?callerid=...         missed-call notification: records it, ACK
 *   GET|POST /down                        always 503 (to watch the router's fallback)
 *
 * With WEBHOOK_SECRET set, every request must carry a valid
 * X-Webhook-Signature (HMAC-SHA256 of "TIMESTAMP.METHOD.URL.BODY") made within
 * 5 minutes; others get 401. URL is the full URL the router requested: set
 * PUBLIC_URL (e.g. https://hooks.example.com) when a proxy sits in front.
 *
 *   PORT=8090 WEBHOOK_SECRET=... node dist/examples/webhook-server/server.js
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** The lookup tables; a real service reads its CRM or database instead. */
export interface Directory {
  /** Caller number (as FreeSWITCH shows it) -> company name. */
  readonly customers: Readonly<Record<string, string>>
  /** PIN -> destination (E.164 or extension). */
  readonly pins: Readonly<Record<string, string>>
  /** Dialled number -> destination. */
  readonly routes: Readonly<Record<string, string>>
  /** Where CRM lookups are sent (the sales desk). */
  readonly salesDesk: string
}

export const SAMPLE_DIRECTORY: Directory = {
  customers: { '31612345678': 'ACME Corp', '+31612345678': 'ACME Corp', '441632960123': 'Globex' },
  pins: { '4242': '+31502102544', '7777': '1001' },
  routes: { '31201234567': '+31502102544', '31201234568': '1002' },
  salesDesk: '+31502102544',
}

export interface WebhookServerOptions {
  readonly secret?: string | undefined
  readonly publicUrl?: string | undefined
  readonly directory?: Directory
  /** Called for every request with what was answered (the demo prints it). */
  readonly onRequest?: (entry: { method: string; path: string; query: Record<string, string>; status: number; answer: string }) => void
}

const MAX_BODY = 64 * 1024

export function verifySignature(secret: string, timestamp: string | undefined, received: string | undefined, method: string, url: string, body: string): boolean {
  if (timestamp === undefined || received === undefined || !/^\d+$/.test(timestamp)) return false
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false
  const expected = Buffer.from(`v1=${createHmac('sha256', secret).update(`${timestamp}.${method}.${url}.${body}`).digest('hex')}`)
  const actual = Buffer.from(received)
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

function form(fields: Record<string, string | undefined>): string {
  return Object.entries(fields)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${encodeURIComponent(value)}`)
    .join('&')
}

async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) return undefined
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** The answer for one request: [HTTP status, body]. */
function answer(path: string, values: URLSearchParams, directory: Directory, missed: string[]): [number, string] {
  switch (path) {
    case '/crm': {
      const name = directory.customers[values.get('callerid') ?? '']
      return [200, form({ status: 'ACK', destination: directory.salesDesk, callername: name })]
    }
    case '/pin': {
      const code = values.get('code') ?? ''
      if (code === '') return [200, form({ status: 'ERR' })]
      const destination = directory.pins[code]
      return [200, destination ? form({ status: 'ACK', destination }) : form({ status: 'NAK' })]
    }
    case '/route': {
      const destination = directory.routes[values.get('did') ?? '']
      return [200, destination ? form({ status: 'ACK', destination }) : form({ status: 'NAK' })]
    }
    case '/missed':
      missed.push(values.get('callerid') ?? '')
      return [200, form({ status: 'ACK' })]
    case '/down':
      return [503, 'down for maintenance\n']
    default:
      return [404, 'unknown path\n']
  }
}

export interface RunningWebhook {
  readonly server: Server
  readonly port: number
  /** Callers reported by /missed. */
  readonly missed: readonly string[]
  close(): Promise<void>
}

export async function startWebhookServer(port: number, host: string, options: WebhookServerOptions = {}): Promise<RunningWebhook> {
  const directory = options.directory ?? SAMPLE_DIRECTORY
  const missed: string[] = []
  const server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request)
      if (body === undefined) {
        response.writeHead(413).end()
        return
      }
      const method = request.method ?? 'GET'
      const base = options.publicUrl ?? `http://${request.headers.host ?? 'localhost'}`
      const url = new URL(request.url ?? '/', base)
      if (options.secret) {
        const timestamp = request.headers['x-webhook-timestamp']
        const signature = request.headers['x-webhook-signature']
        const fullUrl = `${base.replace(/\/$/, '')}${request.url ?? '/'}`
        if (!verifySignature(options.secret, typeof timestamp === 'string' ? timestamp : undefined, typeof signature === 'string' ? signature : undefined, method, fullUrl, body)) {
          response.writeHead(401, { 'content-type': 'text/plain' }).end('bad signature\n')
          options.onRequest?.({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), status: 401, answer: 'bad signature' })
          return
        }
      }
      // Values come in the query string (GET) or the form body (POST).
      const values = new URLSearchParams(url.searchParams)
      if (method === 'POST') for (const [key, value] of new URLSearchParams(body)) values.set(key, value)
      const [status, text] = answer(url.pathname, values, directory, missed)
      response.writeHead(status, { 'content-type': 'application/x-www-form-urlencoded' }).end(text)
      options.onRequest?.({ method, path: url.pathname, query: Object.fromEntries(values), status, answer: text })
    })().catch(() => {
      if (!response.headersSent) response.writeHead(500).end()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  return {
    server,
    port: (server.address() as AddressInfo).port,
    missed,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

// Run directly: node dist/examples/webhook-server/server.js
if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const port = Number(process.env['PORT'] ?? 8090)
  const host = process.env['HOST'] ?? '0.0.0.0'
  const running = await startWebhookServer(port, host, {
    secret: process.env['WEBHOOK_SECRET'] || undefined,
    publicUrl: process.env['PUBLIC_URL'] || undefined,
    onRequest: (entry) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`),
  })
  process.stdout.write(`example webhook listening on ${host}:${running.port}${process.env['WEBHOOK_SECRET'] ? ' (signatures checked)' : ''}\n`)
  const stop = (): void => void running.close().then(() => process.exit(0))
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}
