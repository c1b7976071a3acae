/**
 * Routing decisions (pure): which destinations are accepted and how they are
 * dialled, what name and number the callee sees, and how an anonymous
 * (suppressed) caller is presented. Nothing untrusted reaches a dial string:
 * destinations are digits with an optional leading `+`; names and numbers go
 * into channel variables, made inert first.
 */
import type { CallerIdMode, WebhookConfig } from '../config/webhook-config.ts'
import type { ChannelData } from '../esl/channel-data.ts'
import { toInertText } from '../esl/variables.ts'

export interface DialSettings {
  /** e.g. `sofia/gateway/default/{number}` */
  readonly dialE164: string
  /** e.g. `user/{number}@${domain_name}` */
  readonly dialExtension: string
}

export type Destination = { readonly kind: 'e164' | 'extension'; readonly number: string }

const E164 = /^\+[1-9]\d{1,14}$/
const EXTENSION = /^\d{1,8}$/

/** A destination the router may dial, or why it is refused. */
export function classifyDestination(raw: string, allowed: { test(destination: string): boolean } | undefined): Destination | { readonly refused: string } {
  const value = raw.trim()
  const kind = E164.test(value) ? 'e164' : EXTENSION.test(value) ? 'extension' : undefined
  if (!kind) return { refused: 'not an E.164 number (+ and 2-15 digits) nor an extension (1-8 digits)' }
  if (allowed && !allowed.test(value)) return { refused: 'does not match the webhook\'s "destinations" pattern' }
  return { kind, number: value }
}

/** Dial-string variables for an anonymous caller (RFC 3323/3325: Privacy: id, real identity in P-Asserted-Identity). */
export const SUPPRESSED_DIAL_VARIABLES: ReadonlyArray<readonly [string, string]> = [
  ['origination_privacy', 'screen+hide_name+hide_number'],
  ['sip_cid_type', 'pid'],
  ['sip_from_display', 'Anonymous'],
]

/** The bridge argument: the operator's template with `{number}`, plus privacy variables when suppressed. */
export function dialString(destination: Destination, settings: DialSettings, suppressed: boolean): string {
  const template = destination.kind === 'e164' ? settings.dialE164 : settings.dialExtension
  return withDialVariables(template.replaceAll('{number}', destination.number), suppressed ? SUPPRESSED_DIAL_VARIABLES : [])
}

/**
 * Puts `name=value` pairs in a `{...}` block for all legs, merged into the
 * target's own leading block when it has one. Names and values must already be
 * checked: nothing here escapes.
 */
export function withDialVariables(target: string, variables: ReadonlyArray<readonly [string, string]>): string {
  if (variables.length === 0) return target
  const block = variables.map(([name, value]) => `${name}=${value}`).join(',')
  return target.startsWith('{') ? `{${block},${target.slice(1)}` : `{${block}}${target}`
}

/** The name the callee sees (SPEC 8): at most 64 printable characters. */
export function calleeDisplayName(config: WebhookConfig, callerName: string, webhookName: string | undefined): string {
  const base = webhookName !== undefined && webhookName.trim() !== '' ? webhookName : callerName
  let name: string
  switch (config.callerNameMode) {
    case 'keep':
      name = callerName
      break
    case 'webhook':
      name = base
      break
    case 'prepend':
      name = `${config.callerNameText}${base}`
      break
    case 'replace':
      name = config.callerNameText
      break
  }
  return toInertText(name, 64)
}

/** A presentable number: letters, digits and + * # . _ - only, at most 32 characters. */
export function presentableNumber(raw: string): string {
  return raw.replace(/[^A-Za-z0-9+*#._-]/g, '').slice(0, 32)
}

/** What the callee is shown, decided once the config (and the webhook's answer) is known. */
export interface Presentation {
  readonly mode: CallerIdMode
  /** The name per callername_mode, inert. */
  readonly name: string
  /** The caller's or the dialled number per caller_id (the caller's for suppressed: it goes on in P-Asserted-Identity). */
  readonly number: string
}

export function presentationFor(config: WebhookConfig, channel: Pick<ChannelData, 'callerIdName' | 'callerIdNumber' | 'destinationNumber'>, webhookName: string | undefined): Presentation {
  return {
    mode: config.callerId,
    name: calleeDisplayName(config, channel.callerIdName, webhookName),
    number: presentableNumber(config.callerId === 'dialed' ? channel.destinationNumber : channel.callerIdNumber),
  }
}

/**
 * The identity new legs get. Suppressed: towards a trunk the real identity
 * (for P-Asserted-Identity; the dial string's privacy flags hide it from the
 * callee); towards a local extension, or when the target is not known (a
 * hand-back: the dialplan bridges), Anonymous.
 */
export function identityFor(presentation: Presentation, target: Destination['kind'] | 'endpoint' | undefined): { name: string; number: string } {
  if (presentation.mode === 'suppressed' && (target === 'extension' || target === undefined)) return { name: 'Anonymous', number: 'anonymous' }
  return { name: presentation.name, number: presentation.number }
}

/** Channel variables that set what the callee sees (SPEC 8), for a bridge to `target` (undefined: not known). */
export function presentationVariables(presentation: Presentation, target: Destination['kind'] | 'endpoint' | undefined): Record<string, string> {
  const identity = identityFor(presentation, target)
  return { effective_caller_id_name: identity.name, effective_caller_id_number: identity.number }
}
