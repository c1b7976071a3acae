/** The templates, compiled once, with auto-escaping on. */
import { Eta } from 'eta'
import { describeSteps } from '../../call/dry-run.ts'
import type { Lang } from '../i18n.ts'
import { translator } from '../i18n.ts'
import type { Principal } from '../tokens.ts'
import { ERROR, LAYOUT, LOGIN, WEBHOOKS } from './layout.ts'
import { ALERTS, AUDIT, CALL, CALLS } from './records.ts'
import { FIELD, STEPS, TEST_RESULT, WEBHOOK } from './webhook.ts'

export type View = 'login' | 'error' | 'webhooks' | 'webhook' | 'calls' | 'call' | 'alerts' | 'audit'

const eta = new Eta({ autoEscape: true, cache: true, useWith: false })
for (const [name, template] of Object.entries({ layout: LAYOUT, login: LOGIN, error: ERROR, webhooks: WEBHOOKS, webhook: WEBHOOK, field: FIELD, steps: STEPS, 'test-result': TEST_RESULT, calls: CALLS, call: CALL, alerts: ALERTS, audit: AUDIT })) {
  eta.loadTemplate(`@${name}`, template)
}

/** What every page gets. */
export interface PageContext {
  readonly lang: Lang
  readonly principal: Principal | undefined
  readonly csrf: string
  /** The page's own path (for the language switch to come back to). */
  readonly path: string
  readonly flash?: { readonly kind: 'ok' | 'error'; readonly text: string } | undefined
}

/** `2026-12-02 17:19:03 UTC` */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)} UTC`
}

export function renderPage(view: View, context: PageContext, data: Readonly<Record<string, unknown>> & { readonly title: string; readonly section?: string }): string {
  return eta.render(`@${view}`, { ...context, t: translator(context.lang), time: formatTime, describeSteps, ...data })
}
