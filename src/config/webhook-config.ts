/**
 * Turns a webhook's Redis hash (every field a string, as `redis-cli HSET`
 * writes it) into a validated config, or an error naming the key and, for
 * every field that is wrong, the field, the value and the reason. Pure: no I/O.
 * Configs are written by the operator's customers: every field is checked
 * against what the operator allowed (the step grammar, src/steps).
 */
import { parseStepList, isStepProblems, type Step, type StepPolicy } from '../steps/grammar.ts'
import { soundValue } from '../steps/values.ts'
import { maskUrl, parseUrlTemplate, type UrlTemplate } from '../webhook/url-template.ts'
import { compileDestinations, type DestinationPattern } from './destinations.ts'

/** Webhook names the router looks up: what `set webhook=NAME` may reasonably hold. */
export const WEBHOOK_NAME = /^[A-Za-z0-9_.:@-]{1,128}$/

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
  /** Full-match pattern every returned destination must satisfy (linear time); undefined = any valid E.164 or extension. */
  readonly destinations: DestinationPattern | undefined
  readonly onSuccess: readonly Step[]
  readonly onFailure: readonly Step[]
}

/** One field that does not validate. */
export interface ConfigProblem {
  readonly field: string
  readonly value: string | undefined
  readonly reason: string
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly field: string
  readonly value: string | undefined
  readonly reason: string

  constructor(
    readonly key: string,
    /** Every problem found, at least one; the first is also `field`, `value` and `reason`. */
    readonly problems: readonly ConfigProblem[],
  ) {
    super(problems.map((problem) => describeProblem(key, problem)).join('; '))
    const first = problems[0] ?? { field: '(config)', value: undefined, reason: 'is invalid' }
    this.field = first.field
    this.value = first.value
    this.reason = first.reason
  }
}

/** `webhook:crm field caller_id = "bogus": must be caller, dialed or suppressed` */
export function describeProblem(key: string, problem: ConfigProblem): string {
  return `${key} field ${problem.field}${problem.value === undefined ? '' : ` = ${shownValue(problem.field, problem.value)}`}: ${problem.reason}`
}

/** A field's value for messages and logs: quoted, cut at 80 characters, the secret never shown, URL query values masked. */
export function shownValue(field: string, value: string): string {
  if (field === 'secret') return `<hidden, ${value.length} characters>`
  const shown = field === 'url' ? maskUrlTemplate(value) : value
  return JSON.stringify(shown.length > 80 ? `${shown.slice(0, 80)}...` : shown)
}

