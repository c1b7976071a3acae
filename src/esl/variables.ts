/**
 * Channel variables are set with `api uuid_setvar_multi <uuid> a=1;b=2`: it
 * stores values without variable expansion (a `set` expands its value twice,
 * so `\${...}` still runs; see transcript J3a). Its argument is still split by
 * FreeSWITCH's string separator, which treats `;` as the delimiter, pairs of
 * quotes as grouping, backslash as an escape, and strips outer spaces. So a
 * value goes out only if none of that can touch it, and never with `$`, so it
 * stays inert even when a later dialplan step expands `${that_variable}`.
 */

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
// Characters FreeSWITCH would interpret in a uuid_setvar_multi value or a later expansion.
const UNSAFE_IN_VALUE = /[\r\n\0;'"\\$]/
const MAX_VALUE_BYTES = 4096

export function isVariableName(name: string): boolean {
  return NAME.test(name)
}

/** Why a value cannot be sent as-is, or undefined when it can. */
export function unsafeValueReason(value: string): string | undefined {
  const bad = UNSAFE_IN_VALUE.exec(value)
  if (bad) return `contains ${JSON.stringify(bad[0])}`
  if (value !== value.trim()) return 'has leading or trailing spaces (FreeSWITCH would strip them)'
  if (Buffer.byteLength(value, 'utf8') > MAX_VALUE_BYTES) return `is longer than ${MAX_VALUE_BYTES} bytes`
  return undefined
}

// Control, format, private-use, unassigned and line/paragraph separator characters.
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}\uFFFD]/gu
const SPACES = /[\s\p{Zs}]+/gu

/**
 * Reduces untrusted text (a SIP display name, a webhook's answer) to printable
 * characters that FreeSWITCH treats as plain text, cut to `maxChars`
 * characters. Quotes become typographic ones so names like O'Brien survive.
 */
export function toInertText(text: string, maxChars: number): string {
  const cleaned = text
    .replace(SPACES, ' ')
    .replace(NOT_PRINTABLE, '')
    .replaceAll("'", '\u2019')
    .replaceAll('"', '\u201D')
    .replaceAll(';', ',')
    .replace(/[\\$]/g, '')
    .replace(SPACES, ' ')
    .trim()
  const chars = Array.from(cleaned)
  return chars.length <= maxChars ? cleaned : chars.slice(0, maxChars).join('').trim()
}
