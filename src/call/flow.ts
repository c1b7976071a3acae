/**
 * One call from start to end (SPEC 5): config lookup, optional IVR, webhook,
 * then bridge, on_success, fallback or hand-back, with the outcome variables
 * set on the channel first. After an ACK the caller name and number the
 * config chooses apply on every path. Every dependency is passed in.
 */
import type { ConfigSource } from '../config/source.ts'
import type { WebhookConfig } from '../config/webhook-config.ts'
import { EslError } from '../errors.ts'
import type { ChannelData } from '../esl/channel-data.ts'
import type { EslSession } from '../esl/session.ts'
import type { Logger } from '../logger.ts'
import type { Step } from '../steps/grammar.ts'
import type { RenderContext } from '../steps/render.ts'
import type { WebhookClient, WebhookResult } from '../webhook/client.ts'
import { handBack, runSteps, type Disposition } from './fallback.ts'
import { runIvr } from './ivr.ts'
import { outcomeVariables, type Outcome, type Reason } from './outcome.ts'
import { classifyDestination, dialString, presentationFor, presentationVariables, type DialSettings, type Destination, type Presentation } from './routing.ts'

/** FreeSWITCH answers an api command in milliseconds; a silent one must not hold the call forever. */
const SET_VARIABLES_DEADLINE_MS = 10_000
const setDeadline = (): { deadline: number } => ({ deadline: Date.now() + SET_VARIABLES_DEADLINE_MS })
/** Log bindings carry at most this much of the dialplan's `webhook` variable (valid names are 128 at most). */
const MAX_LOGGED_NAME = 130

export interface CallDependencies {
  readonly configs: ConfigSource
  readonly webhooks: Pick<WebhookClient, 'call'>
  readonly dial: DialSettings
  /** DEFAULT_ON_FAILURE: the fallback when the webhook's own config is missing or unusable. */
  readonly defaultOnFailure: readonly Step[]
  readonly logger: Logger
}

/** What happened to one call: the summary log line, metrics and tests read it. */
export interface CallSummary {
  readonly uuid: string
  readonly webhook: string
  readonly outcome: Outcome
  readonly disposition: Disposition
  readonly durationMs: number
  /** The webhook's config asked for the IVR. */
  readonly ivr: boolean
  /** The channel's numbers as signalled (untrusted text), for call records. */
  readonly did: string
  readonly callerIdNumber: string
  readonly callerIdName: string
}

/** How the call ends once its outcome is known: the list to run and what the callee is shown. */
interface Ending {
  readonly steps: readonly Step[]
  /** The config's presentation (undefined without a config). */
  readonly presentation: Presentation | undefined
  /** Set the presentation variables (after an ACK). */
  readonly present: boolean
}

export async function handleCall(session: EslSession, deps: CallDependencies): Promise<CallSummary | undefined> {
  const started = performance.now()
  const channel = await session.ready()
  if (channel instanceof EslError) {
    deps.logger.warn({ peer: session.remoteAddress, err: channel.message }, 'event socket handshake failed')
    return undefined
  }
  const webhook = channel.variable('webhook') ?? ''
  const log = deps.logger.child({ call: channel.uniqueId, webhook: webhook.length > MAX_LOGGED_NAME ? `${webhook.slice(0, MAX_LOGGED_NAME)}...` : webhook })
  let ivr = false
  const finish = (outcome: Outcome, disposition: Disposition): CallSummary => {
    const summary = { uuid: channel.uniqueId, webhook, outcome, disposition, durationMs: Math.round(performance.now() - started), ivr, did: channel.destinationNumber, callerIdNumber: channel.callerIdNumber, callerIdName: channel.callerIdName }
    const { result, reason, attempts, httpStatus, latencyMs } = outcome
    log.info({ result, reason, attempts, httpStatus, latencyMs, disposition, hangupCause: session.hangupCause, ms: summary.durationMs }, 'call done')
    return summary
  }
  const end = async (outcome: Outcome, ending: Ending): Promise<CallSummary> => finish(outcome, await conclude(session, outcome, ending, deps.dial, log))

  const lookup = webhook === '' ? ({ kind: 'missing' } as const) : await deps.configs.lookup(webhook)
  if (lookup.kind !== 'found') {
    const reason: Reason = lookup.kind === 'invalid' ? 'config_invalid' : lookup.kind === 'unavailable' ? 'config_unavailable' : 'config_missing'
    const detail = lookup.kind === 'invalid' ? lookup.error.message : lookup.kind === 'unavailable' ? lookup.reason : `no webhook ${JSON.stringify(webhook.slice(0, MAX_LOGGED_NAME))}`
    log.warn({ reason, detail }, 'no usable webhook config')
    return end({ result: 'failure', reason, attempts: 0 }, { steps: deps.defaultOnFailure, presentation: undefined, present: false })
  }
  const config = lookup.config
  ivr = config.ivr
  const ask = (code: string): Promise<WebhookResult> =>
    deps.webhooks.call(
      config,
      { code, did: channel.destinationNumber, callerid: channel.callerIdNumber, callername: channel.callerIdName, uuid: channel.uniqueId },
      { callUuid: channel.uniqueId, signal: session.signal, logger: log },
    )

  let result: WebhookResult
  let code = ''
  let attempts = 1
  if (config.ivr) {
    const collected = await runIvr(session, config, ask)
    if (collected.kind === 'ended') {
      return finish({ result: 'failure', reason: 'abandoned', attempts: collected.attempts }, collected.error.code === 'control_lost' ? 'transferred' : 'hung-up')
    }
    attempts = collected.attempts
    code = collected.code
    if (collected.kind === 'exhausted') {
      const outcome: Outcome = { ...fromWebhook(collected.last), result: 'failure', reason: 'ivr_exhausted', code, attempts }
      return end(outcome, failing(config, channel, undefined))
    }
    result = collected.webhook
  } else {
    result = await ask('')
  }
  if (!result.ok) {
    if (result.reason === 'aborted') return finish({ result: 'failure', reason: 'abandoned', code, attempts }, 'hung-up')
    return end({ ...fromWebhook(result), result: 'failure', reason: result.reason, code, attempts }, failing(config, channel, undefined))
  }
  const answer = result.answer
  const base = { ...fromWebhook(result), code, attempts }
  if (answer.status !== 'ACK') return end({ ...base, result: 'failure', reason: answer.status === 'NAK' ? 'nak' : 'err' }, failing(config, channel, undefined))

  // ACK: the caller name and number the config chooses apply on every path from here (SPEC 5).
  const presentation = presentationFor(config, channel, answer.callername)
  if (answer.destination === undefined) return end({ ...base, result: 'success', reason: 'ok' }, { steps: config.onSuccess, presentation, present: true })
  const destination = classifyDestination(answer.destination, config.destinations)
  if ('refused' in destination) {
    log.warn({ destination: JSON.stringify(answer.destination.slice(0, 40)), why: destination.refused }, 'webhook destination refused')
    return end({ ...base, result: 'failure', reason: 'bad_destination' }, { steps: config.onFailure, presentation, present: true })
  }
  const outcome: Outcome = { ...base, result: 'success', reason: 'ok', destination: destination.number }
  return bridge(session, config, outcome, destination, presentation, deps, log, finish, end)
}

