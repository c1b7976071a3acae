/**
 * Calls a customer's webhook: one shared keep-alive undici Agent, a hard
 * deadline for the whole exchange (connect to last byte), a 64 KiB body cap,
 * at most 3 redirects, TLS verified, the outbound address guard on every
 * connection, HMAC signing when the webhook has a secret, a circuit breaker
 * per origin, and one retry for a connection that failed before anything was
 * sent. The body is always read or discarded so connections can be reused.
 */
import { isIP } from 'node:net'
import { Agent, buildConnector } from 'undici'
import type { WebhookConfig } from '../config/webhook-config.ts'
import { silentLogger, type Logger } from '../logger.ts'
import type { AllowList } from '../net/allow-list.ts'
import { USER_AGENT } from '../version.ts'
import { AddressRefusedError, createAddressGuard, guardedLookup, type AddressGuard } from './address-guard.ts'
import { CircuitBreaker, type CircuitState } from './circuit-breaker.ts'
import { hopHeaders, nextHop, REDIRECT_STATUSES, type Hop } from './redirects.ts'
import { parseWebhookResponse, ResponseError, type WebhookAnswer } from './response.ts'
import { signature } from './signing.ts'
import { maskUrl, renderUrl, requestTarget, type TemplateValues } from './url-template.ts'

export const BODY_CAP_BYTES = 64 * 1024
const MAX_REDIRECTS = 3

export type FailureReason = 'http_error' | 'http_timeout' | 'bad_response' | 'circuit_open' | 'aborted'

export type WebhookResult =
  | { readonly ok: true; readonly answer: WebhookAnswer; readonly httpStatus: number; readonly latencyMs: number }
  | { readonly ok: false; readonly reason: FailureReason; readonly detail: string; readonly httpStatus: number | undefined; readonly latencyMs: number }

export interface WebhookClientOptions {
  /** Internal networks webhooks may reach anyway (WEBHOOK_ALLOW_NETS). */
  readonly allowNets: AllowList
  readonly logger?: Logger
  /** Extra trusted CAs (tests); production uses the system store plus NODE_EXTRA_CA_CERTS. */
  readonly ca?: string | Buffer
  readonly circuitThreshold?: number
  readonly circuitCooldownMs?: number
  readonly onCircuitChange?: (origin: string, state: CircuitState) => void
  /** Called after each request with its outcome, for metrics. */
  readonly onResult?: (webhook: string, result: WebhookResult) => void
}

export interface CallContext {
  readonly callUuid: string
  /** Aborted when the caller hangs up: the request stops at once. */
  readonly signal: AbortSignal
  readonly logger: Logger
}

const CONNECT_PHASE_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT'])

export class WebhookClient {
  private readonly agent: Agent
  private readonly guard: AddressGuard
  readonly breaker: CircuitBreaker
  private readonly log: Logger

