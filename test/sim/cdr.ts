/**
 * The variables FreeSWITCH adds when a channel reports its hang-up
 * (CHANNEL_HANGUP_COMPLETE): cause, stamps, epochs and durations, in the
 * order they appear in the recorded events.
 */
import { localStamp, type SimChannel } from './channel.ts'
import { Q850 } from './fs-strings.ts'

export function setCdrVariables(channel: SimChannel, lastApp: readonly [string, string], digitsDialed: string): void {
  const vars = channel.vars
  const times = channel.times
  const end = times.hangup
  const cause = channel.hangupCause ?? 'NORMAL_CLEARING'
  const stamp = (micros: number): string => localStamp(new Date(Math.floor(micros / 1000)))
  vars.set('hangup_cause', cause)
  vars.set('hangup_cause_q850', String(Q850[cause] ?? 16))
  vars.set('digits_dialed', digitsDialed === '' ? 'none' : digitsDialed)
  vars.set('start_stamp', stamp(times.created))
  vars.set('profile_start_stamp', stamp(times.profileCreated))
  if (times.answered) vars.set('answer_stamp', stamp(times.answered))
  if (times.bridged) vars.set('bridge_stamp', stamp(times.bridged))
  if (times.progress) vars.set('progress_stamp', stamp(times.progress))
  if (times.progressMedia) vars.set('progress_media_stamp', stamp(times.progressMedia))
  vars.set('end_stamp', stamp(end))
  const epochs: Array<[string, number]> = [
    ['start', times.created],
    ['profile_start', times.profileCreated],
    ['answer', times.answered],
    ['bridge', times.bridged],
    ['last_hold', 0],
  ]
  for (const [name, micros] of epochs) {
    vars.set(`${name}_epoch`, String(Math.floor(micros / 1e6)))
    vars.set(`${name}_uepoch`, String(micros))
  }
  vars.set('hold_accum_seconds', '0')
  vars.set('hold_accum_usec', '0')
  vars.set('hold_accum_ms', '0')
  for (const [name, micros] of [
    ['resurrect', 0],
    ['progress', times.progress],
    ['progress_media', times.progressMedia],
    ['end', end],
  ] as Array<[string, number]>) {
    vars.set(`${name}_epoch`, String(Math.floor(micros / 1e6)))
    vars.set(`${name}_uepoch`, String(micros))
  }
  vars.set('last_app', lastApp[0])
  if (lastApp[1] !== '') vars.set('last_arg', lastApp[1])
  vars.set('caller_id', `"${channel.profileValue('Caller-ID-Name')}" <${channel.profileValue('Caller-ID-Number')}>`)
  const since = (from: number): number => (from ? end - from : 0)
  const durations: Array<[string, number]> = [
    ['duration', end - times.created],
    ['billsec', since(times.answered)],
    ['progress', times.progress ? times.progress - times.created : 0],
    ['answer', times.answered ? times.answered - times.created : 0],
    ['wait', times.bridged ? times.bridged - times.created : 0],
    ['progress_media', times.progressMedia ? times.progressMedia - times.created : 0],
    ['flow_bill', end - times.profileCreated],
  ]
  const suffixed = (name: string, unit: string): string =>
    name === 'duration' ? (unit === 'sec' ? 'duration' : unit === 'msec' ? 'mduration' : 'uduration') : name === 'billsec' ? `bill${unit}` : `${name}${unit}`
  for (const [unit, divisor] of [
    ['sec', 1e6],
    ['msec', 1e3],
    ['usec', 1],
  ] as Array<[string, number]>) {
    for (const [name, micros] of durations) vars.set(suffixed(name, unit), String(unit === 'sec' ? Math.floor(micros / divisor) : Math.round(micros / divisor)))
  }
  if (channel.profileValue('Source') === 'mod_loopback') vars.set('is_loopback', '1')
}
