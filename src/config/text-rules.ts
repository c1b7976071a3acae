/**
 * Rules for operator-written text that becomes part of an application
 * argument (prompts, fallback arguments). FreeSWITCH expands `${...}` in every
 * argument and `${api args}` runs an API, so the only `$` forms accepted are
 * variable references without a space: `${name}` and `$${name}`.
 */

const CONTROL = /[\u0000-\u001f\u007f]/
const DOLLAR_FORMS = /\$\$?\{[A-Za-z0-9_]+\}/g
const MAX_LENGTH = 1024

/** Why `text` cannot go into an application argument, or undefined. */
export function argumentProblem(text: string): string | undefined {
  if (text.length > MAX_LENGTH) return `longer than ${MAX_LENGTH} characters`
  if (CONTROL.test(text)) return 'contains a control character (line break, tab, NUL...)'
  if (text.replace(DOLLAR_FORMS, '').includes('$')) {
    return 'uses "$" other than as ${variable} or $${global} (an API call like ${system ...} is refused)'
  }
  return undefined
}

/** Like `argumentProblem`, for a sound to play: it may not contain a single quote (prompts are quoted). */
export function playableProblem(text: string): string | undefined {
  if (text.includes("'")) return 'contains a single quote'
  return argumentProblem(text)
}
