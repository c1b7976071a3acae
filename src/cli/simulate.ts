/**
 * `webhook-router simulate NAME --did ... --callerid ... [--callername ...] [--code ...]`:
 * a dry run of one webhook against its real URL, without a call. Prints the
 * request (query values and secrets masked), the answer and what the router
 * would do with it: bridge (dial string, what the callee sees), run a list,
 * or hand back, and the outcome variables it would set.
 * Exit codes: 0 the call would succeed, 1 it would fail, 2 usage.
 */
import { randomUUID } from 'node:crypto'
import { outcomeVariables, type Outcome } from '../call/outcome.ts'
import { classifyDestination, dialString, presentationFor, presentationVariables } from '../call/routing.ts'
import { ConfigAdmin } from '../config/admin.ts'
import { loadSettings, SettingError } from '../config/env.ts'
import { connectRedis } from '../config/redis-connection.ts'
import { parseWebhookConfig, ConfigError } from '../config/webhook-config.ts'
import { silentLogger } from '../logger.ts'
import { WebhookClient } from '../webhook/client.ts'
import { maskUrl, renderUrl } from '../webhook/url-template.ts'

export const SIMULATE_HELP = `Dry run of one webhook, against its real URL, without a call:
  webhook-router simulate NAME --did NUMBER --callerid NUMBER [--callername TEXT] [--code DIGITS] [--show-url]
The router's settings (REDIS_URL..., DIAL_E164, DIAL_EXTENSION, WEBHOOK_ALLOW_NETS) apply as for serve.
`

interface Output {
  out(text: string): void
  err(text: string): void
}

const OWN_FLAGS = new Set(['--did', '--callerid', '--callername', '--code'])

