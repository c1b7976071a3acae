/**
 * Reads a webhook's answer: `status=ACK&destination=%2B31502102544&callername=ACME`
 * (form encoding, any content type) or a JSON object when the content type is
 * JSON. Keys and the status are case-insensitive; unknown keys are ignored.
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
  const fields = new Map<string, string>()
  for (const [key, value] of Object.entries(parsed)) {
    const name = key.toLowerCase()
    if (fields.has(name)) continue
    if (typeof value === 'string') fields.set(name, value)
    else if (typeof value === 'number' && Number.isFinite(value)) fields.set(name, String(value))
  }
  return fields
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
    if (fields.has(name)) continue
    // A literal "+31..." destination means the number, not a space (a common webhook mistake).
    fields.set(name, name === 'destination' && /^\+\d+$/.test(rawValue) ? rawValue : value)
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
