/**
 * The value grammars of the step grammar: what a sound, a piece of text, a
 * number, a duration may look like when a config puts it in an application
 * argument. FreeSWITCH expands `${...}` in every argument, recursively (K3),
 * and runs `${api args}`, so the only `$` a config may write is a reference to
 * one of the router's own outcome variables, whose values the router wrote
 * inert. Everything else that FreeSWITCH gives meaning to is refused.
 * Each check returns why the value is refused, or undefined. Pure.
 */
import { OUTCOME_VARIABLE_NAMES } from '../call/outcome.ts'

/** What a check needs to know beyond the value: the operator's opt-ins. */
export interface ValuePolicy {
  /** Absolute directories (ending in `/`) whose sound files a config may name (EXTRA_SOUND_DIRS). */
  readonly soundDirs: readonly string[]
}

export type ValueCheck = (value: string, policy: ValuePolicy) => string | undefined

const REFERENCE = /\$\{([^{}]*)\}/g
const REFERABLE: ReadonlySet<string> = new Set(OUTCOME_VARIABLE_NAMES)
// Control and invisible format characters, and what FreeSWITCH reads as syntax in one argument or
// another: escapes and quotes (argument splitting), `^^` (delimiter prefix), blocks, leg separators.
const FORBIDDEN_IN_TEXT = /[\p{Cc}\p{Cf}\u2028\u2029\\'"^{}[\]<>|;]/u
const MAX_TEXT = 256

/** Why the `$` forms in `value` are refused, or undefined when it has none but allowed references. */
export function referenceProblem(value: string): string | undefined {
  for (const match of value.matchAll(REFERENCE)) {
    const name = match[1] ?? ''
    if (match.index > 0 && value[match.index - 1] === '$') return `${JSON.stringify(`$${match[0]}`)}: global variables cannot be referenced; write the value itself`
    if (!REFERABLE.has(name)) {
      return `${JSON.stringify(match[0])}: only the router's own outcome variables may be referenced (${[...REFERABLE].map((ref) => `\${${ref}}`).join(' ')}); other variables can hold caller-supplied text, which FreeSWITCH would expand and run`
    }
  }
  if (value.replace(REFERENCE, '').includes('$')) return '"$" is only allowed in a reference like ${webhook_reason}'
  return undefined
}

/** Free text with optional outcome-variable references: log lines, names, say text. */
export function textProblem(value: string, maxChars = MAX_TEXT): string | undefined {
  if (Array.from(value).length > maxChars) return `is longer than ${maxChars} characters`
  const problem = referenceProblem(value)
  if (problem) return problem
  const bad = FORBIDDEN_IN_TEXT.exec(value.replace(REFERENCE, ''))
  if (bad) return `contains ${describeChar(bad[0])}, which FreeSWITCH would read as syntax`
  return undefined
}

/** A caller-ID name: text, at most 64 characters. */
export const nameValue: ValueCheck = (value) => textProblem(value, 64)

/** A caller-ID number: letters, digits and + * # . _ - (at most 32), or outcome-variable references. */
export const numberValue: ValueCheck = (value) => {
  const problem = referenceProblem(value)
  if (problem) return problem
  return /^[A-Za-z0-9+*#._-]{0,32}$/.test(value.replace(REFERENCE, '')) ? undefined : 'must be letters, digits and + * # . _ - (at most 32)'
}

/** A whole number of seconds from 1 to 3600. */
export const secondsValue: ValueCheck = (value) => wholeNumberProblem(value, 1, 3600, 'seconds')

export const booleanValue: ValueCheck = (value) => (value === 'true' || value === 'false' ? undefined : 'must be true or false')

/** One of a fixed set of words. */
export function oneOf(...words: string[]): ValueCheck {
  return (value) => (words.includes(value) ? undefined : `must be one of ${words.join(', ')}`)
}

/** Matches a pattern, described for the error message. */
export function matching(pattern: RegExp, description: string): ValueCheck {
  return (value) => (pattern.test(value) ? undefined : `must be ${description}`)
}

export function wholeNumberProblem(value: string, min: number, max: number, unit: string): string | undefined {
  if (!/^\d{1,9}$/.test(value)) return `must be a whole number of ${unit}`
  const number = Number(value)
  return number < min || number > max ? `must be from ${min} to ${max} ${unit}` : undefined
}

const SEGMENT = '[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}'
const SOUND_NAME = new RegExp(`^${SEGMENT}(?:/${SEGMENT}){0,15}$`)
const TONE = /^tone_stream:\/\/[A-Za-z0-9%(),.;=+-]{1,256}$/
const SILENCE = /^silence_stream:\/\/\d{1,7}(?:,\d{1,5})?$/
const SAY = /^say:[A-Za-z0-9 .,!?:+-]{1,256}$/

/**
 * Something to play: a sound name under FreeSWITCH's sound directory
 * (`ivr/ivr-thank_you.wav`, no `..`, no absolute path), `tone_stream://`,
 * `silence_stream://`, `say:` text, or a file under a directory the operator
 * listed in EXTRA_SOUND_DIRS. No URLs, no other schemes, no `{vars}` prefix.
 */
export const soundValue: ValueCheck = (value, policy) => {
  if (value.startsWith('/')) {
    const dir = policy.soundDirs.find((candidate) => value.startsWith(candidate))
    if (dir === undefined) {
      return policy.soundDirs.length === 0
        ? 'an absolute path is not allowed: name a sound under the sound directory (ivr/ivr-thank_you.wav), or the operator lists the directory in EXTRA_SOUND_DIRS'
        : `an absolute path must be under ${policy.soundDirs.join(' or ')} (EXTRA_SOUND_DIRS)`
    }
    return SOUND_NAME.test(value.slice(dir.length)) ? undefined : `the file name under ${dir} may only use letters, digits, _ . + - and / between names (no "..")`
  }
  if (TONE.test(value) || SILENCE.test(value) || SAY.test(value)) return undefined
  if (/^[a-z_]+:/.test(value)) return 'only sound names, tone_stream://, silence_stream:// and say: can be played (no URLs or other sources)'
  if (SOUND_NAME.test(value)) return undefined
  return 'must be a sound name like ivr/ivr-thank_you.wav (letters, digits, _ . + - and / between names, no ".."), tone_stream://, silence_stream:// or say:'
}

/** A directory for EXTRA_SOUND_DIRS: absolute, plain names, normalised to end in `/`. */
export function soundDirProblem(dir: string): string | undefined {
  return /^(?:\/[A-Za-z0-9_][A-Za-z0-9_.+-]*)+\/?$/.test(dir) ? undefined : 'must be an absolute directory of plain names (no "..", no spaces)'
}

function describeChar(char: string): string {
  const code = char.codePointAt(0) ?? 0
  return code < 0x20 || code === 0x7f || code > 0x7e ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : JSON.stringify(char)
}