/** The failure path before an ACK: on_failure, the config's presentation only for the privacy of its bridges. */
function failing(config: WebhookConfig, channel: ChannelData, webhookName: string | undefined): Ending {
  return { steps: config.onFailure, presentation: presentationFor(config, channel, webhookName), present: false }
}

/** The webhook's part of the outcome (answer fields, HTTP status, latency); the destination only once accepted. */
function fromWebhook(result: WebhookResult | undefined): Partial<Outcome> {
  if (!result) return {}
  if (!result.ok) return { httpStatus: result.httpStatus, latencyMs: result.latencyMs }
  return { status: result.answer.status, callername: result.answer.callername, httpStatus: result.httpStatus, latencyMs: result.latencyMs }
}

async function bridge(
  session: EslSession,
  config: WebhookConfig,
  outcome: Outcome,
  destination: Destination,
  presentation: Presentation,
  deps: CallDependencies,
  log: Logger,
  finish: (outcome: Outcome, disposition: Disposition) => CallSummary,
  end: (outcome: Outcome, ending: Ending) => Promise<CallSummary>,
): Promise<CallSummary> {
  const variables = {
    ...outcomeVariables(outcome),
    ...presentationVariables(presentation, destination.kind),
    // On the caller's channel: inside the dial string's {} FreeSWITCH ignores both (J4, J4c).
    continue_on_fail: 'true',
    hangup_after_bridge: 'true',
  }
  // Pipelined: the variables are set (synchronously, by the listener) before the bridge is queued.
  const set = session.setVariables(variables, setDeadline())
  const bridged = session.execute('bridge', dialString(destination, deps.dial, config.callerId === 'suppressed'))
  const setResult = await set
  if (setResult) log.error({ err: setResult.message }, 'could not set the call variables before bridging')
  const result = await bridged
  if (result instanceof EslError) {
    // hangup_after_bridge: a finished conversation ends the call; a hang-up before that is the caller's.
    return finish(outcome, result.code === 'control_lost' ? 'transferred' : session.bridged ? 'bridged' : 'hung-up')
  }
  if (result.variable('originate_disposition') === 'SUCCESS') {
    return finish(outcome, session.isActive ? await handBack(session) : 'bridged')
  }
  const cause = result.variable('originate_failed_cause') ?? result.variable('originate_disposition') ?? result.variable('DIALSTATUS') ?? 'UNKNOWN'
  log.warn({ cause }, 'bridge failed')
  // The presentation variables are already on the channel.
  return end({ ...outcome, result: 'failure', reason: 'bridge_failed', bridgeCause: cause }, { steps: config.onFailure, presentation, present: false })
}

/** Sets the outcome (and presentation) variables, then runs the list or hands the call back. */
async function conclude(session: EslSession, outcome: Outcome, ending: Ending, dial: DialSettings, log: Logger): Promise<Disposition> {
  if (!session.isActive) return session.hungUp ? 'hung-up' : 'lost'
  const bridges = ending.steps.some((step) => step.bridge !== undefined) ? { continue_on_fail: 'true', hangup_after_bridge: 'true' } : {}
  const presented = ending.present && ending.presentation ? presentationVariables(ending.presentation, undefined) : {}
  const set = session.setVariables({ ...outcomeVariables(outcome), ...presented, ...bridges }, setDeadline())
  const render: RenderContext = { dial, presentation: ending.presentation }
  // With no list the pipelined exit follows the variables: uuid_setvar_multi runs before exit is read.
  const disposition = ending.steps.length === 0 ? handBack(session) : runSteps(session, ending.steps, render, log)
  const setResult = await set
  if (setResult && setResult.code !== 'hangup') log.error({ err: setResult.message }, 'could not set the outcome variables')
  return disposition
}
