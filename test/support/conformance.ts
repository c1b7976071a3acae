/**
 * Compares what the simulator sends with what a real FreeSWITCH sent in a
 * recording: same frames in the same order, same header names in the same
 * order, same values, ignoring what legitimately differs between two runs
 * (UUIDs, which are mapped by order of appearance; times; sequence numbers;
 * durations that depend on timing).
 */
import { Frame } from '../../src/esl/frame-parser.ts'

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g

// Headers whose values are times or timing-dependent amounts.
const TIME_VALUED = [
  /^Event-Date-(Local|GMT|Timestamp)$/,
  /-Time$/,
  /^(Caller|Channel|Other-Leg)-Channel-(Last-Hold|Hold-Accum)$/,
  /_(stamp|epoch|uepoch)$/,
]
// Amounts of time that depend on how fast things ran (zero or not included).
const DURATIONS = [
  /^variable_(m|u)?duration$/,
  /^variable_(bill|progress|answer|wait|progress_media|flow_bill)(sec|msec|usec)$/,
  /^variable_playback_(last_offset_pos|seconds|ms|samples)$/,
  /^variable_hold_accum_(seconds|usec|ms)$/,
]
const VOLATILE = [
  /^Event-Sequence$/,
  /^variable_session_id$/,
  /^Core-UUID$/,
  // SIP and RTP values two runs never share: media ports, SSRC, SDP session ids, dialog tags, CSeq, Via branch.
  /^variable_(local|remote)_media_port$/,
  /^variable_rtp_use_ssrc$/,
  /^variable_rtp_local_sdp_str$/,
  /^variable_switch_m_sdp$/,
  /^variable_sip_(to_tag|cseq|full_via|full_to)$/,
  // RTP traffic counters depend on how long media flowed.
  /^variable_rtp_audio_(in|out|rtcp)_/,
]

export type NormalFrame =
  | { kind: 'event'; format: string; name: string; headers: Array<[string, string]> }
  | { kind: 'frame'; headers: Array<[string, string]>; body: string }

export class Normalizer {
  private readonly uuids = new Map<string, string>()

  value(name: string, raw: string): string {
    if (VOLATILE.some((pattern) => pattern.test(name))) return '<volatile>'
    if (DURATIONS.some((pattern) => pattern.test(name))) return '<duration>'
    if (TIME_VALUED.some((pattern) => pattern.test(name))) return raw === '0' ? '0' : '<time>'
    return raw
      .replace(UUID, (uuid) => {
        let token = this.uuids.get(uuid)
        if (!token) {
          token = `<uuid${this.uuids.size + 1}>`
          this.uuids.set(uuid, token)
        }
        return token
      })
      // Epoch seconds or microseconds inside values (transfer_history, Transfer-Source).
      .replace(/\b17\d{8}(\d{6})?\b/g, '<time>')
  }

  frame(frame: Frame): NormalFrame {
    const contentType = frame.contentType ?? ''
    if (contentType === 'text/event-json') {
      const parsed = JSON.parse(frame.body.toString('utf8')) as Record<string, string | string[]>
      const headers = Object.entries(parsed).map(([name, value]): [string, string] => [name, this.value(name, Array.isArray(value) ? JSON.stringify(value) : value)])
      return { kind: 'event', format: 'json', name: String(parsed['Event-Name']), headers }
    }
    if (contentType === 'text/event-plain') {
      const lines = frame.body.toString('latin1').replace(/\n\n$/, '').split('\n')
      const headers = lines.map((line): [string, string] => {
        const colon = line.indexOf(': ')
        const name = line.slice(0, colon)
        return [name, this.value(name, line.slice(colon + 2))]
      })
      return { kind: 'event', format: 'plain', name: headers[0]?.[1] ?? '', headers }
    }
    const headers = frame.headers
      .filter(([name]) => !(name === 'Content-Length' && frame.body.toString('latin1').startsWith('Event-Name: ')))
      .map(([name, value]): [string, string] => [name, this.value(name, value)])
    const body = frame.body.toString('latin1')
    if (body.startsWith('Event-Name: ')) {
      // uuid_dump: an event serialised as plain lines; compared line by line.
      for (const line of body.replace(/\n+$/, '').split('\n')) {
        const colon = line.indexOf(': ')
        headers.push([`body:${line.slice(0, colon)}`, this.value(line.slice(0, colon), line.slice(colon + 2))])
      }
      return { kind: 'frame', headers, body: body.endsWith('\n\n') ? '<ends with a blank line>' : '<no blank line>' }
    }
    return { kind: 'frame', headers, body: this.value('body', body) }
  }
}

/** One line per frame for readable diffs: event name and application, or content type and reply. */
export function describe(frame: NormalFrame): string {
  if (frame.kind === 'event') {
    const app = frame.headers.find(([name]) => name === 'Application')?.[1]
    return `${frame.name}${app ? `(${app})` : ''}`
  }
  const type = frame.headers.find(([name]) => name === 'Content-Type')?.[1] ?? frame.headers[0]?.[0] ?? '?'
  const detail = frame.headers.find(([name]) => name === 'Reply-Text' || name === 'Content-Disposition')?.[1] ?? frame.body.slice(0, 30)
  return `${type}: ${detail}`
}
