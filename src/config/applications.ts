/**
 * The dialplan applications a webhook's `on_success` / `on_failure` lists may
 * run: mod_dptools' ordinary routing and media applications. Anything that
 * runs code or reaches other systems (system, lua, curl, ...) is refused
 * unless the operator names it in EXTRA_FALLBACK_APPS.
 */
import { argumentProblem } from './text-rules.ts'

export const DEFAULT_FALLBACK_APPS: ReadonlySet<string> = new Set([
  'answer',
  'pre_answer',
  'ring_ready',
  'playback',
  'gentones',
  'say',
  'phrase',
  'sleep',
  'set',
  'export',
  'unset',
  'hangup',
  'transfer',
  'bridge',
  'voicemail',
  'park',
  'respond',
  'redirect',
  'deflect',
  'send_display',
  'privacy',
  'log',
  'info',
  'sched_hangup',
  'record_session',
])

/** One `"app args"` entry of an on_success / on_failure list. */
export interface AppStep {
  readonly app: string
  readonly args: string
}

/** Splits `"transfer 200 XML default"` into application and arguments. */
export function parseAppStep(entry: string): AppStep | Error {
  const trimmed = entry.trim()
  const space = trimmed.search(/\s/)
  const app = space === -1 ? trimmed : trimmed.slice(0, space)
  const args = space === -1 ? '' : trimmed.slice(space + 1).trim()
  if (!/^[a-z][a-z0-9_]*$/.test(app)) return new Error(`${JSON.stringify(app)} is not an application name`)
  const problem = argumentProblem(args)
  if (problem) return new Error(`arguments of ${app}: ${problem}`)
  return { app, args }
}
