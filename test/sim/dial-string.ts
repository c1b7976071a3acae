/**
 * Parses a bridge dial string the way FreeSWITCH reads it: `{a=b,c=d}` for
 * all legs, legs separated by `,` (ring together) or `|` (one after another),
 * `[x=y]` for one leg. The simulator uses it to decide and record what the
 * callee would see.
 */

export interface DialLeg {
  readonly endpoint: string
  readonly variables: ReadonlyMap<string, string>
}

export interface DialString {
  readonly global: ReadonlyMap<string, string>
  /** Groups tried one after another (`|`); legs inside a group ring together (`,`). */
  readonly groups: ReadonlyArray<readonly DialLeg[]>
}

export function parseDialString(input: string): DialString {
  let rest = input.trim()
  let global = new Map<string, string>()
  if (rest.startsWith('{')) {
    const close = closing(rest, 0, '{', '}')
    global = parseAssignments(rest.slice(1, close === -1 ? rest.length : close))
    rest = close === -1 ? '' : rest.slice(close + 1)
  }
  const groups = splitUnescaped(rest, '|').map((group) =>
    splitUnescaped(group, ',').map((legText) => {
      let leg = legText.trim()
      let variables = new Map<string, string>()
      if (leg.startsWith('[')) {
        const close = closing(leg, 0, '[', ']')
        variables = parseAssignments(leg.slice(1, close === -1 ? leg.length : close))
        leg = close === -1 ? '' : leg.slice(close + 1)
      }
      return { endpoint: leg, variables }
    }),
  )
  return { global, groups }
}

function closing(text: string, from: number, open: string, close: string): number {
  let depth = 0
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') {
      i++
      continue
    }
    if (text[i] === open) depth++
    else if (text[i] === close && --depth === 0) return i
  }
  return -1
}

function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = []
  let current = ''
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string
    if (char === '\\' && i + 1 < text.length) {
      current += char + text[i + 1]
      i++
      continue
    }
    if (char === '[' || char === '{') depth++
    if (char === ']' || char === '}') depth--
    if (char === separator && depth === 0) {
      parts.push(current)
      current = ''
      continue
    }
    current += char
  }
  parts.push(current)
  return parts.filter((part) => part.trim() !== '')
}

function parseAssignments(text: string): Map<string, string> {
  const variables = new Map<string, string>()
  for (const assignment of splitUnescaped(text, ',')) {
    const equals = assignment.indexOf('=')
    if (equals <= 0) continue
    variables.set(assignment.slice(0, equals).trim(), assignment.slice(equals + 1).replace(/\\(.)/g, '$1'))
  }
  return variables
}
