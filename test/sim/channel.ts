/**
 * The simulated channel and how FreeSWITCH renders its events: the 13 base
 * headers, the channel data block, the caller profile (`Caller-*`), the other
 * leg's profile once bridged, the variables (for the event types that carry
 * them), then the event's own headers. Layout and order follow the recorded
 * transcripts in test/fixtures/transcripts.
 */
import { randomUUID } from 'node:crypto'
import { arrayToPlain, VariableStore, type VariableValue } from './variable-store.ts'
import { urlEncode } from './fs-strings.ts'

export type EventHeaders = Array<[string, VariableValue]>

/** Where each event type says it was fired from (Event-Calling-*), as recorded. */
const CALLING_SITE: Readonly<Record<string, readonly [string, string, string]>> = {
  CHANNEL_DATA: ['mod_event_socket.c', 'parse_command', '2029'],
  CHANNEL_PARK: ['switch_ivr.c', 'switch_ivr_park', '1002'],
  CHANNEL_UNPARK: ['switch_ivr.c', 'switch_ivr_park', '1213'],
  CHANNEL_EXECUTE: ['switch_core_session.c', 'switch_core_session_exec', '2949'],
  CHANNEL_EXECUTE_COMPLETE: ['switch_core_session.c', 'switch_core_session_exec', '2972'],
  CHANNEL_ANSWER: ['switch_channel.c', 'switch_channel_perform_mark_answered', '3848'],
  CHANNEL_PROGRESS: ['switch_channel.c', 'switch_channel_perform_mark_ring_ready_value', '3336'],
  CHANNEL_PROGRESS_MEDIA: ['switch_channel.c', 'switch_channel_perform_mark_pre_answered', '3562'],
  CHANNEL_HANGUP: ['switch_channel.c', 'switch_channel_perform_hangup', '3447'],
  CHANNEL_STATE: ['switch_channel.c', 'switch_channel_perform_set_running_state', '2409'],
  CHANNEL_HANGUP_COMPLETE: ['switch_core_state_machine.c', 'switch_core_session_reporting_state', '943'],
  CHANNEL_BRIDGE: ['switch_ivr_bridge.c', 'switch_ivr_multi_threaded_bridge', '1689'],
  CHANNEL_UNBRIDGE: ['switch_ivr_bridge.c', 'switch_ivr_multi_threaded_bridge', '1879'],
  DTMF: ['switch_channel.c', 'switch_channel_dequeue_dtmf', '678'],
}

// Event types that carry the channel variables (switch_channel_event_set_extended_data).
const WITH_VARIABLES = new Set([
  'CHANNEL_DATA',
  'CHANNEL_PARK',
  'CHANNEL_UNPARK',
  'CHANNEL_EXECUTE',
  'CHANNEL_EXECUTE_COMPLETE',
  'CHANNEL_ANSWER',
  'CHANNEL_PROGRESS',
  'CHANNEL_PROGRESS_MEDIA',
  'CHANNEL_HANGUP',
  'CHANNEL_HANGUP_COMPLETE',
  'CHANNEL_BRIDGE',
  'CHANNEL_UNBRIDGE',
])

/** Caller profile fields in FreeSWITCH's order (a SIP or transferred call inserts a few more). */
export const PROFILE_FIELDS = [
  'Direction',
  'Logical-Direction',
  'Dialplan',
  'Caller-ID-Name',
  'Caller-ID-Number',
  'Orig-Caller-ID-Name',
  'Orig-Caller-ID-Number',
  'Callee-ID-Name',
  'Callee-ID-Number',
  'ANI',
  'Destination-Number',
  'Unique-ID',
  'Source',
  'Context',
  'Channel-Name',
  'Profile-Index',
  'Profile-Created-Time',
  'Channel-Created-Time',
  'Channel-Answered-Time',
  'Channel-Progress-Time',
  'Channel-Progress-Media-Time',
  'Channel-Hangup-Time',
  'Channel-Transfer-Time',
  'Channel-Resurrect-Time',
  'Channel-Bridged-Time',
  'Channel-Last-Hold',
  'Channel-Hold-Accum',
  'Screen-Bit',
  'Privacy-Hide-Name',
  'Privacy-Hide-Number',
] as const

export type Profile = Array<[string, string]>

