/**
 * Webhook URL templates: `https://crm.example.com/lookup?callerid={callerid}`.
 * Every value is percent-encoded (encodeURIComponent), so caller-controlled
 * text can never change the URL's structure, and placeholders may not sit in
 * the scheme, host or port, so a caller can never choose where we connect.
 * A value that would form a `.` or `..` path segment has its dots encoded, and
 * the request goes out with the path exactly as rendered (no WHATWG
 * normalisation), so a caller numbered `..` cannot climb to another path, and
 * the signature covers what is sent.
 */

export const PLACEHOLDERS = ['code', 'did', 'callerid', 'callername', 'uuid'] as const
export type Placeholder = (typeof PLACEHOLDERS)[number]
export type TemplateValues = Readonly<Record<Placeholder, string>>

export interface UrlTemplate {
  readonly source: string
  readonly parts: ReadonlyArray<string | { readonly placeholder: Placeholder; readonly inPath: boolean }>
}

const KNOWN = new Set<string>(PLACEHOLDERS)

/** Parses and checks a template; the error says what is wrong with it. */
export function parseUrlTemplate(source: string): UrlTemplate | Error {
  const parts: Array<string | { placeholder: Placeholder; inPath: boolean }> = []
  let literal = ''
  let inPath = true
  for (let i = 0; i < source.length; i++) {
    const char = source[i] as string
    if (char === '}') return new Error(`unmatched "}" at position ${i + 1}`)
    if (char !== '{') {
      if (char === '?' || char === '#') inPath = false
      // Sent as written, so anything beyond printable ASCII is percent-encoded (UTF-8) here.
      literal += char > '~' ? encodeURIComponent(char) : char
      continue
    }
    const close = source.indexOf('}', i)
    if (close === -1) return new Error(`unmatched "{" at position ${i + 1}`)
    const name = source.slice(i + 1, close)
    if (!KNOWN.has(name)) return new Error(`unknown placeholder {${name}} (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})`)
    if (literal !== '') parts.push(literal)
    literal = ''
    parts.push({ placeholder: name as Placeholder, inPath })
    i = close
  }
  if (literal !== '') parts.push(literal)
  const template: UrlTemplate = { source, parts }

  const sample = (value: string): URL | Error => {
    try {
      return new URL(renderUrl(template, { code: value, did: value, callerid: value, callername: value, uuid: value }))
    } catch {
      return new Error('is not an absolute URL')
    }
  }
  const first = sample('1')
  const second = sample('2')
  if (first instanceof Error) return first
  if (second instanceof Error) return second
  if (first.protocol !== 'http:' && first.protocol !== 'https:') return new Error(`scheme ${first.protocol} is not http: or https:`)
  if (first.host !== second.host || first.protocol !== second.protocol) {
    return new Error('a placeholder in the scheme, host or port would let a caller choose where the router connects')
  }
  return template
}

export function renderUrl(template: UrlTemplate, values: TemplateValues): string {
  let url = ''
  for (const part of template.parts) {
    if (typeof part === 'string') {
      url += part
      continue
    }
    const value = encodeURIComponent(values[part.placeholder])
    // encodeURIComponent leaves dots alone; a whole "." or ".." segment would climb the path.
    url += part.inPath && (value === '.' || value === '..') ? value.replaceAll('.', '%2E') : value
  }
  return url
}

/**
 * Splits a rendered URL into the origin to connect to and the request target
 * sent as it is (no dot-segment normalisation); a fragment is never sent.
 */
export function requestTarget(url: string): { origin: string; path: string } {
  const match = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)([^#]*)/i.exec(url)
  const authority = match?.[1] ?? url
  const rest = match?.[2] ?? ''
  const origin = new URL(authority).origin
  return { origin, path: rest.startsWith('/') ? rest : `/${rest}` }
}

/** The URL for logs: no credentials, query values replaced by their length. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url)
    parsed.username = ''
    parsed.password = ''
    const query = [...parsed.searchParams].map(([key, value]) => `${encodeURIComponent(key)}=<${value.length}>`).join('&')
    parsed.search = query === '' ? '' : `?${query}`
    return decodeURI(parsed.toString())
  } catch {
    return '<invalid url>'
  }
}
