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
  /** Every header, decoded, first occurrence wins. */
  readonly headers: ReadonlyMap<string, string>
  /** A channel variable (`variable_<name>`), undefined when absent or `_undef_`. */
  variable(name: string): string | undefined
}

/** Decodes the connect reply; an error when it is not one (no `Unique-ID`). */
export function parseChannelData(frame: Frame): ChannelData | EslError {
  const headers = new Map<string, string>()
  for (const [name, raw] of frame.headers) {
    if (!headers.has(name)) headers.set(name, percentDecode(raw))
  }
  const read = (name: string): string => {
    const value = headers.get(name)
    return value === undefined || value === UNDEFINED_VALUE ? '' : value
  }
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
    headers,
    variable(name: string): string | undefined {
      const value = headers.get(`variable_${name}`)
      return value === undefined || value === UNDEFINED_VALUE ? undefined : value
    },
  }
}
