/**
 * Dialplan applications with FreeSWITCH's semantics, as far as the router and
 * the recorded transcripts exercise them: which variables change, in what
 * order, which events fire, and when the channel hangs up.
 */
import type { SimChannel, EventHeaders, Profile } from './channel.ts'
import { newUuid } from './channel.ts'
import { parseDialString, type DialString } from './dial-string.ts'
import { separateString, text } from './fs-strings.ts'
import type { BridgeOutcome, DtmfInput } from './options.ts'

export interface BridgeRecord {
  /** The dial string as FreeSWITCH received it (after the first expansion). */
  readonly dialString: string
  readonly parsed: DialString
  /** The caller's channel variables when the bridge started (byte strings). */
  readonly variables: ReadonlyMap<string, string | readonly string[]>
  /** What the callee's leg carried: caller-ID name/number and privacy (text). */
  readonly callee: {
    readonly callerIdName: string
    readonly callerIdNumber: string
    readonly hideName: boolean
    readonly hideNumber: boolean
    readonly cidType: string | undefined
  }
  outcome: 'answered' | string
}

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

async function answer(context: AppContext): Promise<void> {
  const channel = context.channel
  if (channel.answerState === 'answered') return
  channel.times.answered = channel.identity.now()
  channel.answerState = 'answered'
  context.emit('CHANNEL_ANSWER')
  channel.callState = 'ACTIVE'
  channel.vars.set('endpoint_disposition', 'ANSWER')
}

