/**
 * Turns a webhook's Redis hash (every field a string, as `redis-cli HSET`
 * writes it) into a validated config, or an error naming the key, the field,
 * the value and the reason. Pure: no I/O.
 */
import { parseUrlTemplate, type UrlTemplate } from '../webhook/url-template.ts'
import { parseAppStep, type AppStep } from './applications.ts'
import { playableProblem } from './text-rules.ts'

export type CallerIdMode = 'caller' | 'dialed' | 'suppressed'
export type CallerNameMode = 'keep' | 'webhook' | 'prepend' | 'replace'

export interface WebhookConfig {
  readonly name: string
  readonly url: UrlTemplate
  readonly description: string
  readonly method: 'GET' | 'POST'
  readonly timeoutMs: number
  readonly secret: string | undefined
  readonly callerId: CallerIdMode
  readonly callerNameMode: CallerNameMode
  readonly callerNameText: string
  readonly ivr: boolean
  readonly ivrTimeoutSeconds: number
  readonly ivrAttempts: number
  readonly ivrMinDigits: number
  readonly ivrMaxDigits: number
  readonly ivrTerminator: string
  readonly ivrStartMessage: string
  readonly ivrErrorMessage: string
  readonly ivrTimeoutMessage: string
  /** Full-match pattern every returned destination must satisfy; undefined = any valid E.164 or extension. */
  readonly destinations: RegExp | undefined
  readonly onSuccess: readonly AppStep[]
  readonly onFailure: readonly AppStep[]
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError'

  constructor(
    readonly key: string,
    readonly field: string,
    readonly value: string | undefined,
    readonly reason: string,
  ) {
    super(`${key} field ${field}${value === undefined ? '' : ` = ${shownValue(field, value)}`}: ${reason}`)
  }
}

/** A field's value for messages and logs: quoted, cut at 80 characters, the secret never shown. */
export function shownValue(field: string, value: string): string {
  if (field === 'secret') return `<hidden, ${value.length} characters>`
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value)
}

/** Every field the hash may hold, for `config validate` warnings about the rest. */
export const CONFIG_FIELDS = [
  'url',
  'description',
  'method',
  'timeout_ms',
  'secret',
  'caller_id',
  'callername_mode',
  'callername_text',
  'ivr',
  'ivr_timeout',
  'ivr_attempts',
  'ivr_min_digits',
  'ivr_max_digits',
  'ivr_terminator',
  'ivr_start_message',
  'ivr_error_message',
  'ivr_timeout_message',
  'destinations',
  'on_success',
  'on_failure',
] as const

/** What an unset field means, for `config get`. */
export const FIELD_DEFAULTS: Readonly<Record<(typeof CONFIG_FIELDS)[number], string>> = {
  url: '(required)',
  description: '(empty)',
  method: 'GET',
  timeout_ms: '3000',
  secret: '(none: requests are not signed)',
  caller_id: 'caller',
  callername_mode: 'webhook',
  callername_text: '(empty)',
  ivr: 'off',
  ivr_timeout: '5',
  ivr_attempts: '3',
  ivr_min_digits: '1',
  ivr_max_digits: '16',
  ivr_terminator: '#',
  ivr_start_message: '(silence)',
  ivr_error_message: '(silence)',
  ivr_timeout_message: '(silence)',
  destinations: '(any E.164 number or extension)',
  on_success: '[] (hand back to the dialplan)',
  on_failure: '[] (hand back to the dialplan)',
}

export interface ConfigRules {
  /** Applications on_success / on_failure may run. */
  readonly allowedApps: ReadonlySet<string>
}

type Hash = Readonly<Record<string, string>>

