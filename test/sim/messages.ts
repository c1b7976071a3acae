/**
 * What a controller's `sendmsg` asks of the channel, as FreeSWITCH queues it
 * for the channel thread (switch_ivr_parse_event reads these headers).
 */
import type { Frame } from '../../src/esl/frame-parser.ts'
import { newUuid } from './channel.ts'

/** A dialplan action: an application and its argument. */
export type Action = readonly [app: string, arg: string]

export interface QueuedMessage {
  readonly command: string
  readonly app: string
  readonly arg: string
  readonly eventUuid: string
  readonly eventLock: boolean
  readonly hangupCause: string
  /** xferext: the `application: <app> <arg>` headers, in order. */
  readonly applications: readonly Action[]
}

export function parseSendmsg(frame: Frame): QueuedMessage {
  const header = (name: string): string => frame.header(name) ?? ''
  let arg = header('execute-app-arg')
  if (arg === '' && header('content-type').toLowerCase() === 'text/plain') {
    // FreeSWITCH copies the body as a C string: it ends at the first NUL.
    const body = frame.body.toString('latin1')
    const nul = body.indexOf('\0')
    arg = nul === -1 ? body : body.slice(0, nul)
  }
  return {
    command: header('call-command').toLowerCase(),
    app: header('execute-app-name'),
    arg,
    eventUuid: header('event-uuid') || newUuid(),
    eventLock: /^(true|yes|on|1)$/i.test(header('event-lock')),
    hangupCause: header('hangup-cause') || 'NORMAL_CLEARING',
    applications: frame.headers
      .filter(([name]) => name.toLowerCase() === 'application')
      .map(([, line]): Action => {
        const space = line.indexOf(' ')
        return space === -1 ? [line, ''] : [line.slice(0, space), line.slice(space + 1)]
      }),
  }
}
