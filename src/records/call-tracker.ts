/**
 * Collects what a call's webhook requests did (URL masked, answer, latency)
 * while the call runs, so its record can show the request, the answer and the
 * IVR attempts. It wraps the webhook client the call flow uses; it only looks
 * at results, never delays them. Bounded: a call whose summary never comes is
 * forgotten once `maxCalls` newer ones are held.
 */
import type { CallSummary } from '../call/flow.ts'
import type { WebhookConfig } from '../config/webhook-config.ts'
import type { WebhookClient, WebhookResult } from '../webhook/client.ts'
import { maskUrl, renderUrl, type TemplateValues } from '../webhook/url-template.ts'
import { cap, type CallRecord, type RequestRecord } from './types.ts'

interface Pending {
  readonly started: number
  readonly requests: RequestRecord[]
}

/** At most this many requests kept per call (an IVR makes at most 10). */
const MAX_REQUESTS = 12

export class CallTracker {
  private readonly pending = new Map<string, Pending>()

  constructor(
    private readonly maxCalls = 20_000,
    /** Told about every request with the webhook's origin (circuit alerts). */
    private readonly onRequest?: (webhook: string, origin: string, result: WebhookResult) => void,
  ) {}

  /** The client the call flow gets: the same calls, observed. */
  wrap(client: Pick<WebhookClient, 'call'>): Pick<WebhookClient, 'call'> {
    return {
      call: async (config, values, context) => {
        const began = Date.now()
        const result = await client.call(config, values, context)
        this.observe(config, values, context.callUuid, began, result)
        return result
      },
    }
  }

  private observe(config: WebhookConfig, values: TemplateValues, uuid: string, began: number, result: WebhookResult): void {
    let url = ''
    let origin = ''
    try {
      const rendered = renderUrl(config.url, values)
      url = maskUrl(rendered)
      origin = new URL(rendered).origin
    } catch {
      url = '<invalid url>'
    }
    this.onRequest?.(config.name, origin, result)
    let pending = this.pending.get(uuid)
    if (!pending) {
      pending = { started: began, requests: [] }
      this.pending.set(uuid, pending)
      if (this.pending.size > this.maxCalls) this.pending.delete(this.pending.keys().next().value as string)
    }
    if (pending.requests.length >= MAX_REQUESTS) return
    const base = { at: began - pending.started, method: config.method, url: cap(url, 300) ?? '', codeLength: values.code.length, latencyMs: Math.round(result.latencyMs), httpStatus: result.httpStatus }
    pending.requests.push(
      result.ok
        ? { ...base, ok: true, status: result.answer.status, destination: cap(result.answer.destination, 64), callername: cap(result.answer.callername, 64) }
        : { ...base, ok: false, reason: result.reason, detail: cap(result.detail, 200) },
    )
  }

  /** The call's record; forgets what was held for it. */
  finish(summary: CallSummary, now = Date.now()): CallRecord {
    const pending = this.pending.get(summary.uuid)
    this.pending.delete(summary.uuid)
    const started = now - summary.durationMs
    const shift = pending ? pending.started - started : 0
    const outcome = summary.outcome
    return {
      type: 'call',
      t: now,
      started,
      uuid: cap(summary.uuid, 64) ?? '',
      webhook: cap(summary.webhook, 130) ?? '',
      did: cap(summary.did, 64) ?? '',
      caller: cap(summary.callerIdNumber, 64) ?? '',
      callerName: cap(summary.callerIdName, 64) ?? '',
      result: outcome.result,
      reason: outcome.reason,
      status: outcome.status,
      httpStatus: outcome.httpStatus,
      latencyMs: outcome.latencyMs === undefined ? undefined : Math.round(outcome.latencyMs),
      attempts: outcome.attempts,
      destination: cap(outcome.destination, 64),
      disposition: summary.disposition,
      durationMs: summary.durationMs,
      bridgeCause: cap(outcome.bridgeCause, 64),
      ivr: summary.ivr,
      // Offsets from the call's start as the flow measured it.
      requests: (pending?.requests ?? []).map((request) => ({ ...request, at: Math.max(0, request.at + shift) })),
    }
  }
}
