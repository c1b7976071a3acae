/**
 * Routing decisions (pure): which destinations are accepted and how they are
 * dialled, what name and number the callee sees, and how an anonymous
 * (suppressed) caller is presented. Nothing untrusted reaches a dial string:
 * destinations are digits with an optional leading `+`; names and numbers go
 * into channel variables, made inert first.
 */
import type { WebhookConfig } from '../config/webhook-config.ts'
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
export function classifyDestination(raw: string, allowed: RegExp | undefined): Destination | { readonly refused: string } {
  const value = raw.trim()
  const kind = E164.test(value) ? 'e164' : EXTENSION.test(value) ? 'extension' : undefined
  if (!kind) return { refused: 'not an E.164 number (+ and 2-15 digits) nor an extension (1-8 digits)' }
  if (allowed && !allowed.test(value)) return { refused: 'does not match the webhook\'s "destinations" pattern' }
  return { kind, number: value }
}

/** Dial-string variables for an anonymous caller (RFC 3323/3325: Privacy: id, real identity in P-Asserted-Identity). */
const SUPPRESSED_DIAL_VARIABLES = 'origination_privacy=screen+hide_name+hide_number,sip_cid_type=pid,sip_from_display=Anonymous'

/** The bridge argument: the operator's template with `{number}`, plus privacy variables when suppressed. */
export function dialString(destination: Destination, settings: DialSettings, suppressed: boolean): string {
  const template = destination.kind === 'e164' ? settings.dialE164 : settings.dialExtension
  const target = template.replaceAll('{number}', destination.number)
  if (!suppressed) return target
  // Merge into the template's own {...} block when it has one: one block for all legs.
  return target.startsWith('{') ? `{${SUPPRESSED_DIAL_VARIABLES},${target.slice(1)}` : `{${SUPPRESSED_DIAL_VARIABLES}}${target}`
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

/** Channel variables that set what the callee sees, for this destination kind. */
export function presentationVariables(
  config: WebhookConfig,
  channel: Pick<ChannelData, 'callerIdNumber' | 'destinationNumber'>,
  name: string,
  destination: Destination,
): Record<string, string> {
  if (config.callerId === 'suppressed') {
    // Local phones just show Anonymous; towards a trunk the real identity stays for P-Asserted-Identity.
    if (destination.kind === 'extension') return { effective_caller_id_name: 'Anonymous', effective_caller_id_number: 'anonymous' }
    return { effective_caller_id_name: name, effective_caller_id_number: presentableNumber(channel.callerIdNumber) }
  }
  const number = presentableNumber(config.callerId === 'dialed' ? channel.destinationNumber : channel.callerIdNumber)
  return { effective_caller_id_name: name, effective_caller_id_number: number }
}
