/**
 * A dry run of one webhook against its real URL, without a call: the request
 * (query values masked), the answer, and what the router would do with it
 * (bridge, run a list, hand back) with the outcome variables it would set.
 * Shared by `webhook-router simulate` and the console's "test this webhook",
 * so both say exactly the same thing.
 */
import { randomUUID } from 'node:crypto'
import { ConfigError, parseWebhookConfig, type ConfigRules, type WebhookConfig } from '../config/webhook-config.ts'
import { silentLogger } from '../logger.ts'
import type { Step } from '../steps/grammar.ts'
import { stepArgument } from '../steps/render.ts'
import type { WebhookClient } from '../webhook/client.ts'
import { maskUrl, renderUrl } from '../webhook/url-template.ts'
import { outcomeVariables, type Outcome } from './outcome.ts'
import { classifyDestination, dialString, presentationFor, presentationVariables, type DialSettings, type Presentation } from './routing.ts'

/** What the caller would send: the channel's numbers and, for an IVR, the digits typed. */
export interface DryRunInput {
  readonly did: string
  readonly callerid: string
  readonly callername: string
  readonly code: string
}

/** One step of a list as the router would send it (a bridge shown as the dial string it dials). */
export interface DryRunStep {
  readonly app: string
  readonly args: string
}

export type DryRunDecision =
  | { readonly kind: 'bridge'; readonly dialString: string; readonly callee: { readonly name: string; readonly number: string; readonly anonymous: boolean } }
  /** A list runs (`steps` empty: the call is handed back to the dialplan). */
  | { readonly kind: 'list'; readonly list: 'on_success' | 'on_failure'; readonly why: string; readonly steps: readonly DryRunStep[] }

export type DryRunAnswer =
  | { readonly ok: true; readonly httpStatus: number; readonly latencyMs: number; readonly status: string; readonly destination: string | undefined; readonly callername: string | undefined }
  | { readonly ok: false; readonly reason: string; readonly detail: string; readonly httpStatus: number | undefined; readonly latencyMs: number }

export type DryRunResult =
  | { readonly kind: 'missing'; readonly key: string }
  | { readonly kind: 'invalid'; readonly key: string; readonly error: ConfigError }
  | {
      readonly kind: 'ran'
      readonly request: { readonly method: 'GET' | 'POST'; readonly url: string; readonly maskedUrl: string; readonly signed: boolean }
      /** The IVR would run first and no digits were given. */
      readonly ivrWithoutCode: boolean
      readonly answer: DryRunAnswer
      readonly decision: DryRunDecision
      readonly result: 'success' | 'failure'
      readonly reason: string
      readonly variables: ReadonlyArray<readonly [string, string]>
      readonly callerIdMode: string
      readonly callerNameMode: string
    }

export interface DryRunDependencies {
  readonly client: Pick<WebhookClient, 'call'>
  readonly dial: DialSettings
  readonly rules: ConfigRules
}

/** Validates the stored hash, then calls the webhook once and decides as the router would. */
export async function dryRun(key: string, name: string, hash: Readonly<Record<string, string>> | undefined, input: DryRunInput, deps: DryRunDependencies): Promise<DryRunResult> {
  if (!hash) return { kind: 'missing', key }
  const config = parseWebhookConfig(key, name, hash, deps.rules)
  if (config instanceof ConfigError) return { kind: 'invalid', key, error: config }
  return runConfig(config, input, deps)
}