async function preAnswer(context: AppContext): Promise<void> {
  const channel = context.channel
  if (channel.answerState !== 'ringing') return
  channel.times.progressMedia = channel.identity.now()
  channel.answerState = 'early'
  context.emit('CHANNEL_PROGRESS_MEDIA')
  channel.callState = 'EARLY'
  channel.vars.set('endpoint_disposition', 'EARLY MEDIA')
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
  await preAnswer(context)
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
      context.emit('DTMF', { post: [['DTMF-Digit', key], ['DTMF-Duration', '2000'], ['DTMF-Source', source]] })
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

const DIALSTATUS: Readonly<Record<string, string>> = { USER_BUSY: 'BUSY', NO_ANSWER: 'NOANSWER' }
// These causes never hang up the caller, continue_on_fail or not.
const ALWAYS_CONTINUE = new Set(['NO_ANSWER', 'NO_USER_RESPONSE', 'ORIGINATOR_CANCEL'])

function shouldContinue(channel: SimChannel, cause: string): boolean {
  if (ALWAYS_CONTINUE.has(cause)) return true
  const setting = channel.vars.get('continue_on_fail')
  if (setting === undefined) return false
  if (/^(true|yes|on|1)$/i.test(setting)) return true
  return setting.split(',').some((listed) => listed.trim().toUpperCase() === cause)
}

interface Target {
  readonly channelName: string
  readonly destination: string
  readonly context: string
  readonly source: string
  readonly logicalDirection: string
  readonly calleeNumber: string
}

/** What an endpoint string dials, or the cause FreeSWITCH fails it with. */
function resolveEndpoint(endpoint: string): Target | { fail: string; createsLeg: boolean } {
  const loopback = /^loopback\/([^/]+)(?:\/([^/]+))?/.exec(endpoint)
  if (loopback) {
    const destination = loopback[1] as string
    const loopContext = loopback[2] ?? 'default'
    return { channelName: `loopback/${destination}-a`, destination, context: loopContext, source: 'mod_loopback', logicalDirection: 'inbound', calleeNumber: loopContext }
  }
  const gateway = /^sofia\/gateway\/([^/]+)\/([^/;@]+)/.exec(endpoint)
  if (gateway) {
    const destination = gateway[2] as string
    return { channelName: `sofia/gateway/${gateway[1]}/${destination}`, destination, context: 'default', source: 'mod_sofia', logicalDirection: 'outbound', calleeNumber: destination }
  }
  const user = /^user\/([^@/]+)@(.+)$/.exec(endpoint)
  if (user) {
    const destination = user[1] as string
    return { channelName: `sofia/internal/${destination}@${user[2]}`, destination, context: 'default', source: 'mod_sofia', logicalDirection: 'outbound', calleeNumber: destination }
  }
  const sofia = /^sofia\/([^/]+)\/([^@;]+)/.exec(endpoint)
  if (sofia) {
    const destination = sofia[2] as string
    return { channelName: `sofia/${sofia[1]}/${destination}`, destination, context: 'default', source: 'mod_sofia', logicalDirection: 'outbound', calleeNumber: destination }
  }
  const error = /^error\/(.+)$/.exec(endpoint)
  if (error) return { fail: (error[1] as string).toUpperCase(), createsLeg: false }
  return { fail: 'CHAN_NOT_IMPLEMENTED', createsLeg: false }
}

function hidesFlags(privacyValue: string | undefined): { name: boolean; number: boolean } {
  const flags = (privacyValue ?? '').toLowerCase().split(/[+:,|]/)
  return { name: flags.includes('hide_name'), number: flags.includes('hide_number') }
}

async function bridge(context: AppContext, arg: string): Promise<void> {
  const channel = context.channel
  const vars = channel.vars
  const dial = parseDialString(arg)
  const leg = dial.groups[0]?.[0]
  // origination_* only count in the dial string; the caller's own copies (from its originate) do not.
  const dialVar = (name: string): string | undefined => leg?.variables.get(name) ?? dial.global.get(name)
  const legVar = (name: string): string | undefined => dialVar(name) ?? vars.get(name)
  const originationPrivacy = hidesFlags(dialVar('origination_privacy'))
  const callee = {
    callerIdName: dialVar('origination_caller_id_name') ?? vars.get('effective_caller_id_name') ?? channel.profileValue('Caller-ID-Name'),
    callerIdNumber: dialVar('origination_caller_id_number') ?? vars.get('effective_caller_id_number') ?? channel.profileValue('Caller-ID-Number'),
    hideName: channel.privacyHideName || originationPrivacy.name,
    hideNumber: channel.privacyHideNumber || originationPrivacy.number,
    cidType: legVar('sip_cid_type'),
  }
  const record: BridgeRecord = {
    dialString: arg,
    parsed: dial,
    variables: vars.snapshot(),
    callee: { ...callee, callerIdName: text(callee.callerIdName), callerIdNumber: text(callee.callerIdNumber) },
    outcome: 'pending',
  }
  context.recordBridge(record)

  const resolved = resolveEndpoint(leg?.endpoint ?? '')
  // error/ endpoints fail by themselves; only real endpoints take a scripted outcome.
  const scripted = 'fail' in resolved ? { answer: true as const } : (context.nextBridgeOutcome() ?? { answer: true as const })
  const peerUuid = newUuid()

  const fail = async (cause: string, createsLeg: boolean, rings: boolean, afterMs: number): Promise<void> => {
    await context.wait(afterMs)
    if (!channel.up) return
    if (rings && 'calleeNumber' in resolved) {
      channel.setProfileValue('Callee-ID-Number', resolved.calleeNumber)
      channel.times.progress = channel.identity.now()
    }
    if (createsLeg) {
      vars.set('originate_signal_bond', peerUuid)
      vars.push('originated_legs', `${peerUuid};Outbound Call;${'calleeNumber' in resolved ? resolved.calleeNumber : 'default'}`)
      vars.set('last_bridge_hangup_cause', cause)
    }
    vars.set('originate_disposition', cause)
    vars.set('DIALSTATUS', DIALSTATUS[cause] ?? cause)
    if (createsLeg) vars.push('originate_causes', `${peerUuid};${cause}`)
    vars.set('originate_failed_cause', cause)
    record.outcome = cause
    if (!shouldContinue(channel, cause)) context.hangup(cause)
  }

  if ('fail' in resolved) return fail(resolved.fail, resolved.createsLeg, false, 0)
  if (!('answer' in scripted)) {
    const timeoutSeconds = Number.parseInt(legVar('originate_timeout') ?? legVar('leg_timeout') ?? '', 10)
    const ringMs = scripted.afterMs ?? (scripted.fail === 'NO_ANSWER' && timeoutSeconds > 0 ? timeoutSeconds * 1000 - 700 : 20)
    return fail(scripted.fail, true, scripted.fail === 'NO_ANSWER' || scripted.fail === 'ALLOTTED_TIMEOUT', ringMs)
  }

  // Answered: the peer leg exists, the two legs are bridged.
  await context.wait(20)
  if (!channel.up) return
  const now = channel.identity.now()
  const peer: Profile = [
    ['Direction', 'outbound'],
    ['Logical-Direction', resolved.logicalDirection],
    ['Dialplan', 'xml'],
    ['Caller-ID-Name', callee.callerIdName],
    ['Caller-ID-Number', callee.callerIdNumber],
    ['Orig-Caller-ID-Name', channel.profileValue('Caller-ID-Name')],
    ['Orig-Caller-ID-Number', channel.profileValue('Caller-ID-Number')],
    ['Callee-ID-Name', 'Outbound Call'],
    ['Callee-ID-Number', resolved.calleeNumber],
    ['ANI', channel.profileValue('ANI')],
    ['Destination-Number', resolved.destination],
    ['Unique-ID', peerUuid],
    ['Source', resolved.source],
    ['Context', resolved.context],
    ['Channel-Name', resolved.channelName],
    ['Profile-Created-Time', String(now)],
    ['Channel-Created-Time', String(now)],
    ['Channel-Answered-Time', String(now)],
    ['Channel-Progress-Time', '0'],
    ['Channel-Progress-Media-Time', '0'],
    ['Channel-Hangup-Time', '0'],
    ['Channel-Transfer-Time', '0'],
    ['Channel-Resurrect-Time', '0'],
    ['Channel-Bridged-Time', '0'],
    ['Channel-Last-Hold', '0'],
    ['Channel-Hold-Accum', '0'],
    ['Screen-Bit', 'true'],
    ['Privacy-Hide-Name', String(callee.hideName)],
    ['Privacy-Hide-Number', String(callee.hideNumber)],
  ]
  channel.setProfileValue('Callee-ID-Number', resolved.calleeNumber)
  channel.times.bridged = now
  channel.otherLeg = peer
  vars.push('originated_legs', `${peerUuid};Outbound Call;${resolved.calleeNumber}`)
  vars.set('originate_disposition', 'SUCCESS')
  vars.set('DIALSTATUS', 'SUCCESS')
  vars.push('originate_causes', `${peerUuid};NONE`)
  vars.set('signal_bond', peerUuid)
  record.outcome = 'answered'
  const bridgeIds: EventHeaders = [
    ['Bridge-A-Unique-ID', channel.uuid],
    ['Bridge-B-Unique-ID', peerUuid],
  ]
  context.emit('CHANNEL_BRIDGE', { pre: bridgeIds })

  const callerHangsUp = scripted.hangupBy === 'caller'
  const stillUp = await context.wait(scripted.talkMs ?? 50)
  if (!stillUp || callerHangsUp) {
    if (channel.up) context.hangup('NORMAL_CLEARING')
  }
  const cause = scripted.calleeCause ?? 'NORMAL_CLEARING'
  vars.set('last_bridge_to', peerUuid)
  vars.set('bridge_channel', resolved.channelName)
  vars.set('bridge_uuid', peerUuid)
  vars.set('signal_bond', peerUuid)
  vars.set('last_sent_callee_id_name', 'Outbound Call')
  vars.set('last_sent_callee_id_number', resolved.calleeNumber)
  vars.set('last_bridge_hangup_cause', cause)
  vars.set('bridge_hangup_cause', cause)
  context.emit('CHANNEL_UNBRIDGE', { pre: bridgeIds })
  if (channel.up && /^(true|yes|on|1)$/i.test(vars.get('hangup_after_bridge') ?? '')) context.hangup(cause)
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