// switch_caller_get_field_by_name: the caller profile fields a variable lookup falls back to.
const PROFILE_VARIABLES: Readonly<Record<string, string>> = {
  dialplan: 'Dialplan',
  username: 'Username',
  caller_id_name: 'Caller-ID-Name',
  caller_id_number: 'Caller-ID-Number',
  orig_caller_id_name: 'Orig-Caller-ID-Name',
  orig_caller_id_number: 'Orig-Caller-ID-Number',
  callee_id_name: 'Callee-ID-Name',
  callee_id_number: 'Callee-ID-Number',
  ani: 'ANI',
  network_addr: 'Network-Addr',
  rdnis: 'RDNIS',
  destination_number: 'Destination-Number',
  source: 'Source',
  context: 'Context',
  chan_name: 'Channel-Name',
  uuid: 'Unique-ID',
}

export interface SwitchIdentity {
  readonly coreUuid: string
  readonly hostname: string
  readonly ipv4: string
  readonly ipv6: string
  nextSequence(): number
  /** Microseconds since the epoch, strictly increasing. */
  now(): number
}

export interface ChannelTimes {
  created: number
  profileCreated: number
  answered: number
  progress: number
  progressMedia: number
  hangup: number
  transfer: number
  bridged: number
}

export class SimChannel {
  state = 'CS_EXECUTE'
  stateNumber = 4
  callState = 'RINGING'
  answerState = 'ringing'
  hangupCause: string | undefined
  privacyHideName = false
  privacyHideNumber = false
  readonly times: ChannelTimes
  /** The bridged (or last bridged) peer's profile, rendered as Other-Leg-*. */
  otherLeg: Profile | undefined
  /** The media codec; a SIP channel has none until media is negotiated, a loopback one has L16 from the start. */
  codec: { readonly name: string; readonly rate: string; readonly bitRate: string } | undefined
  /** mod_sofia's media state (ports), once early media or answer negotiated it; an ACK is due after the answer. */
  sip: { readonly localPort: number; readonly remotePort: number; ackPending?: boolean } | undefined
  readonly vars: VariableStore

  constructor(
    readonly identity: SwitchIdentity,
    readonly uuid: string,
    readonly name: string,
    /** Caller profile, every field in order (time and privacy fields are filled in when rendered). */
    readonly profile: Profile,
    variables: ReadonlyArray<readonly [string, VariableValue]>,
    createdAt: number,
  ) {
    this.vars = new VariableStore(variables)
    this.codec = this.profileValue('Source') === 'mod_sofia' ? undefined : { name: 'L16', rate: '8000', bitRate: '128000' }
    this.times = { created: createdAt, profileCreated: createdAt, answered: 0, progress: 0, progressMedia: 0, hangup: 0, transfer: 0, bridged: 0 }
  }

  profileValue(field: string): string {
    return this.profile.find(([name]) => name === field)?.[1] ?? ''
  }

  /** Sets a profile field; a new field goes right after `after` (FreeSWITCH's fixed field order). */
  setProfileValue(field: string, value: string, after?: string): void {
    const entry = this.profile.find(([name]) => name === field)
    if (entry) {
      entry[1] = value
      return
    }
    const anchor = after === undefined ? -1 : this.profile.findIndex(([name]) => name === after)
    if (anchor === -1) this.profile.push([field, value])
    else this.profile.splice(anchor + 1, 0, [field, value])
  }

  /**
   * A variable as switch_channel_get_variable finds it: the channel's own, else the
   * caller profile's field of that name (`${caller_id_name}`, `${destination_number}`...).
   */
  variable(name: string): string | undefined {
    const own = this.vars.get(name)
    if (own !== undefined) return own
    const field = PROFILE_VARIABLES[name]
    if (field === undefined) return undefined
    const value = field === 'Unique-ID' ? this.uuid : this.profileValue(field)
    return value === '' ? undefined : value
  }

  removeProfileValue(field: string): void {
    const index = this.profile.findIndex(([name]) => name === field)
    if (index !== -1) this.profile.splice(index, 1)
  }

  get up(): boolean {
    return this.hangupCause === undefined
  }

  /** The caller profile headers under `prefix` (`Caller`, or `Channel` in the connect reply). */
  profileHeaders(prefix: string): EventHeaders {
    const dynamic: Record<string, string> = {
      'Profile-Created-Time': String(this.times.profileCreated),
      'Channel-Created-Time': String(this.times.created),
      'Channel-Answered-Time': String(this.times.answered),
      'Channel-Progress-Time': String(this.times.progress),
      'Channel-Progress-Media-Time': String(this.times.progressMedia),
      'Channel-Hangup-Time': String(this.times.hangup),
      'Channel-Transfer-Time': String(this.times.transfer),
      'Channel-Bridged-Time': String(this.times.bridged),
      'Privacy-Hide-Name': String(this.privacyHideName),
      'Privacy-Hide-Number': String(this.privacyHideNumber),
    }
    return this.profile.map(([field, value]) => [`${prefix}-${field}`, dynamic[field] ?? value])
  }

