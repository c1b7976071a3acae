/** What a simulated call reports, and what the simulator shares with each call. */
import type { SwitchIdentity } from './channel.ts'
import type { LingerNotice, ParkDelivery, SwitchDirectory } from './options.ts'

export type Disposition =
  /** Still under the router's control. */
  | 'controlled'
  /** Hung up while the router controlled it. */
  | 'hungup'
  /** The socket application returned with the call up (exit, close, cut off): the dialplan continued. */
  | 'handed-back'
  /** A transfer took the call elsewhere. */
  | 'transferred'
  /** The router never sent `connect`: FreeSWITCH leaves such a channel parked for good. */
  | 'parked'
  /** No router accepted the connection: FreeSWITCH goes on with the next dialplan action. */
  | 'unreachable'

export interface ExecutedApp {
  readonly app: string
  /** The argument after FreeSWITCH's first expansion, as text. */
  readonly arg: string
  readonly eventUuid: string
  /** The channel's variables when the application started (text). */
  readonly variables: ReadonlyMap<string, string>
}

export interface SimCallResult {
  readonly disposition: Disposition
  readonly hangupCause: string | undefined
  readonly answered: boolean
  readonly bridged: boolean
}

/** One address the socket application tried, in order. */
export interface SocketAttempt {
  readonly target: string
  readonly accepted: boolean
}

/** What the simulator shares with each call. */
export interface SimContext {
  readonly identity: SwitchIdentity
  readonly timeScale: number
  readonly host: string
  readonly port: number
  readonly directory: SwitchDirectory
  readonly maxQueuedEvents: number
  /** The race outcomes this call gets when its options do not pin them. */
  readonly park: ParkDelivery
  readonly lingerNotice: LingerNotice
  /** mod_hash's store (process-wide, like FreeSWITCH's). */
  readonly hashes: Map<string, string>
}
