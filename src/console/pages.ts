/**
 * The console's pages: server-rendered, the same operations as the API. A
 * browser signs in once with a token and then carries a session cookie;
 * every form carries a CSRF token; sign-in attempts are rate-limited.
 */
import type {} from '@fastify/cookie'
import type {} from '@fastify/csrf-protection'
import type {} from '@fastify/rate-limit'
import type {} from '@fastify/swagger'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Settings } from '../config/env.ts'
import { applicationList, dialplanFor, formValues, previewUrl, problemsByField, readForm, SAMPLES, withSpareRows, type FormBody, type StepLists } from './form.ts'
import { isLang, translator, type Lang, type MessageKey } from './i18n.ts'
import type { ConsoleOperations, Failure, ShownProblem } from './operations.ts'
import { SESSION_COOKIE, SESSION_TTL_MS, type SessionStore } from './sessions.ts'
import { hashToken, mayView, type Principal, type TokenSet } from './tokens.ts'
import { renderPage, type View } from './views/render.ts'

export interface PagesOptions {
  readonly ops: ConsoleOperations
  readonly sessions: SessionStore
  readonly tokens: TokenSet
  readonly settings: Settings
  /** Sign-in attempts allowed per client address and minute. */
  readonly loginAttemptsPerMinute: number
}

/** Flash messages a redirect may ask for (a key, never text from the URL). */
const DONE: Readonly<Record<string, MessageKey>> = { saved: 'form.saved', created: 'form.created', unchanged: 'form.unchanged', deleted: 'form.deleted', signedout: 'login.signedout' }

type Body = FormBody
const text = (value: string | readonly string[] | undefined): string => (typeof value === 'string' ? value : (value?.[0] ?? ''))

export function langOf(request: FastifyRequest): Lang {
  const cookie = request.cookies['lang']
  if (isLang(cookie)) return cookie
  return /^nl\b/i.test(request.headers['accept-language'] ?? '') ? 'nl' : 'en'
}

