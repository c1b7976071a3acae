/**
 * The channel variables a config may set (`set`, `export`, `multiset`,
 * `unset`, a bridge's `{...}` block), each with the grammar of its value:
 * presentation, timeouts, ringback and the router's own outcome variables.
 * Hook variables (`api_hangup_hook`, `execute_on_answer`, `api_on_*`, ...)
 * run APIs later, outside any list, and are never here; an operator who
 * needs another variable names it in EXTRA_STEP_VARIABLES.
 */
import { OUTCOME_VARIABLE_NAMES } from '../call/outcome.ts'
import { booleanValue, matching, nameValue, numberValue, oneOf, secondsValue, soundValue, textProblem, type ValueCheck } from './values.ts'

export interface VariableRule {
  readonly value: ValueCheck
  /** For the docs and the console. */
  readonly describes: string
}

const PRIVACY_FLAGS = /^(?:screen|hide_name|hide_number)(?:\+(?:screen|hide_name|hide_number)){0,2}$/
const CAUSES = /^(?:true|false|[A-Z][A-Z0-9_]{2,40}(?:,[A-Z][A-Z0-9_]{2,40}){0,15})$/

const rule = (value: ValueCheck, describes: string): VariableRule => ({ value, describes })

export const STEP_VARIABLES: Readonly<Record<string, VariableRule>> = {
  effective_caller_id_name: rule(nameValue, 'the name the callee sees (text, 64 characters)'),
  effective_caller_id_number: rule(numberValue, 'the number the callee sees'),
  origination_caller_id_name: rule(nameValue, 'the name on new legs (text, 64 characters)'),
  origination_caller_id_number: rule(numberValue, 'the number on new legs'),
  origination_privacy: rule(matching(PRIVACY_FLAGS, 'screen, hide_name, hide_number joined by +'), 'privacy flags of new legs'),
  sip_cid_type: rule(oneOf('none', 'pid', 'rpid'), 'how the identity is sent: none, pid, rpid'),
  call_timeout: rule(secondsValue, 'seconds a bridge rings'),
  leg_timeout: rule(secondsValue, 'seconds one leg rings'),
  originate_timeout: rule(secondsValue, 'seconds a bridge rings'),
  bridge_answer_timeout: rule(secondsValue, 'seconds to wait for an answer'),
  continue_on_fail: rule(matching(CAUSES, 'true, false or hang-up causes joined by ,'), 'go on after a failed bridge'),
  hangup_after_bridge: rule(booleanValue, 'end the call when the bridged conversation ends'),
  ringback: rule(soundValue, 'what the caller hears while a bridge rings (a sound)'),
  transfer_ringback: rule(soundValue, 'ringback after a transfer (a sound)'),
  hold_music: rule(soundValue, 'music on hold (a sound)'),
  instant_ringback: rule(booleanValue, 'ringback at once'),
  ignore_early_media: rule(oneOf('true', 'false', 'ring_ready', 'consume'), 'early media handling'),
  playback_terminators: rule(matching(/^(?:[0-9*#]{1,12}|none)$/, 'keys 0-9 * # or none'), 'keys that stop a playback'),
  ...Object.fromEntries(OUTCOME_VARIABLE_NAMES.map((name) => [name, rule((value) => textProblem(value, 64), 'an outcome variable (text)')])),
}

/** The rule for a variable an operator allowed by name: plain text. */
export const EXTRA_VARIABLE_RULE: VariableRule = { value: (value) => textProblem(value), describes: 'allowed by EXTRA_STEP_VARIABLES (text)' }

/** Why a variable name cannot be set, or undefined. */
export function variableRule(name: string, extra: ReadonlySet<string>): VariableRule | string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) return `${JSON.stringify(name)} is not a variable name`
  const rule = Object.hasOwn(STEP_VARIABLES, name) ? STEP_VARIABLES[name] : undefined
  if (rule) return rule
  if (extra.has(name)) return EXTRA_VARIABLE_RULE
  const hook = /hook|^api_|^execute_on_|^exec_on_|_on_answer|_on_bridge|_on_hangup|^session_in_hangup/.test(name)
  return `variable ${name} may not be set${hook ? ' (it runs commands later: a hook variable)' : ''}; allowed: presentation, timeouts, ringback and the webhook_* outcome variables (see the README), or the operator adds it to EXTRA_STEP_VARIABLES`
}
