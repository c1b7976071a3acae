/**
 * Typed views of the frames FreeSWITCH sends: command replies, API responses,
 * events (JSON or plain) and disconnect notices.
 */
import type { Frame } from './frame-parser.ts'
import { bytesToText, percentDecode } from './percent-decode.ts'

/** An event header value: JSON events carry arrays for array variables (e.g. `variable_DP_MATCH`). */
export type EventValue = string | readonly string[]

/** One FreeSWITCH event. Header access tolerates array and non-string JSON values. */
export class EslEvent {
  constructor(
    private readonly fields: Readonly<Record<string, unknown>>,
    readonly body?: string,
  ) {}

  /** Header value; for an array value, its first element. */
  get(name: string): string | undefined {
    if (!Object.hasOwn(this.fields, name)) return undefined
    const value = this.fields[name]
    if (typeof value === 'string') return value
    if (Array.isArray(value)) return value.length > 0 ? String(value[0]) : undefined
    if (value === null || value === undefined) return undefined
    return typeof value === 'object' ? JSON.stringify(value) : String(value)
  }

  /** Every value of a header (one for plain strings, all elements for arrays). */
  getAll(name: string): readonly string[] {
    if (!Object.hasOwn(this.fields, name)) return []
    const value = this.fields[name]
    if (Array.isArray(value)) return value.map((item) => String(item))
    const single = this.get(name)
    return single === undefined ? [] : [single]
  }

  /** A channel variable carried by the event (`variable_<name>`). */
  variable(name: string): string | undefined {
    return this.get(`variable_${name}`)
  }

  /** Header names in the order FreeSWITCH sent them. */
  names(): string[] {
    return Object.keys(this.fields)
  }

  get name(): string {
    return this.get('Event-Name') ?? ''
  }

  get uniqueId(): string | undefined {
    return this.get('Unique-ID')
  }
}

export type EslMessage =
  | { readonly kind: 'reply'; readonly text: string; readonly frame: Frame }
  | { readonly kind: 'api'; readonly body: string }
  | { readonly kind: 'event'; readonly event: EslEvent }
  | {
      readonly kind: 'disconnect'
      /** `linger` (the channel is gone, events may still follow) or `disconnect` (closing now). */
      readonly disposition: string
      readonly lingerSeconds: number | undefined
      readonly body: string
    }
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'other'; readonly contentType: string }

/** Classifies a frame. Never throws: an undecodable event becomes `malformed`. */
export function toMessage(frame: Frame): EslMessage {
  const contentType = frame.contentType ?? ''
  switch (contentType) {
    case 'command/reply':
      return { kind: 'reply', text: bytesToText(frame.header('Reply-Text') ?? ''), frame }
    case 'api/response':
      return { kind: 'api', body: frame.body.toString('utf8') }
    case 'text/event-json':
      return parseJsonEvent(frame.body)
    case 'text/event-plain':
      return { kind: 'event', event: parsePlainEvent(frame.body) }
    case 'text/disconnect-notice': {
      const linger = frame.header('Linger-Time')
      const seconds = linger === undefined ? undefined : Number.parseInt(linger, 10)
      return {
        kind: 'disconnect',
        disposition: frame.header('Content-Disposition') ?? 'disconnect',
        lingerSeconds: seconds === undefined || Number.isNaN(seconds) ? undefined : seconds,
        body: frame.body.toString('utf8'),
      }
    }
    default:
      return { kind: 'other', contentType }
  }
}

function parseJsonEvent(body: Buffer): EslMessage {
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch (error) {
    return { kind: 'malformed', reason: `event JSON does not parse: ${(error as Error).message}` }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { kind: 'malformed', reason: 'event JSON is not an object' }
  }
  const fields = parsed as Record<string, unknown>
  const eventBody = fields['_body']
  return { kind: 'event', event: new EslEvent(fields, typeof eventBody === 'string' ? eventBody : undefined) }
}

/** Plain events: `Name: percent-encoded-value` lines, optionally a `Content-Length` body after a blank line. */
export function parsePlainEvent(body: Buffer): EslEvent {
  const text = body.toString('latin1')
  const blank = text.indexOf('\n\n')
  const headerText = blank === -1 ? text : text.slice(0, blank)
  const fields: Record<string, unknown> = {}
  for (const line of headerText.split('\n')) {
    const colon = line.indexOf(': ')
    if (colon <= 0) continue
    const name = percentDecode(line.slice(0, colon))
    if (!Object.hasOwn(fields, name)) fields[name] = percentDecode(line.slice(colon + 2))
  }
  let eventBody: string | undefined
  const length = Number.parseInt(String(fields['Content-Length'] ?? ''), 10)
  if (blank !== -1 && Number.isFinite(length)) {
    eventBody = Buffer.from(text.slice(blank + 2), 'latin1').subarray(0, length).toString('utf8')
  }
  return new EslEvent(fields, eventBody)
}
