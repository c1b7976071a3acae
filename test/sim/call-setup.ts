/**
 * The channel a simulated call starts with, as the socket application finds
 * it: a generated SIP caller (sofia/external/<number>@192.0.2.10), or a
 * profile and variables copied from a recording.
 */
import { SimChannel, type SwitchIdentity } from './channel.ts'
import { bytes, text } from './fs-strings.ts'
import type { SimCallOptions } from './options.ts'
import type { VariableValue } from './variable-store.ts'

export function initialChannel(identity: SwitchIdentity, uuid: string, options: SimCallOptions, socketArgument: string): SimChannel {
  const callerNumber = bytes(options.callerIdNumber ?? '5551230001')
  const callerName = options.callerIdNameBytes ? options.callerIdNameBytes.toString('latin1') : bytes(options.callerIdName ?? 'Test Caller')
  const destination = bytes(options.destinationNumber ?? '31201234567')
  const context = options.context ?? 'public'
  const name = options.channelName ?? `sofia/external/${text(callerNumber)}@192.0.2.10`
  const profile: Array<[string, string]> = options.profile
    ? options.profile.map(([field, value]) => [field, field === 'Unique-ID' ? uuid : value])
    : [
        ['Direction', 'inbound'],
        ['Logical-Direction', 'inbound'],
        ['Dialplan', 'XML'],
        ['Caller-ID-Name', callerName],
        ['Caller-ID-Number', callerNumber],
        ['Orig-Caller-ID-Name', callerName],
        ['Orig-Caller-ID-Number', callerNumber],
        ['Callee-ID-Name', 'Outbound Call'],
        ['Callee-ID-Number', destination],
        ['ANI', callerNumber],
        ['Destination-Number', destination],
        ['Unique-ID', uuid],
        ['Source', 'mod_sofia'],
        ['Context', context],
        ['Channel-Name', name],
        ['Profile-Index', '1'],
        ['Profile-Created-Time', ''],
        ['Channel-Created-Time', ''],
        ['Channel-Answered-Time', ''],
        ['Channel-Progress-Time', ''],
        ['Channel-Progress-Media-Time', ''],
        ['Channel-Hangup-Time', ''],
        ['Channel-Transfer-Time', ''],
        ['Channel-Resurrect-Time', '0'],
        ['Channel-Bridged-Time', ''],
        ['Channel-Last-Hold', '0'],
        ['Channel-Hold-Accum', '0'],
        ['Screen-Bit', 'true'],
        ['Privacy-Hide-Name', ''],
        ['Privacy-Hide-Number', ''],
      ]
  const given = options.variables
  const extra: Array<readonly [string, VariableValue]> = given === undefined ? [] : Array.isArray(given) ? [...given] : Object.entries(given).map(([key, value]) => [key, bytes(value)] as const)
  const variables: Array<readonly [string, VariableValue]> = options.profile
    ? extra.map(([key, value]) => [key, key === 'uuid' || key === 'call_uuid' || key === 'channel_name' ? (key === 'channel_name' ? name : uuid) : value])
    : [
        ['direction', 'inbound'],
        ['uuid', uuid],
        ['session_id', '1'],
        ['sip_from_user', callerNumber],
        ['sip_to_user', destination],
        ['channel_name', name],
        ['call_uuid', uuid],
        ...extra,
        ['current_application_data', socketArgument],
        ['current_application', 'socket'],
        ['socket_host', socketArgument.split(':')[0] ?? '127.0.0.1'],
      ]
  return new SimChannel(identity, uuid, name, profile, variables, identity.now())
}
