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
  /** The destination the webhook returned (as text). */
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

/** All outcome variables; an empty value unsets (so a second pass through the router leaves no stale value). */
export function outcomeVariables(outcome: Outcome): Record<string, string> {
  return {
    webhook_result: outcome.result,
    webhook_reason: outcome.reason,
    webhook_status: outcome.status ?? '',
    webhook_destination: toInertText(outcome.destination ?? '', 64),
    webhook_callername: toInertText(outcome.callername ?? '', 64),
    webhook_code: (outcome.code ?? '').replace(/[^0-9*#]/g, ''),
    webhook_http_status: outcome.httpStatus === undefined ? '' : String(outcome.httpStatus),
    webhook_latency_ms: outcome.latencyMs === undefined ? '' : String(Math.round(outcome.latencyMs)),
    webhook_attempts: String(outcome.attempts),
    webhook_bridge_cause: (outcome.bridgeCause ?? '').replace(/[^A-Z0-9_]/g, ''),
  }
}
