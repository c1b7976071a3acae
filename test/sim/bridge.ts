/**
 * The `bridge` application: dials every leg of the dial string as
 * FreeSWITCH's originate does (`,` legs ring together, the first to answer
 * wins; `|` groups are tried one after another), records what each leg
 * carried, and sets the caller's variables and events as recorded (04a, 04b,
 * 05a-05c, J4-J6, K1, K3).
 */
import type { AppContext } from './apps.ts'
import { newUuid, type EventHeaders, type Profile, type SimChannel } from './channel.ts'
import { parseDialString, type DialLeg, type DialString } from './dial-string.ts'
import { resolveEndpoint, type Target } from './endpoints.ts'
import { Q850, text } from './fs-strings.ts'
import { sipPeerMedia } from './sip-media.ts'
import type { BridgeOutcome } from './options.ts'

/** What the callee's leg carried: caller-ID name/number and privacy (text). */
export interface CalleeView {
  readonly callerIdName: string
  readonly callerIdNumber: string
  readonly hideName: boolean
  readonly hideNumber: boolean
  readonly cidType: string | undefined
}

/** One leg FreeSWITCH dialled (or failed to) for a bridge. */
export interface DialedLeg {
  readonly endpoint: string
  /** The leg's variables from the dial string: `{}` then `[]` (text). */
  readonly variables: ReadonlyMap<string, string>
  readonly callee: CalleeView
  /** `answered`, the leg's failure cause, or LOSE_RACE (another leg answered first). */
  outcome: string
}

