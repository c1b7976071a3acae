/**
 * The API: the console's operations as JSON under /api, for an operator's
 * own portal. `Authorization: Bearer TOKEN` on every route; the OpenAPI
 * document is built from the route schemas (@fastify/swagger).
 */
import type {} from '@fastify/swagger'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ConsoleOperations, Failure } from './operations.ts'
import type { Principal, TokenSet } from './tokens.ts'

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal
  }
}

const name = { type: 'object', properties: { name: { type: 'string', maxLength: 200 } }, required: ['name'] } as const
const listQuery = {
  type: 'object',
  properties: { webhook: { type: 'string', maxLength: 200 }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 } },
  additionalProperties: false,
} as const
const security = [{ bearer: [] }]
const failure = { type: 'object', properties: { error: { type: 'string' }, problems: { type: 'array', items: { type: 'object', additionalProperties: true } } }, additionalProperties: true } as const
const anyObject = (description: string): object => ({ description, type: 'object', additionalProperties: true })

function send(reply: FastifyReply, result: Failure): FastifyReply {
  return reply.code(result.status).send({ error: result.error, ...(result.problems ? { problems: result.problems } : {}) })
}

export function registerApi(app: FastifyInstance, ops: ConsoleOperations, tokens: TokenSet): void {
  const authenticate = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization ?? ''
    const match = /^Bearer (\S+)$/i.exec(header)
    const principal = match ? tokens.verify(match[1] as string) : undefined
    if (!principal) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'a valid Authorization: Bearer token is required' })
      return
    }
    request.principal = principal
  }
  const who = (request: FastifyRequest): Principal => request.principal as Principal
  const common = { onRequest: authenticate }

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  app.get('/api/webhooks', { ...common, schema: { summary: 'Every webhook the token may see', tags: ['webhooks'], security, response: { 200: anyObject('{ webhooks: [...] }') } } }, async (request, reply) => {
    const result = await ops.listWebhooks(who(request))
    return result.ok ? { webhooks: result.webhooks } : send(reply, result)
  })

  app.get<{ Params: { name: string } }>('/api/webhooks/:name', { ...common, schema: { summary: 'One webhook: its fields (the secret never), state and problems', tags: ['webhooks'], security, params: name, response: { 200: anyObject('{ webhook }'), 404: failure } } }, async (request, reply) => {
    const result = await ops.getWebhook(who(request), request.params.name)
    return result.ok ? { webhook: result.webhook } : send(reply, result)
  })

  app.put<{ Params: { name: string }; Body: unknown }>(
    '/api/webhooks/:name',
    {
      ...common,
      schema: {
        summary: 'Create or replace a webhook from its config fields (as in Redis; absent fields take their defaults, the secret is write-only: absent keeps it, "" removes it). Refused: 422 with the reasons, nothing written.',
        tags: ['webhooks'],
        security,
        params: name,
        body: { type: 'object', additionalProperties: true },
        response: { 200: anyObject('{ name, created, changed }'), 201: anyObject('{ name, created, changed }'), 403: failure, 404: failure, 422: failure },
      },
    },
    async (request, reply) => {
      const result = await ops.putWebhook(who(request), request.params.name, request.body)
      if (!result.ok) return send(reply, result)
      return reply.code(result.created ? 201 : 200).send({ name: request.params.name, created: result.created, changed: result.changed })
    },
  )

  app.delete<{ Params: { name: string } }>('/api/webhooks/:name', { ...common, schema: { summary: 'Remove a webhook', tags: ['webhooks'], security, params: name, response: { 403: failure, 404: failure } } }, async (request, reply) => {
    const result = await ops.deleteWebhook(who(request), request.params.name)
    return result.ok ? reply.code(204).send() : send(reply, result)
  })

  app.post<{ Params: { name: string }; Body: { did?: string; callerid?: string; callername?: string; code?: string } | undefined }>(
    '/api/webhooks/:name/test',
    {
      ...common,
      schema: {
        summary: 'Dry run against the real URL, as webhook-router simulate: request, answer, decision, outcome variables',
        tags: ['webhooks'],
        security,
        params: name,
        body: { type: 'object', properties: { did: { type: 'string', maxLength: 64 }, callerid: { type: 'string', maxLength: 64 }, callername: { type: 'string', maxLength: 128 }, code: { type: 'string', maxLength: 32 } }, additionalProperties: false },
        response: { 200: anyObject('{ result }'), 404: failure },
      },
    },
    async (request, reply) => {
      const body = request.body ?? {}
      const result = await ops.testWebhook(who(request), request.params.name, { did: body.did ?? '', callerid: body.callerid ?? '', callername: body.callername ?? '', code: body.code ?? '' })
      return result.ok ? { result: result.result } : send(reply, result)
    },
  )

  app.get<{ Querystring: { webhook?: string; limit: number } }>('/api/calls', { ...common, schema: { summary: 'Recent calls, newest first (one webhook with ?webhook=)', tags: ['records'], security, querystring: listQuery, response: { 200: anyObject('{ calls: [...] }'), 404: failure } } }, async (request, reply) => {
    const result = await ops.listCalls(who(request), request.query.webhook, request.query.limit)
    return result.ok ? { calls: result.calls } : send(reply, result)
  })

  app.get<{ Params: { uuid: string }; Querystring: { webhook?: string } }>(
    '/api/calls/:uuid',
    {
      ...common,
      schema: {
        summary: "One call's record: request URL (masked), answer (capped), IVR attempts, timeline",
        tags: ['records'],
        security,
        params: { type: 'object', properties: { uuid: { type: 'string', maxLength: 64 } }, required: ['uuid'] },
        querystring: { type: 'object', properties: { webhook: { type: 'string', maxLength: 200 } }, additionalProperties: false },
        response: { 200: anyObject('{ call }'), 404: failure },
      },
    },
    async (request, reply) => {
      const result = await ops.getCall(who(request), request.params.uuid, request.query.webhook)
      return result.ok ? { call: result.call } : send(reply, result)
    },
  )

  app.get<{ Querystring: { webhook?: string; limit: number } }>('/api/alerts', { ...common, schema: { summary: 'Alerts, newest first', tags: ['records'], security, querystring: listQuery, response: { 200: anyObject('{ alerts: [...] }'), 404: failure } } }, async (request, reply) => {
    const result = await ops.listAlerts(who(request), request.query.webhook, request.query.limit)
    return result.ok ? { alerts: result.alerts } : send(reply, result)
  })

  app.get<{ Querystring: { webhook?: string; limit: number } }>('/api/audit', { ...common, schema: { summary: 'Config changes, newest first', tags: ['records'], security, querystring: listQuery, response: { 200: anyObject('{ audit: [...] }'), 404: failure } } }, async (request, reply) => {
    const result = await ops.listAudit(who(request), request.query.webhook, request.query.limit)
    return result.ok ? { audit: result.audit } : send(reply, result)
  })
}