export async function simulateCommand(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: Output): Promise<number> {
  const values = new Map<string, string>()
  const rest: string[] = []
  let name: string | undefined
  let showUrl = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    if (flag === '--show-url') showUrl = true
    else if (OWN_FLAGS.has(flag)) {
      const value = inline ?? argv[++i]
      if (value === undefined) return usage(io, `${flag} needs a value`)
      values.set(flag.slice(2), value)
    } else if (arg.startsWith('--')) {
      rest.push(arg)
      if (inline === undefined && i + 1 < argv.length) rest.push(argv[++i] as string)
    } else if (name === undefined) name = arg
    else return usage(io, `unexpected ${JSON.stringify(arg)}`)
  }
  if (name === undefined) return usage(io, 'needs the webhook NAME')
  const settings = loadSettings(env, rest)
  if (settings instanceof SettingError) {
    io.err(`webhook-router: ${settings.message}\n`)
    return 2
  }

  const redis = connectRedis(settings.redis, { offlineQueue: true, maxReconnects: 2, connectionName: 'webhook-router:simulate' })
  let redisError = ''
  redis.on('error', (error: Error) => {
    redisError = error.message
  })
  const admin = new ConfigAdmin(redis, settings.redisPrefix, settings.stepPolicy)
  let hash: Record<string, string> | undefined
  try {
    hash = await admin.read(name)
  } catch (error) {
    io.err(`webhook-router: cannot read ${admin.keyOf(name)}: ${redisError || (error as Error).message}\n`)
    return 1
  } finally {
    redis.disconnect()
  }
  if (!hash) {
    io.out(`${admin.keyOf(name)} does not exist: a call would take DEFAULT_ON_FAILURE (reason config_missing)\n`)
    return 1
  }
  const config = parseWebhookConfig(admin.keyOf(name), name, hash, settings.stepPolicy)
  if (config instanceof ConfigError) {
    io.out(`${config.message}\na call would take DEFAULT_ON_FAILURE (reason config_invalid), unless the router still holds an earlier valid version\n`)
    return 1
  }

  const uuid = randomUUID()
  const channel = { callerIdNumber: values.get('callerid') ?? '', callerIdName: values.get('callername') ?? '', destinationNumber: values.get('did') ?? '' }
  const code = values.get('code') ?? ''
  if (config.ivr && code === '') io.out('note: this webhook runs the IVR first; pass --code to simulate the digits typed\n')
  const template = { code, did: channel.destinationNumber, callerid: channel.callerIdNumber, callername: channel.callerIdName, uuid }
  const url = renderUrl(config.url, template)
  io.out(`request   ${config.method} ${showUrl ? url : maskUrl(url)}${config.secret ? '  (signed)' : ''}\n`)

  const client = new WebhookClient({ allowNets: settings.webhookAllowNets, logger: silentLogger })
  const result = await client.call(config, template, { callUuid: uuid, signal: new AbortController().signal, logger: silentLogger })
  await client.close()

  const attempts = 1
  let outcome: Outcome
  if (!result.ok) {
    io.out(`answer    ${result.reason}: ${result.detail} (${result.latencyMs} ms)\n`)
    outcome = { result: 'failure', reason: result.reason === 'aborted' ? 'http_error' : result.reason, httpStatus: result.httpStatus, latencyMs: result.latencyMs, code, attempts }
    io.out(`decision  failure path: ${describeList(config.onFailure)}\n`)
  } else {
    const answer = result.answer
    io.out(
      `answer    HTTP ${result.httpStatus} in ${result.latencyMs} ms: status=${answer.status}${answer.destination === undefined ? '' : ` destination=${JSON.stringify(answer.destination)}`}${answer.callername === undefined ? '' : ` callername=${JSON.stringify(answer.callername)}`}\n`,
    )
    const base = { status: answer.status, destination: answer.destination, callername: answer.callername, httpStatus: result.httpStatus, latencyMs: result.latencyMs, code, attempts }
    if (answer.status !== 'ACK') {
      outcome = { ...base, result: 'failure', reason: answer.status === 'NAK' ? 'nak' : 'err' }
      io.out(`decision  ${answer.status}: ${config.ivr && answer.status === 'NAK' ? 'the caller would try again (IVR), then ' : ''}failure path: ${describeList(config.onFailure)}\n`)
    } else if (answer.destination === undefined) {
      outcome = { ...base, result: 'success', reason: 'ok' }
      io.out(`decision  ACK without destination: ${describeList(config.onSuccess)}\n`)
    } else {
      const destination = classifyDestination(answer.destination, config.destinations)
      if ('refused' in destination) {
        outcome = { ...base, result: 'failure', reason: 'bad_destination' }
        io.out(`decision  destination refused (${destination.refused}): failure path: ${describeList(config.onFailure)}\n`)
      } else {
        outcome = { ...base, result: 'success', reason: 'ok' }
        const shown = presentationVariables(presentationFor(config, channel, answer.callername), destination.kind)
        io.out(`decision  bridge ${dialString(destination, { dialE164: settings.dialE164, dialExtension: settings.dialExtension }, config.callerId === 'suppressed')}\n`)
        const identity = `name ${JSON.stringify(shown['effective_caller_id_name'])}, number ${JSON.stringify(shown['effective_caller_id_number'])}`
        const seen = config.callerId === 'suppressed' && destination.kind === 'e164' ? `an anonymous caller (Privacy: id); P-Asserted-Identity carries ${identity}` : identity
        io.out(`callee    sees ${seen} (caller_id ${config.callerId}, callername_mode ${config.callerNameMode})\n`)
      }
    }
  }
  const variables = Object.entries(outcomeVariables(outcome)).filter(([, value]) => value !== '')
  io.out(`variables ${variables.map(([key, value]) => `${key}=${value}`).join(' ')}\n`)
  return outcome.result === 'success' ? 0 : 1
}

function describeList(steps: ReadonlyArray<{ app: string; args: string }>): string {
  return steps.length === 0 ? 'hand back to the dialplan' : `run ${steps.map((step) => `${step.app} ${step.args}`.trim()).join(', then ')}`
}

function usage(io: Output, text: string): number {
  io.err(`webhook-router simulate: ${text}\n${SIMULATE_HELP}`)
  return 2
}
