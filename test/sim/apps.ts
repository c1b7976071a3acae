/**
 * Dialplan applications with FreeSWITCH's semantics, as far as the router and
 * the recorded transcripts exercise them: which variables change, in what
 * order, which events fire, and when the channel hangs up.
 */
import { bridge, type BridgeRecord } from './bridge.ts'
import type { EventHeaders, SimChannel } from './channel.ts'
import { separateString } from './fs-strings.ts'
import { isSip, sipAnswered, sipEarlyMedia } from './sip-media.ts'
import type { HookMoment } from './hooks.ts'
import type { BridgeOutcome, DtmfInput, SwitchDirectory } from './options.ts'
import type { VariableValue } from './variable-store.ts'

export interface AppContext {
  readonly channel: SimChannel
  emit(eventName: string, options?: { pre?: EventHeaders; post?: EventHeaders }): void
  /** Waits simulated milliseconds; false when the channel hung up first. */
  wait(ms: number): Promise<boolean>
  /** Expands `${...}` in a set value (the second expansion that makes `\$` unsafe). */
  expand(value: string): string
  nextDtmf(): DtmfInput | undefined
  nextBridgeOutcome(): BridgeOutcome | undefined
  fileDuration(file: string): number
  hangup(cause: string): void
  transfer(destination: string, dialplan: string, context: string): void
  recordBridge(record: BridgeRecord): void
  /** Notes a key the caller pressed (the CDR's digits_dialed). */
  dtmfPressed(key: string): void
  /** What the switch knows: gateways, profiles, directory users. */
  readonly directory: SwitchDirectory
  /** Runs (records) the hook variables among `variables` due at `moment`. */
  runHooks(variables: Iterable<readonly [string, VariableValue]>, moment: HookMoment, leg: 'caller' | 'callee'): void
  /** The caller hears early media / is answered (a bridge whose callee answers an unanswered caller). */
  preAnswerCaller(): Promise<void>
  answerCaller(): Promise<void>
  /** A transfer is pending: apps queued behind it still run, media apps fail at once (08d). */
  readonly transferring: boolean
}

export type App = (context: AppContext, arg: string) => Promise<void>

const response = (context: AppContext, value: string): void => context.channel.vars.set('current_application_response', value)

/** `set` / `multiset`: name=value (or name,value), value expanded a second time; empty unsets. */
function baseSet(context: AppContext, assignment: string): string | undefined {
  let separator = assignment.indexOf('=')
  if (separator === -1) separator = assignment.indexOf(',')
  if (separator <= 0) return undefined
  const name = assignment.slice(0, separator)
  const raw = assignment.slice(separator + 1)
  context.channel.vars.set(name, raw === '' ? undefined : context.expand(raw))
  return name
}

export async function answer(context: AppContext): Promise<void> {
  const channel = context.channel
  if (channel.answerState === 'answered') return
  // A SIP channel negotiates media first: CHANNEL_PROGRESS_MEDIA comes before CHANNEL_ANSWER (10, J5).
  if (channel.answerState === 'ringing' && isSip(channel)) await preAnswer(context)
  if (isSip(channel)) {
    sipAnswered(channel)
    if (channel.sip) channel.sip.ackPending = true
  }
  channel.times.answered = channel.identity.now()
  channel.answerState = 'answered'
  context.emit('CHANNEL_ANSWER')
  channel.callState = 'ACTIVE'
  channel.vars.set('endpoint_disposition', 'ANSWER')
  context.runHooks(channel.vars.list(), 'answer', 'caller')
}

export async function preAnswer(context: AppContext): Promise<void> {
  const channel = context.channel
  if (channel.answerState !== 'ringing') return
  channel.times.progressMedia = channel.identity.now()
  channel.answerState = 'early'
  if (isSip(channel)) sipEarlyMedia(channel)
  channel.vars.set('endpoint_disposition', 'EARLY MEDIA')
  context.emit('CHANNEL_PROGRESS_MEDIA')
  channel.callState = 'EARLY'
  context.runHooks(channel.vars.list(), 'pre_answer', 'caller')
  context.runHooks(channel.vars.list(), 'media', 'caller')
}

