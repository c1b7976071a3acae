/**
 * Typed views of the frames FreeSWITCH sends: command replies, API responses,
 * events (JSON or plain) and disconnect notices.
 */
import type { Frame } from './frame-parser.ts'
import { bytesToText, percentDecode } from './percent-decode.ts'

/** An event header value: JSON events carry arrays for array variables (e.g. `variable_DP_MATCH`). */
export type EventValue = string | readonly string[]

/**
 * One FreeSWITCH event. Header access tolerates array and non-string JSON
 * values. A JSON event is parsed on first use: a call brings dozens of events
 * of 100+ headers each, and the session only needs a few of them, which it
 * recognises by their name and Unique-ID, read cheaply from the start.
 */
export class EslEvent {
  private parsed: Readonly<Record<string, unknown>> | undefined
  private readonly json: JsonSource | undefined

  constructor(
    source: Readonly<Record<string, unknown>> | JsonSource,
    readonly bodyText?: string,
  ) {
    if (source instanceof JsonSource) this.json = source
    else this.parsed = source
  }

  /** The event's own body (`_body` in JSON events), if any. */
  get body(): string | undefined {
    if (this.bodyText !== undefined) return this.bodyText
    const value = this.json ? this.fields['_body'] : undefined
    return typeof value === 'string' ? value : undefined
  }

  private get fields(): Readonly<Record<string, unknown>> {
    this.parsed ??= this.json?.parse() ?? {}
    return this.parsed
  }

  /** Header value; for an array value, its first element. */
  get(name: string): string | undefined {
    // The few headers the session reads from every event come straight from the text.
    if (this.parsed === undefined && this.json) {
      const quick = this.json.quick(name)
      if (quick !== undefined) return quick
    }
    const fields = this.fields
    if (!Object.hasOwn(fields, name)) return undefined
    const value = fields[name]
    if (typeof value === 'string') return value
    if (Array.isArray(value)) return value.length > 0 ? String(value[0]) : undefined
    if (value === null || value === undefined) return undefined
    return typeof value === 'object' ? JSON.stringify(value) : String(value)
  }

  /** Every value of a header (one for plain strings, all elements for arrays). */
  getAll(name: string): readonly string[] {
    const fields = this.fields
    if (!Object.hasOwn(fields, name)) return []
    const value = fields[name]
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

/**
 * A JSON event's text, parsed only when needed. FreeSWITCH writes the event's
 * own headers first (Event-Name first, the channel's Unique-ID and a
 * hang-up's Hangup-Cause among the first few dozen) and the application's
 * headers last (Application-UUID closes an execute event), all before or after
 * the variables, so these can be read from the ends of the text. A value with
 * an escape, or a header elsewhere, falls back to the full parse.
 */
export class JsonSource {
  constructor(private readonly text: string) {}

  /** A simple string value of one of the quick headers, or undefined (then parse). */
  quick(name: string): string | undefined {
    const where = QUICK_HEADERS.get(name)
    if (where === undefined) return undefined
    const part = where.end === 'start' ? this.text.slice(0, SCAN_CHARS) : this.text.slice(-SCAN_CHARS)
    return where.pattern.exec(part)?.[1]
  }

  parse(): Readonly<Record<string, unknown>> {
    try {
      const parsed: unknown = JSON.parse(this.text)
      return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {}
    } catch {
      return {}
    }
  }
}

/** How far from either end the quick headers are looked for. */
const SCAN_CHARS = 2048
// A key after `{` or `,`, a plain string value (no escapes), then `,` or `}`: never inside a string.
const quickPattern = (name: string): RegExp => new RegExp(`[{,]\\s*"${name}"\\s*:\\s*"([^"\\\\]*)"\\s*[,}]`)
const QUICK_HEADERS: ReadonlyMap<string, { end: 'start' | 'end'; pattern: RegExp }> = new Map([
  ['Event-Name', { end: 'start', pattern: quickPattern('Event-Name') }],
  ['Unique-ID', { end: 'start', pattern: quickPattern('Unique-ID') }],
  ['Hangup-Cause', { end: 'start', pattern: quickPattern('Hangup-Cause') }],
  ['Application-UUID', { end: 'end', pattern: quickPattern('Application-UUID') }],
  ['Application', { end: 'end', pattern: quickPattern('Application') }],
])

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
  const text = body.toString('utf8')
  // The full parse waits until the event is needed; only its shape is checked now.
  const trimmed = text.trim()
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return { kind: 'malformed', reason: 'event JSON is not an object' }
  return { kind: 'event', event: new EslEvent(new JsonSource(text)) }
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
