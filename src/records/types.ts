/**
 * What the routers and the console keep in Redis for people to read: one
 * record per finished call, alerts, and the audit trail of config changes.
 * Every string in them is capped and nothing secret is kept: request URLs are
 * masked like the logs (query values by their length, no credentials), an
 * IVR code only by its length, a secret never.
 */

/** One webhook request of a call (an IVR call may make several). */
export interface RequestRecord {
  /** ms after the call started. */
  readonly at: number
  readonly method: string
  /** Masked: query values replaced by their length, credentials removed. */
  readonly url: string
  /** Digits the caller typed for this request (their count only). */
  readonly codeLength: number
  readonly ok: boolean
  readonly httpStatus?: number | undefined
  readonly latencyMs: number
  readonly status?: string | undefined
  readonly destination?: string | undefined
  readonly callername?: string | undefined
  /** Why it failed (http_error, http_timeout, bad_response, circuit_open, aborted). */
  readonly reason?: string | undefined
  readonly detail?: string | undefined
}

export interface CallRecord {
  readonly type: 'call'
  /** When the call ended (epoch ms). */
  readonly t: number
  readonly started: number
  readonly uuid: string
  readonly webhook: string
  readonly did: string
  /** The caller's number as signalled; the console masks it for viewers with the read role. */
  readonly caller: string
  readonly callerName: string
  readonly result: string
  readonly reason: string
  readonly status?: string | undefined
  readonly httpStatus?: number | undefined
  readonly latencyMs?: number | undefined
  readonly attempts: number
  readonly destination?: string | undefined
  readonly disposition: string
  readonly durationMs: number
  readonly bridgeCause?: string | undefined
  readonly ivr: boolean
  readonly requests: readonly RequestRecord[]
}

export type AlertKind = 'webhook_failures' | 'circuit_open' | 'circuit_closed' | 'config_invalid' | 'redis_outage'

export interface AlertRecord {
  readonly type: 'alert'
  readonly t: number
  /** '' for the router as a whole (a Redis outage): shown only to tokens that see every webhook. */
  readonly webhook: string
  readonly kind: AlertKind
  readonly reason?: string | undefined
  /** How many events this alert stands for (failures in its window). */
  readonly count: number
  readonly detail?: string | undefined
  /** For an outage: when it began (epoch ms). */
  readonly since?: number | undefined
}

/** A field's value before and after, masked (secret hidden, URL query values masked); undefined = unset. */
export interface AuditChange {
  readonly field: string
  readonly before?: string | undefined
  readonly after?: string | undefined
}

export interface AuditRecord {
  readonly type: 'audit'
  readonly t: number
  readonly webhook: string
  /** `console: token 1a2b3c4d (admin)`, `cli: alice@host`, or `outside the console`. */
  readonly who: string
  readonly action: 'created' | 'updated' | 'removed'
  /** Made directly in Redis (redis-cli), noticed by the console. */
  readonly outside: boolean
  readonly changes: readonly AuditChange[]
}

export type AnyRecord = CallRecord | AlertRecord | AuditRecord

/** A record as read back, with its stream entry id. */
export type Stored<T> = T & { readonly id: string }

/** Caps a string to `max` characters (records never grow with what a peer sends). */
export function cap(text: string | undefined, max: number): string | undefined {
  if (text === undefined) return undefined
  return text.length > max ? `${text.slice(0, max)}…` : text
}
