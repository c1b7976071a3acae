/**
 * The reply to `connect`: one header-only frame carrying every channel header
 * and variable, percent-encoded byte-wise, with `Content-Type: command/reply`
 * near the end (not first).
 */
import { EslError } from '../errors.ts'
import type { Frame } from './frame-parser.ts'
import { percentDecode } from './percent-decode.ts'

/** FreeSWITCH's spelling of "no value". */
const UNDEFINED_VALUE = '_undef_'

export interface ChannelData {
  readonly uniqueId: string
  readonly channelName: string
  /** `Caller-Caller-ID-Number`: the caller's number as signalled (untrusted). */
  readonly callerIdNumber: string
  /** `Caller-Caller-ID-Name`: the caller's display name (untrusted, may be any bytes). */
  readonly callerIdName: string
  /** `Caller-Destination-Number`: the number that was dialled. */
  readonly destinationNumber: string
  readonly answerState: string
  /** `async` or `static`. */
  readonly socketMode: string
  /** `full` or `single-channel`; without `full`, linger and api are refused. */
  readonly control: string
  /** Every header, decoded, first occurrence wins (built on each access: for debugging and tests). */
  readonly headers: ReadonlyMap<string, string>
  /** A channel variable (`variable_<name>`), undefined when absent or `_undef_`. */
  variable(name: string): string | undefined
}

/**
 * Decodes the connect reply; an error when it is not one (no `Unique-ID`).
 *
 * A call holds its channel data for its whole life, and the reply has a few
 * hundred headers: they are kept as one string of `Name: raw` lines (about
 * the reply's size) and looked up on demand, not as a Map of decoded strings
 * (three times that). Only `variable()` is asked for, once or twice a call.
 */
export function parseChannelData(frame: Frame): ChannelData | EslError {
  const lines = `\n${frame.headers.map(([name, raw]) => `${name}: ${raw}`).join('\n')}\n`
  const read = (name: string): string => lookup(lines, name) ?? ''
  const uniqueId = read('Unique-ID')
  if (uniqueId === '') return new EslError('protocol', 'connect reply carries no Unique-ID')
  return {
    uniqueId,
    channelName: read('Channel-Name'),
    callerIdNumber: read('Caller-Caller-ID-Number'),
    callerIdName: read('Caller-Caller-ID-Name'),
    destinationNumber: read('Caller-Destination-Number'),
    answerState: read('Answer-State'),
    socketMode: read('Socket-Mode'),
    control: read('Control'),
    get headers(): ReadonlyMap<string, string> {
      const headers = new Map<string, string>()
      for (const line of lines.split('\n')) {
        const colon = line.indexOf(': ')
        const name = line.slice(0, colon)
        if (colon > 0 && !headers.has(name)) headers.set(name, percentDecode(line.slice(colon + 2)))
      }
      return headers
    },
    variable: (name: string): string | undefined => lookup(lines, `variable_${name}`),
  }
}

/**
 * The first header with this exact name in `\nName: raw\n` lines, decoded;
 * undefined when absent or `_undef_`. Names never hold ": " or a line break.
 */
function lookup(lines: string, name: string): string | undefined {
  const start = lines.indexOf(`\n${name}: `)
  if (start === -1) return undefined
  const valueStart = start + name.length + 3
  const value = percentDecode(lines.slice(valueStart, lines.indexOf('\n', valueStart)))
  return value === UNDEFINED_VALUE ? undefined : value
}
