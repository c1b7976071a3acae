/**
 * Turns a validated step into what the router sends: the application and its
 * argument. Only a bridge is built here: its destination goes through
 * DIAL_E164 / DIAL_EXTENSION exactly like a webhook's destination, and for an
 * anonymous caller (caller_id suppressed) its `{...}` block gets the privacy
 * flags and the identity new legs must carry.
 */
import { dialString, identityFor, SUPPRESSED_DIAL_VARIABLES, withDialVariables, type DialSettings, type Presentation } from '../call/routing.ts'
import type { Step } from './grammar.ts'

export interface RenderContext {
  readonly dial: DialSettings
  /** The config's presentation; undefined when there is no config (DEFAULT_ON_FAILURE). */
  readonly presentation: Presentation | undefined
}

export function stepArgument(step: Step, context: RenderContext): string {
  const bridge = step.bridge
  if (!bridge) return step.args
  const presentation = context.presentation
  const privacy: Array<readonly [string, string]> = []
  if (presentation?.mode === 'suppressed') {
    const identity = identityFor(presentation, bridge.target.kind)
    if (identity.name !== '') privacy.push(['origination_caller_id_name', identity.name])
    if (identity.number !== '') privacy.push(['origination_caller_id_number', identity.number])
    privacy.push(...SUPPRESSED_DIAL_VARIABLES)
  }
  const target = bridge.target.kind === 'endpoint' ? bridge.target.endpoint : dialString(bridge.target, context.dial, false)
  return withDialVariables(target, [...bridge.variables, ...privacy])
}