async function runConfig(config: WebhookConfig, input: DryRunInput, deps: DryRunDependencies): Promise<DryRunResult> {
  const uuid = randomUUID()
  const channel = { callerIdNumber: input.callerid, callerIdName: input.callername, destinationNumber: input.did }
  const code = input.code
  const template = { code, did: input.did, callerid: input.callerid, callername: input.callername, uuid }
  const url = renderUrl(config.url, template)
  const request = { method: config.method, url, maskedUrl: maskUrl(url), signed: config.secret !== undefined }
  const result = await deps.client.call(config, template, { callUuid: uuid, signal: new AbortController().signal, logger: silentLogger })
  const attempts = 1
  const failureList = (why: string, presentation: Presentation | undefined): DryRunDecision => ({ kind: 'list', list: 'on_failure', why, steps: shownSteps(config.onFailure, deps.dial, presentation) })
  const base = { kind: 'ran' as const, request, ivrWithoutCode: config.ivr && code === '', callerIdMode: config.callerId, callerNameMode: config.callerNameMode }

  let outcome: Outcome
  let answer: DryRunAnswer
  let decision: DryRunDecision
  // Before an ACK the config's presentation only shapes the privacy of the fallback's bridges (as in flow.ts).
  const failing = presentationFor(config, channel, undefined)
  if (!result.ok) {
    answer = { ok: false, reason: result.reason, detail: result.detail, httpStatus: result.httpStatus, latencyMs: result.latencyMs }
    outcome = { result: 'failure', reason: result.reason === 'aborted' ? 'http_error' : result.reason, httpStatus: result.httpStatus, latencyMs: result.latencyMs, code, attempts }
    decision = failureList('failure path', failing)
  } else {
    const reply = result.answer
    answer = { ok: true, httpStatus: result.httpStatus, latencyMs: result.latencyMs, status: reply.status, destination: reply.destination, callername: reply.callername }
    const fields = { status: reply.status, destination: reply.destination, callername: reply.callername, httpStatus: result.httpStatus, latencyMs: result.latencyMs, code, attempts }
    const presentation = presentationFor(config, channel, reply.callername)
    if (reply.status !== 'ACK') {
      outcome = { ...fields, result: 'failure', reason: reply.status === 'NAK' ? 'nak' : 'err' }
      decision = failureList(`${reply.status}: ${config.ivr && reply.status === 'NAK' ? 'the caller would try again (IVR), then ' : ''}failure path`, failing)
    } else if (reply.destination === undefined) {
      outcome = { ...fields, result: 'success', reason: 'ok' }
      decision = { kind: 'list', list: 'on_success', why: 'ACK without destination', steps: shownSteps(config.onSuccess, deps.dial, presentation) }
    } else {
      const destination = classifyDestination(reply.destination, config.destinations)
      if ('refused' in destination) {
        outcome = { ...fields, result: 'failure', reason: 'bad_destination' }
        decision = failureList(`destination refused (${destination.refused}): failure path`, presentation)
      } else {
        outcome = { ...fields, result: 'success', reason: 'ok', destination: destination.number }
        const shown = presentationVariables(presentation, destination.kind)
        decision = {
          kind: 'bridge',
          dialString: dialString(destination, deps.dial, config.callerId === 'suppressed'),
          callee: { name: shown['effective_caller_id_name'] ?? '', number: shown['effective_caller_id_number'] ?? '', anonymous: config.callerId === 'suppressed' && destination.kind === 'e164' },
        }
      }
    }
  }
  const variables = Object.entries(outcomeVariables(outcome)).filter(([, value]) => value !== '')
  return { ...base, answer, decision, result: outcome.result, reason: outcome.reason, variables }
}

/** Each step as the router would send it: a bridge shown as the dial string it would dial. */
function shownSteps(steps: readonly Step[], dial: DialSettings, presentation: Presentation | undefined): DryRunStep[] {
  return steps.map((step) => ({ app: step.app, args: stepArgument(step, { dial, presentation }) }))
}

/** `run playback x, then bridge sofia/...` or `hand back to the dialplan`. */
export function describeSteps(steps: readonly DryRunStep[]): string {
  return steps.length === 0 ? 'hand back to the dialplan' : `run ${steps.map((step) => `${step.app} ${step.args}`.trim()).join(', then ')}`
}

/** The dry run as `webhook-router simulate` prints it, one labelled line each. */
export function formatDryRun(result: DryRunResult, showUrl: boolean): string {
  if (result.kind === 'missing') return `${result.key} does not exist: a call would take DEFAULT_ON_FAILURE (reason config_missing)\n`
  if (result.kind === 'invalid') return `${result.error.message}\na call would take DEFAULT_ON_FAILURE (reason config_invalid), unless the router still holds an earlier valid version\n`
  const lines: string[] = []
  if (result.ivrWithoutCode) lines.push('note: this webhook runs the IVR first; pass --code to simulate the digits typed')
  lines.push(`request   ${result.request.method} ${showUrl ? result.request.url : result.request.maskedUrl}${result.request.signed ? '  (signed)' : ''}`)
  const answer = result.answer
  if (!answer.ok) lines.push(`answer    ${answer.reason}: ${answer.detail} (${answer.latencyMs} ms)`)
  else {
    lines.push(
      `answer    HTTP ${answer.httpStatus} in ${answer.latencyMs} ms: status=${answer.status}${answer.destination === undefined ? '' : ` destination=${JSON.stringify(answer.destination)}`}${answer.callername === undefined ? '' : ` callername=${JSON.stringify(answer.callername)}`}`,
    )
  }
  const decision = result.decision
  if (decision.kind === 'bridge') {
    lines.push(`decision  bridge ${decision.dialString}`)
    const identity = `name ${JSON.stringify(decision.callee.name)}, number ${JSON.stringify(decision.callee.number)}`
    const seen = decision.callee.anonymous ? `an anonymous caller (Privacy: id); P-Asserted-Identity carries ${identity}` : identity
    lines.push(`callee    sees ${seen} (caller_id ${result.callerIdMode}, callername_mode ${result.callerNameMode})`)
  } else {
    lines.push(`decision  ${decision.why}: ${describeSteps(decision.steps)}`)
  }
  lines.push(`variables ${result.variables.map(([key, value]) => `${key}=${value}`).join(' ')}`)
  return `${lines.join('\n')}\n`
}
