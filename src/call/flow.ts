/**
 * One call from start to end (SPEC 5): config lookup, optional IVR, webhook,
 * then bridge, on_success, fallback or hand-back, with the outcome variables
 * set on the channel first. Every dependency is passed in.
 */
import type { AppStep } from '../config/applications.ts'
import type { ConfigSource } from '../config/source.ts'
import type { WebhookConfig } from '../config/webhook-config.ts'
import { EslError } from '../errors.ts'
import type { ChannelData } from '../esl/channel-data.ts'
import type { EslSession } from '../esl/session.ts'
import type { Logger } from '../logger.ts'
import type { WebhookClient, WebhookResult } from '../webhook/client.ts'
import { handBack, runSteps, type Disposition } from './fallback.ts'
import { runIvr } from './ivr.ts'
import { outcomeVariables, type Outcome, type Reason } from './outcome.ts'
import { calleeDisplayName, classifyDestination, dialString, presentationVariables, type DialSettings } from './routing.ts'

/** FreeSWITCH answers an api command in milliseconds; a silent one must not hold the call forever. */
const SET_VARIABLES_DEADLINE_MS = 10_000
const setDeadline = (): { deadline: number } => ({ deadline: Date.now() + SET_VARIABLES_DEADLINE_MS })

export interface CallDependencies {
  readonly configs: ConfigSource
  readonly webhooks: Pick<WebhookClient, 'call'>
  readonly dial: DialSettings
  /** DEFAULT_ON_FAILURE: the fallback when the webhook's own config is missing or unusable. */
  readonly defaultOnFailure: readonly AppStep[]
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
}

export async function handleCall(session: EslSession, deps: CallDependencies): Promise<CallSummary | undefined> {
  const started = performance.now()
  const channel = await session.ready()
  if (channel instanceof EslError) {
    deps.logger.warn({ peer: session.remoteAddress, err: channel.message }, 'event socket handshake failed')
    return undefined
  }
  const webhook = channel.variable('webhook') ?? ''
  const log = deps.logger.child({ call: channel.uniqueId, webhook })
  let ivr = false
  const finish = (outcome: Outcome, disposition: Disposition): CallSummary => {
    const summary = { uuid: channel.uniqueId, webhook, outcome, disposition, durationMs: Math.round(performance.now() - started), ivr }
    log.info(
      {
        result: outcome.result,
        reason: outcome.reason,
        attempts: outcome.attempts,
        httpStatus: outcome.httpStatus,
        latencyMs: outcome.latencyMs,
        disposition,
        hangupCause: session.hangupCause,
        ms: summary.durationMs,
      },
      'call done',
    )
    return summary
  }
  const failed = async (outcome: Outcome, steps: readonly AppStep[]): Promise<CallSummary> => finish(outcome, await conclude(session, outcome, steps, log))

  const lookup = webhook === '' ? ({ kind: 'missing' } as const) : await deps.configs.lookup(webhook)
  if (lookup.kind !== 'found') {
    const reason: Reason = lookup.kind === 'invalid' ? 'config_invalid' : lookup.kind === 'unavailable' ? 'config_unavailable' : 'config_missing'
    log.warn({ reason, detail: lookup.kind === 'invalid' ? lookup.error.message : lookup.kind === 'unavailable' ? lookup.reason : `no webhook ${JSON.stringify(webhook)}` }, 'no usable webhook config')
    return failed({ result: 'failure', reason, attempts: 0 }, deps.defaultOnFailure)
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
    const ivr = await runIvr(session, config, ask)
    if (ivr.kind === 'ended') return finish({ result: 'failure', reason: 'abandoned', attempts: ivr.attempts }, ivr.error.code === 'control_lost' ? 'transferred' : 'hung-up')
    attempts = ivr.attempts
    code = ivr.code
    if (ivr.kind === 'exhausted') {
      return failed({ ...fromWebhook(ivr.last), result: 'failure', reason: 'ivr_exhausted', code, attempts }, config.onFailure)
    }
    result = ivr.webhook
  } else {
    result = await ask('')
  }
  if (!result.ok) {
    if (result.reason === 'aborted') return finish({ result: 'failure', reason: 'abandoned', code, attempts }, 'hung-up')
    return failed({ ...fromWebhook(result), result: 'failure', reason: result.reason, code, attempts }, config.onFailure)
  }
  const answer = result.answer
  const base = { ...fromWebhook(result), code, attempts }
  if (answer.status !== 'ACK') {
    return failed({ ...base, result: 'failure', reason: answer.status === 'NAK' ? 'nak' : 'err' }, config.onFailure)
  }
  if (answer.destination === undefined) {
    return failed({ ...base, result: 'success', reason: 'ok' }, config.onSuccess)
  }
  const destination = classifyDestination(answer.destination, config.destinations)
  if ('refused' in destination) {
    log.warn({ destination: answer.destination.slice(0, 40), why: destination.refused }, 'webhook destination refused')
    return failed({ ...base, result: 'failure', reason: 'bad_destination' }, config.onFailure)
  }
  return bridge(session, config, channel, { ...base, result: 'success', reason: 'ok' }, destination, deps, log, finish)
}

/** The webhook's part of the outcome (answer fields, HTTP status, latency). */
function fromWebhook(result: WebhookResult | undefined): Partial<Outcome> {
  if (!result) return {}
  if (!result.ok) return { httpStatus: result.httpStatus, latencyMs: result.latencyMs }
  return {
    status: result.answer.status,
    destination: result.answer.destination,
    callername: result.answer.callername,
    httpStatus: result.httpStatus,
    latencyMs: result.latencyMs,
  }
}

async function bridge(
  session: EslSession,
  config: WebhookConfig,
  channel: ChannelData,
  outcome: Outcome,
  destination: Exclude<ReturnType<typeof classifyDestination>, { refused: string }>,
  deps: CallDependencies,
  log: Logger,
  finish: (outcome: Outcome, disposition: Disposition) => CallSummary,
): Promise<CallSummary> {
  const name = calleeDisplayName(config, channel.callerIdName, outcome.callername)
  const variables = {
    ...outcomeVariables(outcome),
    ...presentationVariables(config, channel, name, destination),
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
  const failure: Outcome = { ...outcome, result: 'failure', reason: 'bridge_failed', bridgeCause: cause }
  return finish(failure, await conclude(session, failure, config.onFailure, log))
}

/** Sets the outcome variables, then runs the list or hands the call back. */
async function conclude(session: EslSession, outcome: Outcome, steps: readonly AppStep[], log: Logger): Promise<Disposition> {
  if (!session.isActive) return session.hungUp ? 'hung-up' : 'lost'
  const extra = steps.some((step) => step.app === 'bridge') ? { continue_on_fail: 'true', hangup_after_bridge: 'true' } : {}
  const set = session.setVariables({ ...outcomeVariables(outcome), ...extra }, setDeadline())
  // With no list the pipelined exit follows the variables: uuid_setvar_multi runs before exit is read.
  const disposition = steps.length === 0 ? handBack(session) : runSteps(session, steps, log)
  const setResult = await set
  if (setResult) log.error({ err: setResult.message }, 'could not set the outcome variables')
  return disposition
}
