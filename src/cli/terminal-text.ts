/**
 * Text from Redis printed in a terminal. Configs are written by customers:
 * a name or a field may hold escape sequences that would recolour, rewrite
 * or hide what the operator reads (ESC, CSI, OSC hyperlinks), bidi overrides
 * that reorder it, or line breaks that fake another line. Every such
 * character is shown as a `\u001b`-style escape instead, which is also valid
 * inside a JSON string, so `config export` output still parses.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu

/** `text` with every control, format and line-separator character escaped. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (char) =>
    char
      .split('')
      .map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`)
      .join(''),
  )
}

/** Like `terminalSafe`, for whole lines of output: their own line breaks stay. */
export function terminalSafeLines(text: string): string {
  return text.split('\n').map(terminalSafe).join('\n')
}
