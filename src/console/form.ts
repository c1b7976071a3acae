/**
 * The webhook form <-> config fields. Each step row is checked on its own
 * with the step grammar's parseStep, so its reason shows beside it; the whole
 * config is then validated by the same code as the CLI and the API.
 */
import { CONFIG_FIELDS } from '../config/webhook-config.ts'
import { APPLICATIONS, parseStep, type StepPolicy } from '../steps/grammar.ts'
import { parseUrlTemplate, renderUrl } from '../webhook/url-template.ts'
import type { ShownProblem } from './operations.ts'

export type FormBody = Readonly<Record<string, string | readonly string[] | undefined>>

export interface StepRow {
  readonly value: string
  readonly reason?: string | undefined
}

export type StepLists = Readonly<Record<'on_success' | 'on_failure', readonly StepRow[]>>

/** Sample values of the URL preview. */
export const SAMPLES = { code: '1234', did: '31201234567', callerid: '31612345678', callername: 'Jan Jansen', uuid: '0b7c1c3e-5d0f-4d4b-9a51-6f1f8e3a2b10' } as const

const first = (value: string | readonly string[] | undefined): string => (typeof value === 'string' ? value : (value?.[0] ?? ''))
const all = (value: string | readonly string[] | undefined): string[] => (value === undefined ? [] : typeof value === 'string' ? [value] : [...value])

/** The submitted form as config fields (for ConsoleOperations.putWebhook) and the step rows with their reasons. */
export function readForm(body: FormBody, policy: StepPolicy): { fields: Record<string, string>; rows: StepLists } {
  const fields: Record<string, string> = {}
  for (const field of CONFIG_FIELDS) {
    if (field === 'secret' || field === 'ivr' || field === 'on_success' || field === 'on_failure') continue
    fields[field] = first(body[field]).trim()
  }
  // A checkbox is absent when off.
  fields['ivr'] = first(body['ivr']) === 'yes' ? 'yes' : ''
  // Write-only: empty keeps the stored secret.
  if (first(body['secret_remove']) === 'yes') fields['secret'] = ''
  else if (first(body['secret']) !== '') fields['secret'] = first(body['secret'])
  const rows = { on_success: [] as StepRow[], on_failure: [] as StepRow[] }
  for (const list of ['on_success', 'on_failure'] as const) {
    const entries = all(body[list])
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '')
    for (const entry of entries) {
      const step = parseStep(entry, policy)
      rows[list].push({ value: entry, reason: typeof step === 'string' ? step : undefined })
    }
    fields[list] = entries.length === 0 ? '' : JSON.stringify(entries)
  }
  return { fields, rows }
}

/** A stored hash as the form shows it: every field but the secret, the step lists one entry per row. */
export function formValues(hash: Readonly<Record<string, string>>, policy: StepPolicy): { values: Record<string, string>; rows: StepLists } {
  const values: Record<string, string> = {}
  for (const [field, value] of Object.entries(hash)) if (field !== 'secret') values[field] = value
  const rows = { on_success: [] as StepRow[], on_failure: [] as StepRow[] }
  for (const list of ['on_success', 'on_failure'] as const) {
    const raw = hash[list]
    if (raw === undefined || raw.trim() === '') continue
    let parsed: unknown
    try {
      parsed = JSON.parse(raw)
    } catch {
      parsed = undefined
    }
    if (!Array.isArray(parsed)) {
      rows[list].push({ value: raw, reason: 'is not a JSON array of "app args" strings' })
      continue
    }
    for (const entry of parsed) {
      const text = typeof entry === 'string' ? entry : JSON.stringify(entry)
      const step = typeof entry === 'string' ? parseStep(entry, policy) : 'is not a string'
      rows[list].push({ value: text, reason: typeof step === 'string' ? step : undefined })
    }
  }
  return { values, rows }
}

/** The rows shown: what there is, then empty ones to fill in. */
export function withSpareRows(rows: StepLists, spare = 2): StepLists {
  const pad = (list: readonly StepRow[]): StepRow[] => [...list, ...Array.from({ length: spare }, () => ({ value: '' }))]
  return { on_success: pad(rows.on_success), on_failure: pad(rows.on_failure) }
}

/** Problems by field for the form; step problems of the config are left to the rows, except the list's own. */
export function problemsByField(problems: readonly ShownProblem[], rows: StepLists): { byField: Record<string, string[]>; lists: Record<string, string[]>; other: string[] } {
  const byField: Record<string, string[]> = {}
  const lists: Record<string, string[]> = {}
  const other: string[] = []
  for (const problem of problems) {
    if (problem.field === 'on_success' || problem.field === 'on_failure') {
      const perRow = rows[problem.field].some((row) => row.reason !== undefined)
      if (!perRow || !problem.reason.startsWith('step ')) (lists[problem.field] ??= []).push(problem.reason)
      continue
    }
    ;(byField[problem.field] ??= []).push(problem.reason)
    if (!CONFIG_FIELDS.includes(problem.field as (typeof CONFIG_FIELDS)[number]) && problem.field !== '(name)') other.push(`${problem.field}: ${problem.reason}`)
  }
  return { byField, lists, other }
}

/** The URL the template gives for the sample values, or why it cannot. */
export function previewUrl(template: string): string {
  if (template.trim() === '') return ''
  const parsed = parseUrlTemplate(template.trim())
  return parsed instanceof Error ? parsed.message : renderUrl(parsed, SAMPLES)
}

/** The applications a step may name, with their syntax, for the form's help. */
export function applicationList(policy: StepPolicy): Array<{ name: string; syntax: string }> {
  return [...Object.entries(APPLICATIONS).map(([name, app]) => ({ name, syntax: app.syntax })), ...[...policy.extraApps].map((name) => ({ name, syntax: `${name} <text>` }))]
}

/** The dialplan extension that hands calls to this webhook. */
export function dialplanFor(name: string, eslHost: string, eslPort: number): string {
  const host = eslHost === '0.0.0.0' || eslHost === '::' ? 'ROUTER_ADDRESS' : eslHost.includes(':') ? `[${eslHost}]` : eslHost
  // XML attribute values: a name may hold characters XML needs escaped (the page escapes again for HTML).
  const attribute = name.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')
  return [
    `<extension name="webhook-${attribute}">`,
    '  <condition field="destination_number" expression="^(31201234567)$">',
    `    <action application="set" data="webhook=${attribute}"/>`,
    `    <action application="socket" data="${host}:${eslPort} async full"/>`,
    '    <action application="hangup" data="NORMAL_TEMPORARY_FAILURE"/>',
    '  </condition>',
    '</extension>',
  ].join('\n')
}