async function ringReady(context: AppContext): Promise<void> {
  const channel = context.channel
  if (channel.times.progress === 0) channel.times.progress = channel.identity.now()
  context.emit('CHANNEL_PROGRESS')
}

/** Plays a file for its simulated length; returns the ms played (less when interrupted). */
async function playFile(context: AppContext, file: string, stopAfterMs?: number): Promise<number> {
  const length = context.fileDuration(file)
  const played = stopAfterMs === undefined ? length : Math.min(length, stopAfterMs)
  await context.wait(played)
  const vars = context.channel.vars
  const samples = Math.round(played * 8)
  vars.set('playback_last_offset_pos', String(samples))
  vars.set('playback_seconds', String(Math.floor(played / 1000)))
  vars.set('playback_ms', String(Math.round(played)))
  vars.set('playback_samples', String(samples))
  return played
}

async function playback(context: AppContext, arg: string): Promise<void> {
  if (context.transferring) {
    response(context, 'PLAYBACK ERROR')
    return
  }
  context.channel.vars.delete('playback_terminator_used')
  await playFile(context, arg)
  response(context, 'FILE PLAYED')
}

interface CollectResult {
  digits: string
  terminator: string
  status: 'success' | 'timeout' | 'too_small'
}

/** One `switch_ivr_read`: prompt, then keys from the script (or silence until the timeout). */
async function readDigits(
  context: AppContext,
  min: number,
  max: number,
  prompt: string,
  variable: string | undefined,
  timeoutMs: number,
  terminators: string,
  digitTimeoutMs: number,
): Promise<CollectResult> {
  const vars = context.channel.vars
  vars.delete('read_result')
  if (variable) vars.delete(variable)
  await preAnswer(context)
  const input = context.nextDtmf() ?? { timeout: true as const }
  const keys = typeof input === 'string' ? input : 'digits' in input ? input.digits : ''
  const keysAfter = typeof input === 'string' ? 0 : 'digits' in input ? (input.afterMs ?? 0) : undefined
  const source = typeof input === 'object' && 'source' in input && input.source ? input.source : 'UNKNOWN'

  if (prompt !== '' && prompt !== 'silence') await playFile(context, prompt, keys === '' ? undefined : keysAfter)
  if (!context.channel.up) return { digits: '', terminator: '', status: 'too_small' }

  let digits = ''
  let terminator = ''
  let status: CollectResult['status'] = 'timeout'
  if (keys === '') {
    await context.wait(timeoutMs)
  } else {
    for (const key of keys) {
      // RFC 2833 carries the duration in whole packets: 2000 samples arrive as 2080 (10).
      context.emit('DTMF', { post: [['DTMF-Digit', key], ['DTMF-Duration', source === 'RTP' ? '2080' : '2000'], ['DTMF-Source', source]] })
      context.dtmfPressed(key)
      if (terminators.includes(key)) {
        terminator = key
        break
      }
      digits += key
      if (digits.length >= max) break
    }
    if (terminator !== '' || digits.length >= max) status = 'success'
    else await context.wait(digitTimeoutMs)
  }
  if (terminator !== '') vars.set('read_terminator_used', terminator)
  if (min > 0 && digits.length < min) status = 'too_small'
  vars.set('read_result', status === 'success' ? 'success' : status === 'timeout' ? 'timeout' : 'failure')
  if (variable && digits !== '') vars.set(variable, digits)
  return { digits, terminator, status }
}

function matches(digits: string, pattern: string): boolean {
  try {
    return new RegExp(pattern).test(digits)
  } catch {
    return false
  }
}

