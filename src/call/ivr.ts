/**
 * The IVR attempt loop (SPEC 5.4): answer, then per attempt one
 * play_and_get_digits with a single try, 250 ms of silence as its own
 * "invalid" sound and a fresh result variable, so the router itself tells
 * "no input" from "input"; the prompt explains why the previous attempt
 * failed. Digits go to the webhook; ACK ends the loop, NAK tries again.
 */
import type { WebhookConfig } from '../config/webhook-config.ts'
import { EslError } from '../errors.ts'
import type { EslSession } from '../esl/session.ts'
import type { WebhookResult } from '../webhook/client.ts'
import type { WebhookAnswer } from '../webhook/response.ts'

export type IvrResult =
  | { readonly kind: 'ack'; readonly answer: WebhookAnswer; readonly webhook: WebhookResult; readonly code: string; readonly attempts: number }
  /** The webhook failed or said ERR: the failure path. */
  | { readonly kind: 'webhook-failed'; readonly webhook: WebhookResult; readonly code: string; readonly attempts: number }
  | { readonly kind: 'exhausted'; readonly last: WebhookResult | undefined; readonly code: string; readonly attempts: number }
  /** The call ended or left our control while collecting. */
  | { readonly kind: 'ended'; readonly error: EslError; readonly attempts: number }

type Entry = { readonly kind: 'none' } | { readonly kind: 'invalid'; readonly digits: string } | { readonly kind: 'digits'; readonly digits: string }

export async function runIvr(
  session: EslSession,
  config: WebhookConfig,
  askWebhook: (code: string) => Promise<WebhookResult>,
): Promise<IvrResult> {
  // Pipelined: the first collection is queued behind the answer (event-lock keeps the order).
  const answered = session.execute('answer')
  let previous: 'nak' | 'timeout' | undefined
  let last: WebhookResult | undefined
  let code = ''
  for (let attempt = 1; attempt <= config.ivrAttempts; attempt++) {
    const message = attempt === 1 ? config.ivrStartMessage : previous === 'nak' ? config.ivrErrorMessage : config.ivrTimeoutMessage
    const collected = collect(session, config, message, attempt)
    if (attempt === 1) {
      const answer = await answered
      if (answer instanceof EslError) return { kind: 'ended', error: answer, attempts: 0 }
    }
    const entry = await collected
    if (entry instanceof EslError) return { kind: 'ended', error: entry, attempts: attempt }
    if (entry.kind === 'none') {
      previous = 'timeout'
      continue
    }
    code = entry.digits
    if (entry.kind === 'invalid') {
      // Too few digits or a key that is not a digit: a wrong code, without asking the webhook.
      previous = 'nak'
      continue
    }
    const result = await askWebhook(code)
    last = result
    if (!result.ok || result.answer.status === 'ERR') return { kind: 'webhook-failed', webhook: result, code, attempts: attempt }
    if (result.answer.status === 'ACK') return { kind: 'ack', answer: result.answer, webhook: result, code, attempts: attempt }
    previous = 'nak'
  }
  return { kind: 'exhausted', last, code, attempts: config.ivrAttempts }
}

/** One attempt: plays the prompt and collects keys; tells no input, a bad entry and digits apart. */
async function collect(session: EslSession, config: WebhookConfig, message: string, attempt: number): Promise<Entry | EslError> {
  const variable = `webhook_ivr_entry_${attempt}`
  const timeoutMs = config.ivrTimeoutSeconds * 1000
  const prompt = message === '' ? 'silence' : message.includes(' ') ? `'${message}'` : message
  const arg = `${config.ivrMinDigits} ${config.ivrMaxDigits} 1 ${timeoutMs} ${config.ivrTerminator} ${prompt} silence_stream://250 ${variable} ^[0-9*#]+$ ${timeoutMs}`
  // The prompt's length is unknown: the deadline only guards against a completion that never comes.
  const result = await session.execute('play_and_get_digits', arg, { deadline: Date.now() + 2 * timeoutMs + 600_000 })
  if (result instanceof EslError) return result
  const digits = result.variable(variable) ?? ''
  const rejected = result.variable(`${variable}_invalid`) ?? ''
  // FreeSWITCH keeps too-short digits in the variable with read_result=failure; "timeout" with
  // enough digits (no terminator pressed) is a good entry.
  if (digits !== '' && result.variable('read_result') !== 'failure') return { kind: 'digits', digits }
  if (digits !== '' || rejected !== '') return { kind: 'invalid', digits: digits || rejected }
  return { kind: 'none' }
}
