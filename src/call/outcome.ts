/**
 * The outcome of a call and the channel variables that carry it (SPEC 9), set
 * before the bridge, the fallback or the hand-back so the dialplan and the
 * CDRs can use them.
 */
import { toInertText } from '../esl/variables.ts'

export type Reason =
  | 'ok'
  | 'nak'
  | 'err'
  | 'ivr_exhausted'
  | 'http_error'
  | 'http_timeout'
  | 'bad_response'
  | 'bad_destination'
  | 'bridge_failed'
  | 'config_missing'
  | 'config_invalid'
  | 'config_unavailable'
  | 'circuit_open'
  /** Logs and metrics only: the caller hung up before the call had an outcome (nothing left to set). */
  | 'abandoned'

export interface Outcome {
  readonly result: 'success' | 'failure'
  readonly reason: Reason
  /** ACK / NAK / ERR of the last answer. */
  readonly status?: string | undefined
  /** The destination the router accepted (E.164 or extension); never one it refused. */
  readonly destination?: string | undefined
  /** The callername the webhook returned. */
  readonly callername?: string | undefined
  /** The digits of the last IVR attempt. */
  readonly code?: string | undefined
  readonly httpStatus?: number | undefined
  readonly latencyMs?: number | undefined
  /** IVR attempts used; without IVR, 1 when the webhook was called. */
  readonly attempts: number
  /** Why the bridge failed (originate_failed_cause). */
  readonly bridgeCause?: string | undefined
}

/** Every outcome variable, in the order they are set; config steps may reference these and no others. */
export const OUTCOME_VARIABLE_NAMES = [
  'webhook_result',
  'webhook_reason',
  'webhook_status',
  'webhook_destination',
  'webhook_callername',
  'webhook_code',
  'webhook_http_status',
  'webhook_latency_ms',
  'webhook_attempts',
  'webhook_bridge_cause',
] as const

export type OutcomeVariable = (typeof OUTCOME_VARIABLE_NAMES)[number]

/**
 * All outcome variables; an empty value unsets (so a second pass through the
 * router leaves no stale value). Every value means nothing to FreeSWITCH in
 * any argument, so a config step or the dialplan may reference it anywhere.
 */
export function outcomeVariables(outcome: Outcome): Record<OutcomeVariable, string> {
  return {
    webhook_result: outcome.result,
    webhook_reason: outcome.reason,
    webhook_status: outcome.status ?? '',
    webhook_destination: (outcome.destination ?? '').replace(/[^+0-9]/g, ''),
    webhook_callername: toInertText(outcome.callername ?? '', 64),
    webhook_code: (outcome.code ?? '').replace(/[^0-9*#]/g, ''),
    webhook_http_status: outcome.httpStatus === undefined ? '' : String(outcome.httpStatus),
    webhook_latency_ms: outcome.latencyMs === undefined ? '' : String(Math.round(outcome.latencyMs)),
    webhook_attempts: String(outcome.attempts),
    webhook_bridge_cause: (outcome.bridgeCause ?? '').replace(/[^A-Z0-9_]/g, ''),
  }
}
