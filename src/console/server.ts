/**
 * `webhook-router admin`: the console (pages) and the API on one fastify
 * server. Well-kept parts do the security work: @fastify/helmet (a strict
 * Content-Security-Policy: scripts and styles from the console itself only,
 * no inline code; frames refused), @fastify/cookie and
 * @fastify/csrf-protection (session cookie, CSRF tokens in every form),
 * @fastify/rate-limit (sign-in attempts), @fastify/swagger (OpenAPI). Errors
 * never carry details to the client: another tenant's names, Redis
 * addresses and stack traces stay in the log.
 */
import cookie from '@fastify/cookie'
import csrf from '@fastify/csrf-protection'
import formbody from '@fastify/formbody'
import helmet from '@fastify/helmet'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import { fastify, LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { Logger as PinoLogger } from 'pino'
import { connectRedis, type RedisClient } from '../config/redis-connection.ts'
import { AuditTrail } from '../records/audit.ts'
import { RecordKeys } from '../records/keys.ts'
import { RecordReader } from '../records/reader.ts'
import { VERSION } from '../version.ts'
import { WebhookClient } from '../webhook/client.ts'
import { registerApi } from './api.ts'
import { CONSOLE_CSS, CONSOLE_JS } from './assets.ts'
import { ConsoleOperations } from './operations.ts'
import { langOf, registerPages } from './pages.ts'
import { SessionStore } from './sessions.ts'
import type { ConsoleSettings } from './settings.ts'
import { translator } from './i18n.ts'
import { renderPage } from './views/render.ts'
import { OutsideChangeWatcher } from './watcher.ts'

export interface ConsoleOptions {
  readonly settings: ConsoleSettings
  readonly logger: PinoLogger
  /** Extra CA for "test this webhook" over TLS (tests). */
  readonly webhookCa?: string | Buffer
  /** Sign-in attempts per client address and minute (10). */
  readonly loginAttemptsPerMinute?: number
}

export interface ConsoleServer {
  listen(): Promise<AddressInfo>
  close(): Promise<void>
  readonly app: FastifyInstance
  readonly redis: RedisClient
  readonly watcher: OutsideChangeWatcher
}

export async function createConsole(options: ConsoleOptions): Promise<ConsoleServer> {
  const { settings, logger } = options
  const router = settings.router
  const redis = connectRedis(router.redis, { connectionName: 'webhook-router:console' })
  redis.on('error', (error: Error) => logger.debug({ err: error.message }, 'console redis error'))
  const keys = new RecordKeys(router.recordsPrefix)
  const trail = new AuditTrail(redis, keys)
  const client = new WebhookClient({ allowNets: router.webhookAllowNets, logger, ...(options.webhookCa ? { ca: options.webhookCa } : {}) })
  const ops = new ConsoleOperations({ redis, settings: router, reader: new RecordReader(redis, keys), trail, client })
  const sessions = new SessionStore(redis, keys, settings.tokens)
  const watcher = new OutsideChangeWatcher(redis, router, trail, keys, logger)

  const app: FastifyInstance = fastify({ loggerInstance: logger as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), bodyLimit: 256 * 1024, trustProxy: false })
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
    // The console may be served over plain HTTP on 127.0.0.1; HSTS belongs to the TLS proxy in front.
    strictTransportSecurity: false,
  })
  await app.register(cookie)
  await app.register(formbody)
  await app.register(csrf, { cookieOpts: { path: '/', sameSite: 'strict', httpOnly: true }, csrfOpts: { hmacKey: randomBytes(32) } })
  await app.register(rateLimit, { global: false })
  await app.register(swagger, {
    openapi: {
      info: { title: 'freeswitch-webhook-router console API', version: VERSION, description: 'Webhook configs, dry runs, call records, alerts and the audit trail. A token limited to a prefix sees only webhooks named with it; anything else is 404.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  })

  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : redis.status === 'ready' ? 500 : 503
    if (status >= 500) logger.error({ err: error.message, url: request.url.split('?')[0] }, 'console request failed')
    const api = request.url.startsWith('/api/')
    const message =
      status === 429 ? 'too many attempts: try again in a minute' : status === 503 ? 'Redis cannot be reached' : status === 403 ? 'forbidden (a form older than the console, or without its CSRF token)' : status >= 500 ? 'internal error' : 'bad request'
    if (api) return reply.code(status).send({ error: message })
    const t = translator(langOf(request))
    const view = status === 429 && request.url.startsWith('/login') ? 'login' : 'error'
    const text = status === 429 ? t('login.limited') : status === 503 ? t('error.503') : status === 403 ? t('error.403') : t('error.400')
    const html = renderPage(view, { lang: langOf(request), principal: undefined, csrf: reply.generateCsrf(), path: '/login', flash: { kind: 'error', text } }, { title: t('error.title'), message: text })
    return reply.code(status).type('text/html; charset=utf-8').send(html)
  })
  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/api/')) return reply.code(404).send({ error: 'not found' })
    const t = translator(langOf(request))
    return reply.code(404).type('text/html; charset=utf-8').send(renderPage('error', { lang: langOf(request), principal: undefined, csrf: '', path: '/', flash: undefined }, { title: t('error.title'), message: t('error.404') }))
  })

  app.get('/favicon.ico', { schema: { hide: true } }, async (_request, reply) => reply.code(204).send())
  app.get('/assets/console.js', { schema: { hide: true } }, async (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(CONSOLE_JS))
  app.get('/assets/console.css', { schema: { hide: true } }, async (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(CONSOLE_CSS))
  registerApi(app, ops, settings.tokens)
  registerPages(app, { ops, sessions, tokens: settings.tokens, settings: router, loginAttemptsPerMinute: options.loginAttemptsPerMinute ?? 10 })

  let closing: Promise<void> | undefined
  return {
    app,
    redis,
    watcher,
    async listen() {
      watcher.start()
      await app.listen({ host: settings.host, port: settings.port })
      const address = app.server.address() as AddressInfo
      logger.info({ host: address.address, port: address.port }, 'console and API listening')
      return address
    },
    close() {
      closing ??= (async () => {
        await app.close()
        await watcher.close()
        await client.close()
        await redis.quit().catch(() => redis.disconnect())
      })()
      return closing
    },
  }
}