  constructor(private readonly options: WebhookClientOptions) {
    this.log = options.logger ?? silentLogger
    this.guard = createAddressGuard(options.allowNets)
    const connector = buildConnector({ lookup: guardedLookup(this.guard), ...(options.ca ? { ca: options.ca } : {}) })
    const guard = this.guard
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 120_000,
      connect: (connectOptions, callback) => {
        // A literal IP never reaches the lookup: check it before connecting.
        const host = connectOptions.hostname.replace(/^\[|\]$/g, '')
        if (isIP(host) !== 0 && !guard.permits(host)) {
          callback(new AddressRefusedError(host, host), null)
          return
        }
        connector(connectOptions, (error, socket) => {
          if (error) return callback(error, null)
          // And the peer actually connected to, whatever resolved it.
          const peer = socket.remoteAddress ?? ''
          if (!guard.permits(peer)) {
            socket.destroy()
            return callback(new AddressRefusedError(host, peer), null)
          }
          callback(null, socket)
        })
      },
    })
    this.breaker = new CircuitBreaker({
      threshold: options.circuitThreshold ?? 5,
      cooldownMs: options.circuitCooldownMs ?? 30_000,
      onChange: (origin, state) => {
        this.log.warn({ origin, state }, state === 'open' ? 'webhook circuit opened: failing fast' : `webhook circuit ${state}`)
        options.onCircuitChange?.(origin, state)
      },
    })
  }

  /** Calls the webhook for one call; never throws. */
  async call(config: WebhookConfig, values: TemplateValues, context: CallContext): Promise<WebhookResult> {
    const started = performance.now()
    // What is requested and signed: the origin plus the path exactly as rendered.
    const { origin, path } = requestTarget(renderUrl(config.url, values))
    const url = `${origin}${path}`
    const log = context.logger
    const elapsed = (): number => Math.round(performance.now() - started)
    const finish = (result: WebhookResult): WebhookResult => {
      const fields = { url: maskUrl(url), method: config.method, httpStatus: result.httpStatus, ms: result.latencyMs }
      if (result.ok) log.info({ ...fields, status: result.answer.status }, 'webhook answered')
      else log.warn({ ...fields, reason: result.reason, detail: result.detail }, 'webhook failed')
      this.options.onResult?.(config.name, result)
      return result
    }
    if (!this.breaker.allow(origin)) {
      return finish({ ok: false, reason: 'circuit_open', detail: `circuit open for ${origin}`, httpStatus: undefined, latencyMs: 0 })
    }
    // One controller for the deadline and the caller's hang-up (cheaper than AbortSignal.timeout + any,
    // and nothing is left behind: the timer and the listener go in the finally below).
    const abort = new AbortController()
    const signal = abort.signal
    let deadlineReached = false
    const deadline = setTimeout(() => {
      deadlineReached = true
      abort.abort()
    }, config.timeoutMs)
    const onHangup = (): void => abort.abort()
    if (context.signal.aborted) abort.abort()
    else context.signal.addEventListener('abort', onHangup, { once: true })
    const body = config.method === 'POST' ? new URLSearchParams({ code: values.code, did: values.did, callerid: values.callerid, callername: values.callername, uuid: values.uuid }).toString() : ''
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, 'x-call-uuid': context.callUuid }
    if (config.method === 'POST') headers['content-type'] = 'application/x-www-form-urlencoded'
    if (config.secret !== undefined) {
      const timestamp = String(Math.floor(Date.now() / 1000))
      headers['x-webhook-timestamp'] = timestamp
      headers['x-webhook-signature'] = signature(config.secret, timestamp, config.method, url, body)
    }

    let result: WebhookResult
    try {
      // The deadline ends the wait even where undici would not (a connect still pending).
      const first: Hop = { origin, path, method: config.method, body }
      result = await Promise.race([this.exchange(first, headers, signal, elapsed, log), deadlineOrHangup(signal, elapsed)])
    } finally {
      clearTimeout(deadline)
      context.signal.removeEventListener('abort', onHangup)
    }
    if (!result.ok && context.signal.aborted && !deadlineReached) {
      this.breaker.release(origin)
      return finish({ ok: false, reason: 'aborted', detail: 'the caller hung up', httpStatus: result.httpStatus, latencyMs: elapsed() })
    }
    if (result.ok || result.reason === 'bad_response') this.breaker.success(origin)
    else this.breaker.failure(origin)
    return finish(result)
  }

  /**
   * The request and the redirects it leads to, at most MAX_REDIRECTS. One
   * retry in all, only of a hop whose connection failed before anything was
   * sent, and only while the budget lasts: no request that was sent, the
   * first one included, is ever sent again.
   */
  private async exchange(first: Hop, headers: Readonly<Record<string, string>>, signal: AbortSignal, elapsed: () => number, log: Logger): Promise<WebhookResult> {
    let hop = first
    let retried = false
    for (let redirects = 0; ; ) {
      const outcome = await this.attempt(hop, hopHeaders(headers, hop), signal, elapsed)
      if ('redirect' in outcome) {
        if (redirects === MAX_REDIRECTS) return { ok: false, reason: 'http_error', detail: `more than ${MAX_REDIRECTS} redirects`, httpStatus: outcome.status, latencyMs: elapsed() }
        const next = nextHop(hop, outcome.status, outcome.redirect)
        if (typeof next === 'string') return { ok: false, reason: 'http_error', detail: next, httpStatus: outcome.status, latencyMs: elapsed() }
        hop = next
        redirects++
        continue
      }
      if (retried || signal.aborted || !failedBeforeSending(outcome)) return outcome
      retried = true
      log.debug({ url: maskUrl(`${hop.origin}${hop.path}`) }, 'webhook connection failed before sending, retrying once')
    }
  }

  /** One request; a redirect is handed back to exchange() with its body discarded. */
  private async attempt(
    hop: Hop,
    headers: Record<string, string>,
    signal: AbortSignal,
    elapsed: () => number,
  ): Promise<WebhookResult | { readonly redirect: string | undefined; readonly status: number }> {
    let statusCode: number | undefined
    try {
      // dispatcher.request sends `path` as given; undici's request() would re-parse (and normalise) it.
      const response = await this.agent.request({
        origin: hop.origin,
        path: hop.path,
        method: hop.method,
        headers,
        ...(hop.method === 'POST' ? { body: hop.body } : {}),
        signal,
      })
      statusCode = response.statusCode
      if (REDIRECT_STATUSES.has(statusCode)) {
        await response.body.dump({ limit: BODY_CAP_BYTES }).catch(() => {})
        const location = response.headers['location']
        return { redirect: Array.isArray(location) ? location[0] : location, status: statusCode }
      }
      if (statusCode < 200 || statusCode > 299) {
        await response.body.dump({ limit: BODY_CAP_BYTES }).catch(() => {})
        return { ok: false, reason: 'http_error', detail: `HTTP ${statusCode}`, httpStatus: statusCode, latencyMs: elapsed() }
      }
      const chunks: Buffer[] = []
      let size = 0
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length
        if (size > BODY_CAP_BYTES) {
          response.body.destroy()
          return { ok: false, reason: 'bad_response', detail: `body larger than ${BODY_CAP_BYTES} bytes`, httpStatus: statusCode, latencyMs: elapsed() }
        }
        chunks.push(chunk as Buffer)
      }
      const contentType = response.headers['content-type']
      const answer = parseWebhookResponse(statusCode, Array.isArray(contentType) ? (contentType[0] ?? '') : (contentType ?? ''), Buffer.concat(chunks))
      if (answer instanceof ResponseError) return { ok: false, reason: answer.reason, detail: answer.message, httpStatus: statusCode, latencyMs: elapsed() }
      return { ok: true, answer, httpStatus: statusCode, latencyMs: elapsed() }
    } catch (error) {
      return { ok: false, ...classify(error, signal), httpStatus: statusCode, latencyMs: elapsed() }
    }
  }

  /** Closes pooled connections (shutdown). */
  async close(): Promise<void> {
    await this.agent.close()
  }
}

