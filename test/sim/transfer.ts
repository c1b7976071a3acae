/**
 * Transfers as FreeSWITCH records them on the channel (08a-08e): the caller
 * profile changes when the transfer application runs; once the current
 * application returns the channel routes again (CS_ROUTING, then CS_EXECUTE)
 * into the new extension: an XML one, an inline app list, or xferext's.
 */
import { newUuid, type EventHeaders, type SimChannel } from './channel.ts'
import type { Action } from './messages.ts'

export interface Transfer {
  readonly destination: string
  /** The new extension's actions when the transfer carries them (inline, xferext). */
  readonly actions: readonly Action[] | undefined
  /** The inline dialplan puts the destination back (its RDNIS) as it hunts (08b). */
  readonly inline?: boolean
}

/** The transfer application: the caller profile and transfer variables change now. */
export function transferProfile(channel: SimChannel, destination: string, dialplan: string, context: string): Transfer {
  const now = channel.identity.now()
  const source = `${Math.floor(now / 1e6)}:${newUuid()}:bl_xfer:${destination}/${context}/${dialplan}`
  const previous = channel.profileValue('Destination-Number')
  channel.setProfileValue('Dialplan', dialplan)
  channel.setProfileValue('Destination-Number', destination)
  channel.setProfileValue('Transfer-Source', source, 'Source')
  channel.setProfileValue('Context', context)
  channel.setProfileValue('RDNIS', previous, 'Context')
  channel.setProfileValue('Profile-Index', String(Number(channel.profileValue('Profile-Index') || '1') + 1))
  channel.times.profileCreated = now
  channel.stateNumber = 2
  if (!channel.vars.has('max_forwards')) channel.vars.set('max_forwards', '70')
  channel.vars.push('transfer_history', source)
  channel.vars.set('transfer_source', source)
  if (dialplan.toLowerCase() !== 'inline') return { destination, actions: undefined }
  // `app:arg,app:arg`: commas separate the applications, the first colon the argument.
  const actions = destination.split(',').map((item): Action => {
    const colon = item.indexOf(':')
    return colon === -1 ? [item, ''] : [item.slice(0, colon), item.slice(colon + 1)]
  })
  return { destination, actions, inline: true }
}

/** xferext: an ad-hoc extension; no events for the xferext itself (08c). */
export function xferext(channel: SimChannel, actions: readonly Action[]): Transfer {
  channel.stateNumber = 2
  return { destination: '', actions }
}

/**
 * The channel routes into the transfer's extension: its actions, or undefined
 * when no extension matches (`extensions` is the XML dialplan).
 */
export function route(
  channel: SimChannel,
  emit: (eventName: string, options?: { pre?: EventHeaders; post?: EventHeaders }) => void,
  transfer: Transfer,
  extensions: Readonly<Record<string, ReadonlyArray<readonly [string, string]>>> | undefined,
  destinationText: string,
): readonly Action[] | undefined {
  channel.state = 'CS_ROUTING'
  channel.callState = 'RINGING'
  emit('CHANNEL_STATE')
  if (transfer.inline) {
    channel.setProfileValue('Destination-Number', channel.profileValue('RDNIS'))
    channel.removeProfileValue('RDNIS')
  } else if (transfer.destination !== '') {
    channel.vars.set('DP_MATCH', [transfer.destination, transfer.destination])
  }
  channel.vars.set('call_uuid', channel.uuid)
  channel.state = 'CS_EXECUTE'
  channel.callState = channel.answerState === 'answered' ? 'ACTIVE' : 'RINGING'
  channel.stateNumber = 4
  emit('CHANNEL_STATE')
  return transfer.actions ?? extensions?.[destinationText]
}