export interface BridgeRecord {
  /** The dial string as FreeSWITCH received it (after the first expansion). */
  readonly dialString: string
  readonly parsed: DialString
  /** The caller's channel variables when the bridge started (byte strings). */
  readonly variables: ReadonlyMap<string, string | readonly string[]>
  /** What the first leg carried (every leg: `legs`). */
  readonly callee: CalleeView
  /** Every leg dialled, in order, including the ones of later `|` groups. */
  readonly legs: DialedLeg[]
  outcome: 'answered' | string
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

function hidesFlags(privacyValue: string | undefined): { name: boolean; number: boolean } {
  const flags = (privacyValue ?? '').toLowerCase().split(/[+:,|]/)
  return { name: flags.includes('hide_name'), number: flags.includes('hide_number') }
}

/** A leg ready to dial: its variables, what it reaches, its scripted outcome. */
interface Plan {
  readonly view: DialedLeg
  /** The dial string's variables for this leg, as byte strings. */
  readonly variables: ReadonlyMap<string, string>
  readonly legVar: (name: string) => string | undefined
  readonly callee: { callerIdName: string; callerIdNumber: string; hideName: boolean; hideNumber: boolean }
  readonly target: Target | undefined
  readonly failCause: string | undefined
  readonly scripted: BridgeOutcome
  readonly uuid: string
  /** Reached through a directory user's dial-string (user/<id>@<domain>): a nested originate. */
  readonly viaUser: { readonly user: string; readonly domain: string } | undefined
}

function plan(
  context: AppContext,
  dial: DialString,
  leg: DialLeg,
  inherited: ReadonlyMap<string, string>,
  depth: number,
  viaUser?: Plan['viaUser'],
): Plan[] {
  const channel = context.channel
  const vars = channel.vars
  const variables = new Map([...inherited, ...dial.global, ...leg.variables])
  const resolved = resolveEndpoint(leg.endpoint, context.directory)
  if (resolved.kind === 'dial-string' && depth < 4) {
    // user/<id>@<domain>: the directory's dial-string is dialled in its place, with this leg's variables.
    const inner = parseDialString(resolved.dialString)
    const [user = '', domain = ''] = leg.endpoint.slice('user/'.length).split('@')
    return (inner.groups[0] ?? []).flatMap((innerLeg) => plan(context, inner, innerLeg, variables, depth + 1, { user, domain }))
  }
  // origination_* only count in the dial string; the caller's own copies (from its originate) do not.
  const dialVar = (name: string): string | undefined => variables.get(name)
  const legVar = (name: string): string | undefined => dialVar(name) ?? vars.get(name)
  const privacy = hidesFlags(dialVar('origination_privacy'))
  const callee = {
    callerIdName: dialVar('origination_caller_id_name') ?? vars.get('effective_caller_id_name') ?? channel.profileValue('Caller-ID-Name'),
    callerIdNumber: dialVar('origination_caller_id_number') ?? vars.get('effective_caller_id_number') ?? channel.profileValue('Caller-ID-Number'),
    hideName: channel.privacyHideName || privacy.name,
    hideNumber: channel.privacyHideNumber || privacy.number,
  }
  const view: DialedLeg = {
    endpoint: leg.endpoint,
    variables: new Map([...variables].map(([name, value]) => [text(name), text(value)])),
    callee: { ...callee, callerIdName: text(callee.callerIdName), callerIdNumber: text(callee.callerIdNumber), cidType: legVar('sip_cid_type') },
    outcome: 'pending',
  }
  const target = resolved.kind === 'channel' ? resolved.target : undefined
  const failCause = resolved.kind === 'fail' ? resolved.cause : resolved.kind === 'dial-string' ? 'INVALID_URL' : undefined
  // Only a leg that creates a channel takes a scripted outcome; the others fail by themselves.
  const scripted: BridgeOutcome = target ? (context.nextBridgeOutcome() ?? { answer: true }) : { fail: failCause ?? 'DESTINATION_OUT_OF_ORDER' }
  return [{ view, variables, legVar, callee, target, failCause, scripted, uuid: newUuid(), viaUser }]
}

/** A leg's channel variables: what the caller exported (export_vars), then the dial string's. */
function calleeVariables(callerVars: SimChannel['vars'], leg: Plan): Array<readonly [string, string]> {
  const exported = (callerVars.get('export_vars') ?? '').split(',').filter((name) => name !== '')
  const inherited = exported.flatMap((name): Array<readonly [string, string]> => {
    const value = callerVars.get(name)
    return value === undefined ? [] : [[name, value]]
  })
  return [...inherited, ...leg.variables]
}

/**
 * The caller's profile shows who answered (or rang): the callee's number; over SIP also as the
 * name, the fields added in FreeSWITCH's profile order if the caller's SIP profile had none (J5).
 */
function showCallee(channel: SimChannel, target: Target): void {
  if (target.source === 'mod_sofia') channel.setProfileValue('Callee-ID-Name', target.calleeNumber, 'Orig-Caller-ID-Number')
  channel.setProfileValue('Callee-ID-Number', target.calleeNumber, 'Callee-ID-Name')
}

/**
 * The answering leg's caller profile, shown as Other-Leg-*. A loopback leg is a new
 * inbound channel of its own (04a); a sofia leg clones the caller's profile, so it keeps
 * the caller's SIP fields, dialplan and context (J5).
 */
function peerProfile(channel: SimChannel, target: Target, winner: Plan, now: number): Profile {
  const sofia = target.source === 'mod_sofia'
  const caller = (field: string): Profile => {
    const value = channel.profile.find(([name]) => name === field)?.[1]
    return value === undefined ? [] : [[field, value]]
  }
  return [
    ['Direction', 'outbound'],
    ['Logical-Direction', sofia ? channel.profileValue('Logical-Direction') || 'inbound' : target.logicalDirection],
    ...(sofia ? caller('Username') : []),
    ['Dialplan', sofia ? channel.profileValue('Dialplan') || 'XML' : 'xml'],
    ['Caller-ID-Name', winner.callee.callerIdName],
    ['Caller-ID-Number', winner.callee.callerIdNumber],
    ['Orig-Caller-ID-Name', channel.profileValue('Caller-ID-Name')],
    ['Orig-Caller-ID-Number', channel.profileValue('Caller-ID-Number')],
    ['Callee-ID-Name', sofia ? target.calleeNumber : 'Outbound Call'],
    ['Callee-ID-Number', target.calleeNumber],
    ...(sofia ? caller('Network-Addr') : []),
    ['ANI', channel.profileValue('ANI')],
    ['Destination-Number', target.destination],
    ['Unique-ID', winner.uuid],
    ['Source', target.source],
    ['Context', sofia ? channel.profileValue('Context') : target.context],
    ['Channel-Name', target.channelName],
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
    ['Privacy-Hide-Name', String(winner.callee.hideName)],
    ['Privacy-Hide-Number', String(winner.callee.hideNumber)],
  ]
}

/** Simulated ms until a leg's outcome: ring time, or the originate timeout for NO_ANSWER. */
function ringTime(leg: Plan): number {
  if (!leg.target) return 0
  if ('answer' in leg.scripted) return 20
  const timeoutSeconds = Number.parseInt(leg.legVar('originate_timeout') ?? leg.legVar('leg_timeout') ?? '', 10)
  return leg.scripted.afterMs ?? (leg.scripted.fail === 'NO_ANSWER' && timeoutSeconds > 0 ? timeoutSeconds * 1000 - 700 : 20)
}

export async function bridge(context: AppContext, arg: string): Promise<void> {
  const channel = context.channel
  const vars = channel.vars
  // originate's defaults until it knows better; visible only in events fired while it dials (K1).
  vars.set('originate_disposition', 'failure')
  vars.set('DIALSTATUS', 'INVALIDARGS')
  const dial = parseDialString(arg)
  const groups = dial.groups.map((group) => group.flatMap((leg) => plan(context, dial, leg, new Map(), 0)))
  const first = groups[0]?.[0]
  const record: BridgeRecord = {
    dialString: arg,
    parsed: dial,
    variables: vars.snapshot(),
    callee: first?.view.callee ?? { callerIdName: '', callerIdNumber: '', hideName: false, hideNumber: false, cidType: undefined },
    legs: [],
    outcome: 'pending',
  }
  context.recordBridge(record)

  const created: Plan[] = []
  let cause = 'DESTINATION_OUT_OF_ORDER'
  for (const group of groups) {
    if (!channel.up) return
    record.legs.push(...group.map((leg) => leg.view))
    const ringing = group.filter((leg) => leg.target !== undefined)
    for (const leg of ringing) context.runHooks(calleeVariables(vars, leg), 'pre_originate', 'callee')
    // A caller not answered yet hears the callee's early media.
    if (ringing.length > 0 && channel.answerState === 'ringing' && ringing.some((leg) => 'answer' in leg.scripted)) await context.preAnswerCaller()
    const winner = ringing.find((leg) => 'answer' in leg.scripted)
    if (winner) {
      for (const leg of group) leg.view.outcome = leg === winner ? 'answered' : 'fail' in leg.scripted ? leg.scripted.fail : 'LOSE_RACE'
      return connect(context, record, winner)
    }
    await context.wait(Math.max(0, ...group.map(ringTime)))
    if (!channel.up) return
    for (const leg of group) leg.view.outcome = 'fail' in leg.scripted ? leg.scripted.fail : 'LOSE_RACE'
    // The group's cause: its first leg that made a channel, else its first leg.
    const decisive = ringing[0] ?? group[0]
    cause = decisive && 'fail' in decisive.scripted ? decisive.scripted.fail : cause
    const rang = ringing.filter((leg) => 'fail' in leg.scripted && (leg.scripted.fail === 'NO_ANSWER' || leg.scripted.fail === 'ALLOTTED_TIMEOUT'))
    if (rang[0]?.target) {
      showCallee(channel, rang[0].target)
      channel.times.progress = channel.identity.now()
    }
    for (const leg of ringing) {
      vars.set('originate_signal_bond', leg.uuid)
      vars.push('originated_legs', `${leg.uuid};Outbound Call;${leg.target?.calleeNumber ?? 'default'}`)
      vars.set('last_bridge_hangup_cause', 'fail' in leg.scripted ? leg.scripted.fail : cause)
      created.push(leg)
    }
  }
  vars.set('originate_disposition', cause)
  vars.set('DIALSTATUS', DIALSTATUS[cause] ?? cause)
  for (const leg of created) vars.push('originate_causes', `${leg.uuid};${'fail' in leg.scripted ? leg.scripted.fail : cause}`)
  vars.set('originate_failed_cause', cause)
  record.outcome = cause
  if (!shouldContinue(channel, cause)) context.hangup(cause)
}

/** The winning leg answered: the two legs are bridged until one hangs up. */
async function connect(context: AppContext, record: BridgeRecord, winner: Plan): Promise<void> {
  const channel = context.channel
  const vars = channel.vars
  const target = winner.target as Target
  const scripted = winner.scripted as Extract<BridgeOutcome, { answer: true }>
  await context.wait(20)
  if (!channel.up) return
  for (const moment of ['media', 'answer', 'originate', 'post_originate'] as const) context.runHooks(calleeVariables(vars, winner), moment, 'callee')
  const legEntry = `${winner.uuid};Outbound Call;${target.calleeNumber}`
  const answeredFirst = channel.answerState !== 'answered'
  if (answeredFirst) {
    // The callee answered an unanswered caller: the caller is answered as part of the originate (K1).
    vars.set('originate_signal_bond', winner.uuid)
    vars.push('originated_legs', legEntry)
    showCallee(channel, target)
    await context.answerCaller()
    vars.delete('originate_signal_bond')
  }
  const now = channel.identity.now()
  const peer = peerProfile(channel, target, winner, now)
  showCallee(channel, target)
  channel.times.bridged = now
  channel.otherLeg = peer
  if (winner.viaUser) {
    // mod_dptools' user endpoint originates the directory's dial-string itself, then the bridge records it again (04b).
    vars.set('dialed_user', winner.viaUser.user)
    vars.set('dialed_domain', winner.viaUser.domain)
    vars.push('originated_legs', legEntry)
    vars.push('originate_causes', `${winner.uuid};NONE`)
  }
  if (!answeredFirst) vars.push('originated_legs', legEntry)
  if (target.source === 'mod_sofia') sipPeerMedia(channel)
  vars.set('originate_disposition', 'SUCCESS')
  vars.set('DIALSTATUS', 'SUCCESS')
  vars.push('originate_causes', `${winner.uuid};NONE`)
  vars.set('signal_bond', winner.uuid)
  record.outcome = 'answered'
  const bridgeIds: EventHeaders = [
    ['Bridge-A-Unique-ID', channel.uuid],
    ['Bridge-B-Unique-ID', winner.uuid],
  ]
  context.runHooks(vars.list(), 'pre_bridge', 'caller')
  context.emit('CHANNEL_BRIDGE', { pre: bridgeIds })

  const callerHangsUp = scripted.hangupBy === 'caller'
  const stillUp = await context.wait(scripted.talkMs ?? 50)
  if (!stillUp || callerHangsUp) {
    if (channel.up) context.hangup('NORMAL_CLEARING')
  }
  const cause = scripted.calleeCause ?? 'NORMAL_CLEARING'
  vars.set('last_bridge_to', winner.uuid)
  vars.set('bridge_channel', target.channelName)
  vars.set('bridge_uuid', winner.uuid)
  vars.set('signal_bond', winner.uuid)
  const sofia = target.source === 'mod_sofia'
  vars.set('last_sent_callee_id_name', sofia ? target.calleeNumber : 'Outbound Call')
  vars.set('last_sent_callee_id_number', target.calleeNumber)
  // A sofia callee's BYE: its Reason header and the response to it (J5).
  if (sofia) {
    vars.set('sip_reason', `Q.850;cause=${Q850[cause] ?? 16};text="${cause}"`)
    vars.set('sip_hangup_phrase', 'OK')
  }
  vars.set('last_bridge_hangup_cause', cause)
  if (sofia) vars.set('last_bridge_proto_specific_hangup_cause', 'sip:200')
  vars.set('bridge_hangup_cause', cause)
  context.emit('CHANNEL_UNBRIDGE', { pre: bridgeIds })
  context.runHooks(vars.list(), 'post_bridge', 'caller')
  context.runHooks(vars.list(), 'after_bridge', 'caller')
  if (channel.up && /^(true|yes|on|1)$/i.test(vars.get('hangup_after_bridge') ?? '')) context.hangup(cause)
}