  private channelDataHeaders(): EventHeaders {
    const headers: EventHeaders = [
      ['Channel-State', this.state],
      ['Channel-Call-State', this.callState],
      ['Channel-State-Number', String(this.stateNumber)],
      ['Channel-Name', this.name],
      ['Unique-ID', this.uuid],
      ['Call-Direction', this.profileValue('Direction') || 'inbound'],
      ['Presence-Call-Direction', this.profileValue('Direction') || 'inbound'],
      ['Channel-HIT-Dialplan', 'true'],
      ['Channel-Call-UUID', this.uuid],
      ['Answer-State', this.answerState],
    ]
    if (this.hangupCause !== undefined) headers.push(['Hangup-Cause', this.hangupCause])
    const codec = this.codec
    if (codec) {
      headers.push(
        ['Channel-Read-Codec-Name', codec.name],
        ['Channel-Read-Codec-Rate', codec.rate],
        ['Channel-Read-Codec-Bit-Rate', codec.bitRate],
        ['Channel-Write-Codec-Name', codec.name],
        ['Channel-Write-Codec-Rate', codec.rate],
        ['Channel-Write-Codec-Bit-Rate', codec.bitRate],
      )
    }
    return headers
  }

  /** Renders one event from the channel's state right now. */
  render(
    eventName: string,
    options: { pre?: EventHeaders; post?: EventHeaders; site?: readonly [string, string, string]; profileBlock?: boolean } = {},
  ): EventHeaders {
    const site = options.site ?? CALLING_SITE[eventName] ?? ['switch_channel.c', 'switch_channel_event', '1']
    const now = this.identity.now()
    const date = new Date(Math.floor(now / 1000))
    const headers: EventHeaders = [
      ['Event-Name', eventName],
      ['Core-UUID', this.identity.coreUuid],
      ['FreeSWITCH-Hostname', this.identity.hostname],
      ['FreeSWITCH-Switchname', this.identity.hostname],
      ['FreeSWITCH-IPv4', this.identity.ipv4],
      ['FreeSWITCH-IPv6', this.identity.ipv6],
      ['Event-Date-Local', localStamp(date)],
      ['Event-Date-GMT', date.toUTCString()],
      ['Event-Date-Timestamp', String(now)],
      ['Event-Calling-File', site[0]],
      ['Event-Calling-Function', site[1]],
      ['Event-Calling-Line-Number', site[2]],
      ['Event-Sequence', String(this.identity.nextSequence())],
    ]
    headers.push(...(options.pre ?? []))
    if (options.profileBlock ?? eventName === 'CHANNEL_DATA') headers.push(...this.profileHeaders('Channel'))
    headers.push(...this.channelDataHeaders())
    headers.push(...this.profileHeaders('Caller'))
    if (this.otherLeg) {
      headers.push(['Other-Type', 'originatee'])
      for (const [field, value] of this.otherLeg) headers.push([`Other-Leg-${field}`, value])
    }
    if (WITH_VARIABLES.has(eventName)) {
      for (const [name, value] of this.vars.list()) headers.push([`variable_${name}`, value])
    }
    headers.push(...(options.post ?? []))
    return headers
  }
}

/** FreeSWITCH writes empty header values as `_undef_`. */
export function withUndef(headers: EventHeaders): EventHeaders {
  return headers.map(([name, value]) => [name, value === '' ? '_undef_' : value])
}

/** `YYYY-MM-DD HH:MM:SS` in local time, as Event-Date-Local and *_stamp variables show it. */
export function localStamp(date: Date): string {
  const pad = (value: number): string => String(value).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
}

/** `Name: url-encoded-value` lines, as plain events, the connect reply and uuid_dump carry them. */
export function serializePlain(headers: EventHeaders): string {
  let out = ''
  for (const [name, value] of headers) {
    out += `${name}: ${urlEncode(typeof value === 'string' ? value : arrayToPlain(value))}\n`
  }
  return out
}

/** One-line JSON object with raw bytes (byte string in, byte string out), arrays kept as arrays. */
export function serializeJson(headers: EventHeaders): string {
  const parts: string[] = []
  for (const [name, value] of headers) parts.push(`${JSON.stringify(name)}:${JSON.stringify(value)}`)
  return `{${parts.join(',')}}`
}

export function newUuid(): string {
  return randomUUID()
}
