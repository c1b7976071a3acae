/**
 * Channel variables are set with `api uuid_setvar_multi <uuid> a=1;b=2`: it
 * stores values without variable expansion (a `set` expands its value twice,
 * so `\${...}` still runs; see transcript J3a). Its argument is still split by
 * FreeSWITCH's string separator, which treats `;` as the delimiter, pairs of
 * quotes as grouping, backslash as an escape, and strips outer spaces. And a
 * value the router writes may later be referenced anywhere (`${webhook_*}` in
 * a config step, the operator's dialplan): expansion is recursive (K3), so it
 * must mean nothing in ANY argument, a dial string included. So a value goes
 * out only without `$`, quotes, escapes, `;`, block brackets, leg separators,
 * `^` or control characters.
 */

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
// Characters FreeSWITCH would interpret in a uuid_setvar_multi value, an expansion or a dial string.
const UNSAFE_IN_VALUE = /[\p{Cc}\p{Cf};'"\\$^{}[\]<>,|]/u
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
 * characters that mean nothing to FreeSWITCH in any argument, cut to
 * `maxChars` characters: quotes become typographic ones (O'Brien survives),
 * brackets of every kind become parentheses, separators (`,` `;` `|`) spaces,
 * and `$`, `\` and `^` are dropped.
 */
export function toInertText(text: string, maxChars: number): string {
  const cleaned = text
    .replace(SPACES, ' ')
    .replace(NOT_PRINTABLE, '')
    .replaceAll("'", '\u2019')
    .replaceAll('"', '\u201D')
    .replace(/[{[<]/g, '(')
    .replace(/[}\]>]/g, ')')
    .replace(/[,;|]/g, ' ')
    .replace(/[\\$^]/g, '')
    .replace(SPACES, ' ')
    .trim()
  const chars = Array.from(cleaned)
  return chars.length <= maxChars ? cleaned : chars.slice(0, maxChars).join('').trim()
}