/** `play_and_get_digits min max tries timeout terminators file invalid_file [var [regexp [digit_timeout]]]`. */
async function playAndGetDigits(context: AppContext, arg: string): Promise<void> {
  const argv = separateString(arg, ' ', 11)
  if (argv.length < 7) return
  let min = Number.parseInt(argv[0] ?? '0', 10) || 0
  let max = Number.parseInt(argv[1] ?? '0', 10) || 0
  let tries = Number.parseInt(argv[2] ?? '0', 10) || 0
  let timeout = Number.parseInt(argv[3] ?? '0', 10) || 0
  const terminators = argv[4] === undefined || argv[4] === '' ? '#' : argv[4]
  const prompt = argv[5] ?? ''
  const invalidFile = argv[6] ?? ''
  const variable = argv[7] === undefined || argv[7] === '' ? undefined : argv[7]
  const regex = argv[8] ?? ''
  let digitTimeout = Number.parseInt(argv[9] ?? '0', 10) || 0
  if (min < 0) min = 0
  if (max < min) max = min
  if (timeout <= 1000) timeout = 1000
  if (digitTimeout === 0) digitTimeout = timeout
  const vars = context.channel.vars
  if (regex !== '' && variable) vars.delete(`${variable}_invalid`)

  while (context.channel.up && tries > 0) {
    const result = await readDigits(context, min, max, prompt, variable, timeout, terminators, digitTimeout)
    let status = result.status
    if (status === 'timeout' && result.digits.length >= min) status = 'success'
    if (min === 0 && result.digits === '' && vars.has('read_terminator_used')) return
    if (!(status === 'too_small' && result.digits === '') && status === 'success' && result.digits !== '') {
      if (regex === '' || matches(result.digits, regex)) return
      if (variable) {
        vars.delete(variable)
        vars.set(`${variable}_invalid`, result.digits)
      }
    }
    if (!context.channel.up) break
    await playFile(context, invalidFile)
    tries--
  }
}

async function multiset(context: AppContext, arg: string): Promise<void> {
  let delimiter = ' '
  let rest = arg
  if (rest.startsWith('^^') && rest.length > 2) {
    delimiter = rest[2] as string
    rest = rest.slice(3)
  }
  for (const assignment of separateString(rest, delimiter, 256)) baseSet(context, assignment)
}

async function exportApp(context: AppContext, arg: string): Promise<void> {
  const name = baseSet(context, arg)
  if (name === undefined) return
  const vars = context.channel.vars
  const existing = vars.get('export_vars')
  if (!existing?.split(',').includes(name)) vars.set('export_vars', existing ? `${existing},${name}` : name)
}

async function privacy(context: AppContext, arg: string): Promise<void> {
  const channel = context.channel
  const mode = arg.trim().toLowerCase()
  if (mode === 'no' || mode === 'off' || mode === 'false' || mode === '') {
    channel.privacyHideName = false
    channel.privacyHideNumber = false
  } else if (mode === 'name') {
    channel.privacyHideName = true
  } else if (mode === 'number') {
    channel.privacyHideNumber = true
  } else {
    channel.privacyHideName = true
    channel.privacyHideNumber = true
  }
}

async function hangupApp(context: AppContext, arg: string): Promise<void> {
  context.hangup(arg.trim() === '' ? 'NORMAL_CLEARING' : arg.trim())
}

async function sleep(context: AppContext, arg: string): Promise<void> {
  await context.wait(Number.parseInt(arg, 10) || 0)
}

async function transfer(context: AppContext, arg: string): Promise<void> {
  const [destination = '', dialplan = 'XML', dialContext = context.channel.profileValue('Context') || 'default'] = separateString(arg, ' ', 3)
  context.transfer(destination, dialplan, dialContext)
}

export const APPS: Readonly<Record<string, App>> = {
  answer,
  pre_answer: preAnswer,
  ring_ready: ringReady,
  playback,
  play_and_get_digits: playAndGetDigits,
  set: async (context, arg) => {
    baseSet(context, arg)
  },
  multiset,
  export: exportApp,
  unset: async (context, arg) => context.channel.vars.delete(arg.trim()),
  privacy,
  bridge,
  transfer,
  hangup: hangupApp,
  sleep,
  log: async () => {},
  info: async () => {},
}
