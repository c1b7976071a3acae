/**
 * Reads a webhook's answer: `status=ACK&destination=%2B31502102544&callername=ACME`
 * (form encoding, any content type) or a JSON object when the content type is
 * JSON. Keys and the status are case-insensitive; unknown keys are ignored.
 * A known key given twice (in any letter case, in either form) makes the
 * answer ambiguous, so it is refused rather than read one way or the other.
 */

export type WebhookStatus = 'ACK' | 'NAK' | 'ERR'

export interface WebhookAnswer {
  readonly status: WebhookStatus
  /** As returned (untrusted): routing validates it. */
  readonly destination: string | undefined
  /** As returned (untrusted): made inert before use. */
  readonly callername: string | undefined
}

export class ResponseError extends Error {
  override readonly name = 'ResponseError'

  constructor(
    readonly reason: 'bad_response' | 'http_error',
    message: string,
  ) {
    super(message)
  }
}

const STATUSES = new Set(['ACK', 'NAK', 'ERR'])
const KNOWN_KEYS = new Set(['status', 'destination', 'callername'])

/** Records a field; a known key seen before is an ambiguous answer. */
function addField(fields: Map<string, string>, name: string, value: string | undefined): ResponseError | undefined {
  if (fields.has(name)) return KNOWN_KEYS.has(name) ? new ResponseError('bad_response', `the answer gives ${name} more than once`) : undefined
  if (value !== undefined) fields.set(name, value)
  return undefined
}

/** Parses a complete response (status code, content type, body bytes). */
export function parseWebhookResponse(statusCode: number, contentType: string, body: Buffer): WebhookAnswer | ResponseError {
  if (statusCode < 200 || statusCode > 299) return new ResponseError('http_error', `HTTP ${statusCode}`)
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body)
  } catch {
    return new ResponseError('bad_response', 'the body is not UTF-8')
  }
  const fields = /^application\/([\w.+-]+\+)?json\b/i.test(contentType.trim()) ? jsonFields(text) : formFields(text)
  if (fields instanceof ResponseError) return fields
  const status = fields.get('status')?.trim().toUpperCase()
  if (status === undefined) return new ResponseError('bad_response', 'no status in the answer')
  if (!STATUSES.has(status)) return new ResponseError('bad_response', `unknown status ${JSON.stringify(status.slice(0, 20))}`)
  const destination = fields.get('destination')?.trim()
  const callername = fields.get('callername')
  return {
    status: status as WebhookStatus,
    destination: destination === '' ? undefined : destination,
    callername: callername === undefined || callername.trim() === '' ? undefined : callername,
  }
}

function jsonFields(text: string): Map<string, string> | ResponseError {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return new ResponseError('bad_response', 'the JSON body does not parse')
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return new ResponseError('bad_response', 'the JSON body is not an object')
  }
  // JSON.parse keeps the last of two equal keys silently: look for them in the text itself.
  const seen = new Set<string>()
  for (const key of topLevelKeys(text).map((name) => name.toLowerCase())) {
    if (seen.has(key) && KNOWN_KEYS.has(key)) return new ResponseError('bad_response', `the answer gives ${key} more than once`)
    seen.add(key)
  }
  const fields = new Map<string, string>()
  for (const [key, value] of Object.entries(parsed)) {
    const text = typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined
    const problem = addField(fields, key.toLowerCase(), text)
    if (problem) return problem
  }
  return fields
}

/** The keys of a JSON object's top level, duplicates included (the text is known to parse). */
function topLevelKeys(text: string): string[] {
  const keys: string[] = []
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    if (char === '"') {
      let end = i + 1
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1
      if (depth === 1) {
        let next = end + 1
        while (next < text.length && /\s/.test(text[next] as string)) next++
        if (text[next] === ':') keys.push(JSON.parse(text.slice(i, end + 1)) as string)
      }
      i = end
    } else if (char === '{' || char === '[') depth++
    else if (char === '}' || char === ']') depth--
  }
  return keys
}

function formFields(text: string): Map<string, string> | ResponseError {
  const fields = new Map<string, string>()
  for (const pair of text.trim().split('&')) {
    if (pair === '') continue
    const equals = pair.indexOf('=')
    const rawKey = equals === -1 ? pair : pair.slice(0, equals)
    const rawValue = equals === -1 ? '' : pair.slice(equals + 1)
    const key = decodeFormValue(rawKey)
    const value = decodeFormValue(rawValue)
    if (key === undefined || value === undefined) return new ResponseError('bad_response', 'malformed percent-encoding in the body')
    const name = key.trim().toLowerCase()
    // A literal "+31..." destination means the number, not a space (a common webhook mistake).
    const problem = addField(fields, name, name === 'destination' && /^\+\d+$/.test(rawValue) ? rawValue : value)
    if (problem) return problem
  }
  return fields
}

function decodeFormValue(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '))
  } catch {
    return undefined
  }
}