/** Settles when the deadline passes or the caller hangs up, whatever undici is still waiting for. */
function deadlineOrHangup(signal: AbortSignal, elapsed: () => number): Promise<WebhookResult> {
  return new Promise((resolve) => {
    const settle = (): void => resolve({ ok: false, ...classify(undefined, signal), httpStatus: undefined, latencyMs: elapsed() })
    if (signal.aborted) settle()
    else signal.addEventListener('abort', settle, { once: true })
  })
}

function failedBeforeSending(result: WebhookResult): boolean {
  return !result.ok && result.reason === 'http_error' && result.detail.startsWith('connect:')
}

function classify(error: unknown, signal: AbortSignal): { reason: FailureReason; detail: string } {
  if (signal.aborted) return { reason: 'http_timeout', detail: 'deadline reached' }
  const err = error as { code?: string; message?: string; cause?: { code?: string; message?: string } }
  if (error instanceof AddressRefusedError || err.cause instanceof AddressRefusedError) {
    const refused = error instanceof AddressRefusedError ? error : (err.cause as AddressRefusedError)
    return { reason: 'http_error', detail: `refused: ${refused.message}` }
  }
  const code = err.code ?? err.cause?.code ?? ''
  const message = err.message ?? String(error)
  if (CONNECT_PHASE_ERRORS.has(code)) return { reason: 'http_error', detail: `connect: ${code} ${message}` }
  return { reason: 'http_error', detail: `${code} ${message}`.trim() }
}