/** A URL template for logs: like maskUrl, and whatever cannot be parsed loses everything after `?` and `@`. */
export function maskUrlTemplate(template: string): string {
  // A URL parser drops tabs and line breaks: a value refused for them must still show them.
  const masked = /[\s\p{Cc}\p{Cf}]/u.test(template) ? '<invalid url>' : maskUrl(template)
  if (masked !== '<invalid url>') return masked
  return template.replace(/\/\/[^/@]*@/, '//').replace(/\?.*$/s, (query) => `?<${query.length - 1}>`)
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

/** What the operator allows a config to choose from (settings). */
export type ConfigRules = StepPolicy

type Hash = Readonly<Record<string, string>>

/** Validates every field; all problems found are reported. */
export function parseWebhookConfig(key: string, name: string, hash: Hash, rules: ConfigRules): WebhookConfig | ConfigError {
  const problems: ConfigProblem[] = []
  const fail = (field: string, reason: string): void => {
    problems.push({ field, value: hash[field], reason })
  }
  const text = (field: string): string => (hash[field] ?? '').trim()
  const checked = <T>(field: string, result: T | Error, fallback: T, unit = ''): T => {
    if (!(result instanceof Error)) return result
    fail(field, `${result.message}${unit}`)
    return fallback
  }

  const urlText = text('url')
  let url: UrlTemplate | undefined
  if (urlText === '') fail('url', 'is required')
  // Checked untrimmed: a URL parser drops tabs and line breaks silently, anywhere.
  else if (/[\s\p{Cc}\p{Cf}]/u.test(urlText) || /[\p{Cc}\p{Cf}]/u.test(hash['url'] ?? '')) fail('url', 'may not contain spaces, tabs, line breaks or other control characters')
  else {
    const parsed = parseUrlTemplate(urlText)
    if (parsed instanceof Error) fail('url', parsed.message)
    else url = parsed
  }

  const method = (text('method') || 'GET').toUpperCase()
  if (method !== 'GET' && method !== 'POST') fail('method', 'must be GET or POST')

  const timeoutMs = checked('timeout_ms', integer(text('timeout_ms'), 3000, 100, 60_000), 3000, ' (milliseconds)')

  const secretText = hash['secret'] ?? ''
  if (/[\r\n\0]/.test(secretText)) fail('secret', 'may not contain line breaks or NUL')

  const callerId = (text('caller_id') || 'caller').toLowerCase()
  if (callerId !== 'caller' && callerId !== 'dialed' && callerId !== 'suppressed') fail('caller_id', 'must be caller, dialed or suppressed')
  const callerNameMode = (text('callername_mode') || 'webhook').toLowerCase()
  if (callerNameMode !== 'keep' && callerNameMode !== 'webhook' && callerNameMode !== 'prepend' && callerNameMode !== 'replace') {
    fail('callername_mode', 'must be keep, webhook, prepend or replace')
  }
  const callerNameText = hash['callername_text'] ?? ''
  if (Array.from(callerNameText).length > 64) fail('callername_text', 'is longer than 64 characters')

  const ivr = checked('ivr', flag(text('ivr')), false)
  const ivrTimeoutSeconds = checked('ivr_timeout', integer(text('ivr_timeout'), 5, 1, 300), 5, ' (seconds)')
  const ivrAttempts = checked('ivr_attempts', integer(text('ivr_attempts'), 3, 1, 10), 3)
  const ivrMinDigits = checked('ivr_min_digits', integer(text('ivr_min_digits'), 1, 1, 32), 1)
  const ivrMaxDigits = checked('ivr_max_digits', integer(text('ivr_max_digits'), 16, 1, 32), 16)
  if (ivrMaxDigits < ivrMinDigits) fail('ivr_max_digits', `is below ivr_min_digits (${ivrMinDigits})`)
  const ivrTerminator = hash['ivr_terminator'] === undefined ? '#' : text('ivr_terminator')
  if (!/^[0-9*#]$/.test(ivrTerminator)) fail('ivr_terminator', 'must be one key: 0-9, * or #')

  const messages: Record<string, string> = {}
  for (const field of ['ivr_start_message', 'ivr_error_message', 'ivr_timeout_message']) {
    const message = text(field)
    const problem = message === '' ? undefined : soundValue(message, rules)
    if (problem) fail(field, problem)
    messages[field] = message
  }

  const pattern = text('destinations')
  const destinations = pattern === '' ? undefined : checked('destinations', compileDestinations(pattern), undefined)

  const lists: Record<'on_success' | 'on_failure', Step[]> = { on_success: [], on_failure: [] }
  for (const field of ['on_success', 'on_failure'] as const) {
    const steps = parseStepList(hash[field], rules)
    if (isStepProblems(steps)) for (const problem of steps) fail(field, problem.reason)
    else lists[field] = steps
  }

  if (problems.length > 0 || url === undefined) return new ConfigError(key, problems)
  return {
    name,
    url,
    description: hash['description'] ?? '',
    method: method as 'GET' | 'POST',
    timeoutMs,
    secret: secretText === '' ? undefined : secretText,
    callerId: callerId as CallerIdMode,
    callerNameMode: callerNameMode as CallerNameMode,
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
    onSuccess: lists.on_success,
    onFailure: lists.on_failure,
  }
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
