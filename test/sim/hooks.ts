/**
 * Hook variables: channel variables FreeSWITCH reads later and runs as an
 * API command or an application, with no further command from the
 * controller (NOTES "Hook variables", K3): `api_on_answer`,
 * `execute_on_answer`, the other `api_on_*` / `execute_on_*`,
 * `api_hangup_hook` and the other `*_hook`s, on the channel or in a dial
 * string's `{}` / `[]` for the legs it creates. A name matches by prefix, as
 * switch_channel_execute_on / api_on match it (`api_on_answer_2` runs too).
 */
import type { VariableValue } from './variable-store.ts'

export type HookMoment =
  | 'answer'
  | 'pre_answer'
  | 'media'
  | 'ring'
  | 'originate'
  | 'pre_originate'
  | 'post_originate'
  | 'pre_bridge'
  | 'post_bridge'
  | 'after_bridge'
  | 'tone_detect'
  | 'hangup'
  | 'reporting'

export interface HookRun {
  /** The channel it ran on: the controlled channel, or a leg a bridge dialled. */
  readonly leg: 'caller' | 'callee'
  readonly variable: string
  readonly moment: HookMoment
  /** `api`: an API command line; `app`: an application and its argument. */
  readonly kind: 'api' | 'app'
  /** The command as it would run (after expansion), as text. */
  readonly command: string
}

// Longest prefixes first: `api_on_pre_answer` must not be read as `api_on_...` something shorter.
const PREFIXES: ReadonlyArray<readonly [prefix: string, kind: 'api' | 'app', moment: HookMoment]> = [
  ['execute_on_post_originate', 'app', 'post_originate'],
  ['execute_on_pre_originate', 'app', 'pre_originate'],
  ['execute_on_tone_detect', 'app', 'tone_detect'],
  ['execute_on_post_bridge', 'app', 'post_bridge'],
  ['execute_on_pre_bridge', 'app', 'pre_bridge'],
  ['execute_on_pre_answer', 'app', 'pre_answer'],
  ['execute_on_originate', 'app', 'originate'],
  ['execute_on_answer', 'app', 'answer'],
  ['execute_on_media', 'app', 'media'],
  ['execute_on_ring', 'app', 'ring'],
  ['api_on_post_originate', 'api', 'post_originate'],
  ['api_on_pre_originate', 'api', 'pre_originate'],
  ['api_on_tone_detect', 'api', 'tone_detect'],
  ['api_on_pre_answer', 'api', 'pre_answer'],
  ['api_on_originate', 'api', 'originate'],
  ['api_on_answer', 'api', 'answer'],
  ['api_on_media', 'api', 'media'],
  ['api_on_ring', 'api', 'ring'],
  ['api_after_bridge', 'api', 'after_bridge'],
  ['api_hangup_hook', 'api', 'hangup'],
  ['api_reporting_hook', 'api', 'reporting'],
]

// A cheap first look: only these names can be hooks.
const MAYBE_HOOK = /^(api_|execute_on_)|_hook$/i

/** What a variable name arms, if it is a hook: any `api_on_*`, `execute_on_*` or `*_hook` is one. */
export function hookOf(name: string): { kind: 'api' | 'app'; moment: HookMoment | undefined } | undefined {
  const lower = name.toLowerCase()
  for (const [prefix, kind, moment] of PREFIXES) {
    if (lower.startsWith(prefix)) return { kind, moment }
  }
  if (lower.startsWith('api_on_')) return { kind: 'api', moment: undefined }
  if (lower.startsWith('execute_on_')) return { kind: 'app', moment: undefined }
  // Other *_hook variables (session_in_hangup_hook is a flag, not a command) are treated as hang-up hooks.
  if (lower.endsWith('_hook') && lower !== 'session_in_hangup_hook') return { kind: 'api', moment: 'hangup' }
  return undefined
}

/** The hooks armed for `moment` among these variables, in their order. */
export function hooksAt(
  variables: Iterable<readonly [string, VariableValue]>,
  moment: HookMoment,
): Array<{ variable: string; kind: 'api' | 'app'; value: string }> {
  const due: Array<{ variable: string; kind: 'api' | 'app'; value: string }> = []
  for (const [name, value] of variables) {
    if (!MAYBE_HOOK.test(name)) continue
    const hook = hookOf(name)
    if (!hook || hook.moment !== moment) continue
    for (const item of typeof value === 'string' ? [value] : value) due.push({ variable: name, kind: hook.kind, value: item })
  }
  return due
}