export function registerPages(app: FastifyInstance, options: PagesOptions): void {
  const { ops, sessions, tokens, settings } = options
  const policy = settings.stepPolicy

  const render = (request: FastifyRequest, reply: FastifyReply, view: View, data: Record<string, unknown> & { title: string; section?: string }, status = 200): FastifyReply => {
    const done = (request.query as Record<string, string | undefined> | undefined)?.['done']
    const key = done !== undefined && Object.hasOwn(DONE, done) ? DONE[done] : undefined
    const lang = langOf(request)
    const html = renderPage(view, { lang, principal: request.principal, csrf: reply.generateCsrf(), path: request.url, flash: key ? { kind: 'ok', text: translator(lang)(key) } : undefined }, data)
    return reply.code(status).type('text/html; charset=utf-8').send(html)
  }
  const t = (request: FastifyRequest): ((key: MessageKey) => string) => translator(langOf(request))
  const fail = (request: FastifyRequest, reply: FastifyReply, failure: Failure): FastifyReply =>
    render(request, reply, 'error', { title: t(request)('error.title'), message: t(request)(failure.status === 404 ? 'error.404' : failure.status === 403 ? 'error.403' : failure.status === 503 ? 'error.503' : 'error.400') }, failure.status)

  const signedIn = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const principal = await sessions.principal(request.cookies[SESSION_COOKIE])
    if (!principal) {
      await reply.redirect('/login', 303)
      return
    }
    request.principal = principal
  }
  const who = (request: FastifyRequest): Principal => request.principal as Principal
  const get = { onRequest: signedIn }
  const post = { onRequest: signedIn, preHandler: app.csrfProtection }

  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/webhooks', 303))

  app.get('/lang/:lang', { schema: { hide: true } }, async (request, reply) => {
    const { lang } = request.params as { lang: string }
    const back = text((request.query as Body)['back'])
    if (isLang(lang)) reply.setCookie('lang', lang, { path: '/', sameSite: 'lax', httpOnly: true, maxAge: 365 * 24 * 3600 })
    return reply.redirect(back.startsWith('/') && !back.startsWith('//') && !back.startsWith('/\\') ? back : '/webhooks', 303)
  })

  app.get('/login', { schema: { hide: true } }, async (request, reply) => render(request, reply, 'login', { title: t(request)('login.title') }))

  app.post(
    '/login',
    { schema: { hide: true }, preHandler: app.csrfProtection, config: { rateLimit: { max: options.loginAttemptsPerMinute, timeWindow: 60_000 } } },
    async (request, reply) => {
      const token = text((request.body as Body | undefined)?.['token']).trim()
      if (!tokens.verify(token)) {
        const html = renderPage('login', { lang: langOf(request), principal: undefined, csrf: reply.generateCsrf(), path: '/login', flash: { kind: 'error', text: t(request)('login.failed') } }, { title: t(request)('login.title') })
        return reply.code(401).type('text/html; charset=utf-8').send(html)
      }
      const id = await sessions.create(hashToken(token))
      reply.setCookie(SESSION_COOKIE, id, { path: '/', httpOnly: true, sameSite: 'strict', secure: 'auto', maxAge: SESSION_TTL_MS / 1000 })
      return reply.redirect('/webhooks', 303)
    },
  )

  app.post('/logout', { schema: { hide: true }, preHandler: app.csrfProtection }, async (request, reply) => {
    await sessions.destroy(request.cookies[SESSION_COOKIE])
    reply.clearCookie(SESSION_COOKIE, { path: '/' })
    return reply.redirect('/login?done=signedout', 303)
  })

  app.get('/webhooks', { ...get, schema: { hide: true } }, async (request, reply) => {
    const result = await ops.listWebhooks(who(request))
    if (!result.ok) return fail(request, reply, result)
    return render(request, reply, 'webhooks', { title: t(request)('webhooks.title'), section: 'webhooks', webhooks: result.webhooks })
  })

  /** The webhook page's data around the form. */
  const formPage = (request: FastifyRequest, extra: { name: string; isNew: boolean; values: Record<string, string>; rows: StepLists; problems: readonly ShownProblem[]; secretSet: boolean; state?: string; refused?: boolean }): Record<string, unknown> & { title: string; section: string } => {
    const grouped = problemsByField(extra.problems, extra.rows)
    const principal = who(request)
    return {
      title: extra.isNew ? t(request)('form.title.new') : extra.name,
      section: 'webhooks',
      ...extra,
      action: extra.isNew ? '/webhooks/new' : `/webhooks/${encodeURIComponent(extra.name)}`,
      readonly: principal.role !== 'admin',
      ivrOn: /^(1|true|yes|on)$/i.test((extra.values['ivr'] ?? '').trim()),
      rows: withSpareRows(extra.rows),
      problems: grouped.byField,
      listProblems: grouped.lists,
      otherProblems: grouped.other,
      samples: SAMPLES,
      preview: previewUrl(extra.values['url'] ?? ''),
      apps: applicationList(policy),
      dialplan: dialplanFor(extra.name, settings.eslHost, settings.eslPort),
      testInput: { did: SAMPLES.did, callerid: SAMPLES.callerid, callername: SAMPLES.callername, code: '' },
      state: extra.state ?? 'valid',
    }
  }

  app.get('/webhooks/new', { ...get, schema: { hide: true } }, async (request, reply) => {
    if (who(request).role !== 'admin') return fail(request, reply, { ok: false, status: 403, error: '' })
    return render(request, reply, 'webhook', formPage(request, { name: who(request).prefix, isNew: true, values: {}, rows: { on_success: [], on_failure: [] }, problems: [], secretSet: false }))
  })

  const showWebhook = async (request: FastifyRequest, reply: FastifyReply, name: string, test?: unknown, testInput?: Record<string, string>): Promise<FastifyReply> => {
    const result = await ops.getWebhook(who(request), name)
    if (!result.ok) return fail(request, reply, result)
    const { values, rows } = formValues(result.webhook.fields, policy)
    const data = formPage(request, { name, isNew: false, values, rows, problems: result.webhook.problems, secretSet: result.webhook.secretSet, state: result.webhook.state })
    return render(request, reply, 'webhook', { ...data, ...(test ? { test, testInput } : {}) })
  }

  app.get('/webhooks/:name', { ...get, schema: { hide: true } }, async (request, reply) => showWebhook(request, reply, (request.params as { name: string }).name))

  const save = async (request: FastifyRequest, reply: FastifyReply, isNew: boolean): Promise<FastifyReply> => {
    const body = (request.body ?? {}) as Body
    const principal = who(request)
    const name = isNew ? text(body['name']).trim() : (request.params as { name: string }).name
    const { fields, rows } = readForm(body, policy)
    const refuse = (problems: readonly ShownProblem[], status: number, secretSet: boolean): FastifyReply =>
      render(request, reply, 'webhook', formPage(request, { name, isNew, values: fields, rows, problems, secretSet, refused: true }), status)
    if (isNew) {
      if (!mayView(principal, name)) return refuse([{ field: '(name)', reason: `must start with ${principal.prefix}` }], 422, false)
      const existing = await ops.getWebhook(principal, name)
      if (existing.ok) return refuse([{ field: '(name)', reason: 'a webhook with this name exists already' }], 422, false)
    }
    const result = await ops.putWebhook(principal, name, fields)
    if (!result.ok) {
      if (result.status !== 422) return fail(request, reply, result)
      const current = isNew ? undefined : await ops.getWebhook(principal, name)
      return refuse(result.problems ?? [], 422, current?.ok === true && current.webhook.secretSet)
    }
    return reply.redirect(`/webhooks/${encodeURIComponent(name)}?done=${result.created ? 'created' : result.changed ? 'saved' : 'unchanged'}`, 303)
  }
  app.post('/webhooks/new', { ...post, schema: { hide: true } }, async (request, reply) => save(request, reply, true))
  app.post('/webhooks/:name', { ...post, schema: { hide: true } }, async (request, reply) => save(request, reply, false))

  app.post('/webhooks/:name/delete', { ...post, schema: { hide: true } }, async (request, reply) => {
    const result = await ops.deleteWebhook(who(request), (request.params as { name: string }).name)
    if (!result.ok) return fail(request, reply, result)
    return reply.redirect('/webhooks?done=deleted', 303)
  })

  app.post('/webhooks/:name/test', { ...post, schema: { hide: true } }, async (request, reply) => {
    const body = (request.body ?? {}) as Body
    const name = (request.params as { name: string }).name
    const input = { did: text(body['did']).slice(0, 64), callerid: text(body['callerid']).slice(0, 64), callername: text(body['callername']).slice(0, 128), code: text(body['code']).slice(0, 32) }
    const result = await ops.testWebhook(who(request), name, input)
    if (!result.ok) return fail(request, reply, result)
    const run = result.result
    const test = run.kind === 'invalid' ? { kind: 'invalid', problems: run.error.problems.map((problem) => `${problem.field}: ${problem.reason}`) } : run
    return showWebhook(request, reply, name, test, input)
  })

  const listQuery = (request: FastifyRequest): { webhook: string | undefined } => {
    const webhook = text((request.query as Body)['webhook'])
    return { webhook: webhook === '' ? undefined : webhook }
  }

  app.get('/calls', { ...get, schema: { hide: true } }, async (request, reply) => {
    const { webhook } = listQuery(request)
    const result = await ops.listCalls(who(request), webhook, 100)
    if (!result.ok) return fail(request, reply, result)
    return render(request, reply, 'calls', { title: t(request)('calls.title'), section: 'calls', webhook, calls: result.calls })
  })

  app.get('/calls/:uuid', { ...get, schema: { hide: true } }, async (request, reply) => {
    const { webhook } = listQuery(request)
    const result = await ops.getCall(who(request), (request.params as { uuid: string }).uuid, webhook)
    if (!result.ok) return fail(request, reply, result)
    return render(request, reply, 'call', { title: t(request)('call.title'), section: 'calls', call: result.call })
  })

  app.get('/alerts', { ...get, schema: { hide: true } }, async (request, reply) => {
    const { webhook } = listQuery(request)
    const result = await ops.listAlerts(who(request), webhook, 100)
    if (!result.ok) return fail(request, reply, result)
    return render(request, reply, 'alerts', { title: t(request)('alerts.title'), section: 'alerts', webhook, alerts: result.alerts })
  })

  app.get('/audit', { ...get, schema: { hide: true } }, async (request, reply) => {
    const { webhook } = listQuery(request)
    const result = await ops.listAudit(who(request), webhook, 100)
    if (!result.ok) return fail(request, reply, result)
    return render(request, reply, 'audit', { title: t(request)('audit.title'), section: 'audit', webhook, audit: result.audit })
  })
}