/** Validates every field; the first problem found is returned. */
export function parseWebhookConfig(key: string, name: string, hash: Hash, rules: ConfigRules): WebhookConfig | ConfigError {
  const fail = (field: string, reason: string): ConfigError => new ConfigError(key, field, hash[field], reason)
  const text = (field: string): string => (hash[field] ?? '').trim()

  const urlText = text('url')
  if (urlText === '') return fail('url', 'is required')
  const url = parseUrlTemplate(urlText)
  if (url instanceof Error) return fail('url', url.message)

  const method = (text('method') || 'GET').toUpperCase()
  if (method !== 'GET' && method !== 'POST') return fail('method', 'must be GET or POST')

  const timeoutMs = integer(text('timeout_ms'), 3000, 100, 60_000)
  if (timeoutMs instanceof Error) return fail('timeout_ms', `${timeoutMs.message} (milliseconds)`)

  const secretText = hash['secret'] ?? ''
  if (/[\r\n\0]/.test(secretText)) return fail('secret', 'may not contain line breaks or NUL')

  const callerId = (text('caller_id') || 'caller').toLowerCase()
  if (callerId !== 'caller' && callerId !== 'dialed' && callerId !== 'suppressed') {
    return fail('caller_id', 'must be caller, dialed or suppressed')
  }
  const callerNameMode = (text('callername_mode') || 'webhook').toLowerCase()
  if (callerNameMode !== 'keep' && callerNameMode !== 'webhook' && callerNameMode !== 'prepend' && callerNameMode !== 'replace') {
    return fail('callername_mode', 'must be keep, webhook, prepend or replace')
  }
  const callerNameText = hash['callername_text'] ?? ''
  if (Array.from(callerNameText).length > 64) return fail('callername_text', 'is longer than 64 characters')

  const ivr = flag(text('ivr'))
  if (ivr instanceof Error) return fail('ivr', ivr.message)
  const ivrTimeoutSeconds = integer(text('ivr_timeout'), 5, 1, 300)
  if (ivrTimeoutSeconds instanceof Error) return fail('ivr_timeout', `${ivrTimeoutSeconds.message} (seconds)`)
  const ivrAttempts = integer(text('ivr_attempts'), 3, 1, 10)
  if (ivrAttempts instanceof Error) return fail('ivr_attempts', ivrAttempts.message)
  const ivrMinDigits = integer(text('ivr_min_digits'), 1, 1, 32)
  if (ivrMinDigits instanceof Error) return fail('ivr_min_digits', ivrMinDigits.message)
  const ivrMaxDigits = integer(text('ivr_max_digits'), 16, 1, 32)
  if (ivrMaxDigits instanceof Error) return fail('ivr_max_digits', ivrMaxDigits.message)
  if (ivrMaxDigits < ivrMinDigits) return fail('ivr_max_digits', `is below ivr_min_digits (${ivrMinDigits})`)
  const ivrTerminator = hash['ivr_terminator'] === undefined ? '#' : text('ivr_terminator')
  if (!/^[0-9*#]$/.test(ivrTerminator)) return fail('ivr_terminator', 'must be one key: 0-9, * or #')

  const messages: Record<string, string> = {}
  for (const field of ['ivr_start_message', 'ivr_error_message', 'ivr_timeout_message']) {
    const message = text(field)
    const problem = message === '' ? undefined : playableProblem(message)
    if (problem) return fail(field, problem)
    messages[field] = message
  }

  let destinations: RegExp | undefined
  const pattern = text('destinations')
  if (pattern !== '') {
    try {
      destinations = new RegExp(`^(?:${pattern})$`)
    } catch (error) {
      return fail('destinations', `is not a valid regular expression: ${(error as Error).message}`)
    }
  }

  const onSuccess = appList(hash['on_success'], rules)
  if (onSuccess instanceof Error) return fail('on_success', onSuccess.message)
  const onFailure = appList(hash['on_failure'], rules)
  if (onFailure instanceof Error) return fail('on_failure', onFailure.message)

  return {
    name,
    url,
    description: hash['description'] ?? '',
    method,
    timeoutMs,
    secret: secretText === '' ? undefined : secretText,
    callerId,
    callerNameMode,
    callerNameText,
    ivr,
    ivrTimeoutSeconds,
    ivrAttempts,
    ivrMinDigits,
    ivrMaxDigits,
    ivrTerminator,
    ivrStartMessage: messages['ivr_start_message'] ?? '',
    ivrErrorMessage: messages['ivr_error_message'] ?? '',
    ivrTimeoutMessage: messages['ivr_timeout_message'] ?? '',
    destinations,
    onSuccess,
    onFailure,
  }
}

/** A JSON array of `"app args"` strings, every application on the allowed list. */
export function appList(raw: string | undefined, rules: ConfigRules): AppStep[] | Error {
  if (raw === undefined || raw.trim() === '') return []
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    return new Error('is not valid JSON (expected an array like ["transfer 200 XML default"])')
  }
  if (!Array.isArray(parsed)) return new Error('must be a JSON array of "app args" strings')
  const steps: AppStep[] = []
  for (const entry of parsed) {
    if (typeof entry !== 'string') return new Error(`entry ${JSON.stringify(entry)} is not a string`)
    const step = parseAppStep(entry)
    if (step instanceof Error) return step
    if (!rules.allowedApps.has(step.app)) {
      return new Error(`application ${step.app} is not allowed (allowed: ${[...rules.allowedApps].sort().join(', ')}; more via EXTRA_FALLBACK_APPS)`)
    }
    steps.push(step)
  }
  return steps
}

function integer(text: string, fallback: number, min: number, max: number): number | Error {
  if (text === '') return fallback
  if (!/^\d+$/.test(text)) return new Error('is not a whole number')
  const value = Number(text)
  if (value < min || value > max) return new Error(`must be between ${min} and ${max}`)
  return value
}

function flag(text: string): boolean | Error {
  const lower = text.toLowerCase()
  if (lower === '' || lower === '0' || lower === 'false' || lower === 'no' || lower === 'off') return false
  if (lower === '1' || lower === 'true' || lower === 'yes' || lower === 'on') return true
  return new Error('must be 1/true/yes or 0/false/no')
}
