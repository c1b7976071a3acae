/**
 * FreeSWITCH's string handling as the simulator needs it, byte for byte.
 * Simulator strings are "byte strings": JS strings with one char per byte
 * (latin1), so caller names that are not UTF-8 survive untouched.
 */

/** Text (UTF-8) to a byte string. */
export function bytes(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1')
}

/** A byte string back to text (invalid UTF-8 as U+FFFD). */
export function text(byteString: string): string {
  return Buffer.from(byteString, 'latin1').toString('utf8')
}

// switch_url_encode: control bytes, non-ASCII and these characters become %XX.
const URL_UNSAFE = new Set('\r\n #%&+:;<=>?@[\\]^`{|}"')

/** Percent-encodes a byte string the way event headers are serialised. */
export function urlEncode(byteString: string): string {
  let out = ''
  for (const char of byteString) {
    const code = char.charCodeAt(0)
    if (code < 0x20 || code > 0x7e || URL_UNSAFE.has(char)) {
      out += `%${code.toString(16).toUpperCase().padStart(2, '0')}`
    } else {
      out += char
    }
  }
  return out
}

/**
 * switch_separate_string: splits on `delim` (at most `max` parts; the last
 * takes the rest), honouring quotes and backslash escapes, then cleans each
 * part: outer spaces stripped, paired single quotes removed, escapes resolved.
 */
export function separateString(input: string, delim: string, max: number): string[] {
  const parts: string[] = []
  let start = 0
  let i = 0
  let quote: string | undefined
  const blank = delim === ' '
  if (blank) {
    while (i < input.length && input[i] === ' ') i++
    start = i
  }
  if (input.length === 0) return []
  while (i < input.length && parts.length < max - 1) {
    const char = input[i]
    if (char === '\\') {
      i += 2
      continue
    }
    if (char === "'" || (!blank && char === '"')) {
      if (quote === undefined) quote = char
      else if (quote === char) quote = undefined
    } else if (char === delim && quote === undefined) {
      parts.push(input.slice(start, i))
      i++
      if (blank) while (i < input.length && input[i] === ' ') i++
      start = i
      continue
    }
    i++
  }
  if (start < input.length || !blank) parts.push(input.slice(start))
  return parts.map((part) => cleanSeparated(part, blank ? '' : delim))
}

const UNESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', s: ' ' }

function cleanSeparated(part: string, delim: string): string {
  let i = 0
  while (part[i] === ' ') i++
  let out = ''
  let end = 0
  let inQuotes = false
  for (; i < part.length; i++) {
    const char = part[i] as string
    const next = part[i + 1]
    if (char === '\\' && next !== undefined) {
      const unescaped = UNESCAPES[next]
      if (next === "'" || next === '"' || next === '\\' || (delim !== '' && next === delim) || unescaped !== undefined) {
        out += unescaped ?? next
        end = out.length
        i++
        continue
      }
    }
    if (char === "'" && (inQuotes || part.indexOf("'", i + 1) !== -1)) {
      inQuotes = !inQuotes
      if (inQuotes) end = out.length
      continue
    }
    out += char
    if (char !== ' ' || inQuotes) end = out.length
  }
  return out.slice(0, end)
}

export interface ExpansionContext {
  variable(name: string): string | undefined
  global(name: string): string | undefined
  /** Runs `${api args}`; the simulator records every call so tests can prove none happened. */
  api(command: string, args: string): string
}

/** switch_channel_expand_variables gives up below this depth (and returns its input as is). */
const MAX_EXPANSION_DEPTH = 100

/**
 * Channel variable expansion: `${var}`, `$${global}`, `${api args}` (a space
 * inside the braces makes it an API call). A string without `$` is left
 * alone; otherwise `\$` gives a literal `$` and `\\` one backslash, other
 * backslashes stay (so `\d+` in a regexp survives). Recursive, as K3 shows:
 * a variable's value is expanded again where it is substituted, so a value
 * stored inertly (`uuid_setvar x ${expr 6*7}`) runs its API when referenced.
 */
export function expandVariables(input: string, context: ExpansionContext, depth = 0): string {
  if (!input.includes('$') || depth > MAX_EXPANSION_DEPTH) return input
  let out = ''
  for (let i = 0; i < input.length; i++) {
    const char = input[i] as string
    if (char === '\\' && (input[i + 1] === '$' || input[i + 1] === '\\')) {
      out += input[i + 1]
      i++
      continue
    }
    const isGlobal = char === '$' && input[i + 1] === '$' && input[i + 2] === '{'
    if (char === '$' && (input[i + 1] === '{' || isGlobal)) {
      const open = i + (isGlobal ? 2 : 1)
      const close = matchingBrace(input, open)
      if (close === -1) {
        out += input.slice(i)
        break
      }
      const inner = expandVariables(input.slice(open + 1, close), context, depth + 1)
      const space = inner.indexOf(' ')
      if (isGlobal) out += context.global(inner) ?? ''
      else if (space !== -1) out += context.api(inner.slice(0, space), inner.slice(space + 1))
      else out += expandVariables(context.variable(inner) ?? '', context, depth + 1)
      i = close
      continue
    }
    out += char
  }
  return out
}

function matchingBrace(input: string, open: number): number {
  let depth = 0
  for (let i = open; i < input.length; i++) {
    if (input[i] === '\\') {
      i++
      continue
    }
    if (input[i] === '{') depth++
    else if (input[i] === '}' && --depth === 0) return i
  }
  return -1
}

/** Q.850 codes of the causes the simulator produces. */
export const Q850: Readonly<Record<string, number>> = {
  UNALLOCATED_NUMBER: 1,
  NO_ROUTE_DESTINATION: 3,
  NORMAL_CLEARING: 16,
  USER_BUSY: 17,
  NO_USER_RESPONSE: 18,
  NO_ANSWER: 19,
  SUBSCRIBER_ABSENT: 20,
  CALL_REJECTED: 21,
  DESTINATION_OUT_OF_ORDER: 27,
  INVALID_NUMBER_FORMAT: 28,
  NORMAL_UNSPECIFIED: 31,
  NORMAL_TEMPORARY_FAILURE: 41,
  ORIGINATOR_CANCEL: 487,
  ALLOTTED_TIMEOUT: 602,
  LOSE_RACE: 502,
  USER_NOT_REGISTERED: 606,
  INVALID_GATEWAY: 608,
  GATEWAY_DOWN: 609,
  INVALID_URL: 610,
  INVALID_PROFILE: 611,
  SYSTEM_SHUTDOWN: 503,
}
