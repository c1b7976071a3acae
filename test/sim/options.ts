/** What a test can script about one simulated call. */
import type { VariableValue } from './variable-store.ts'

/** One digit collection (one `play_and_get_digits` try): keys pressed, or silence until the timeout. */
export type DtmfInput =
  | string
  | { readonly digits: string; readonly afterMs?: number; readonly source?: string }
  | { readonly timeout: true }

/** What happens to one leg a bridge dials (each leg of a dial string takes the next outcome). */
export type BridgeOutcome =
  | {
      readonly answer: true
      /** How long the conversation lasts before someone hangs up (simulated ms). */
      readonly talkMs?: number
      readonly hangupBy?: 'callee' | 'caller'
      readonly calleeCause?: string
    }
  | {
      /** The originate failure cause: USER_BUSY, NO_ANSWER, NO_ROUTE_DESTINATION, USER_NOT_REGISTERED... */
      readonly fail: string
      /** Simulated ms before the failure (ring time for NO_ANSWER). */
      readonly afterMs?: number
    }

/** When the caller (or the network) hangs the channel up on its own. */
export interface HangupTrigger {
  /** `execute`: when the nth execution of `app` starts; `connect`: once connected; `command`: when the nth sendmsg arrives. */
  readonly on: 'execute' | 'connect' | 'command'
  readonly app?: string
  readonly nth?: number
  readonly afterMs?: number
  readonly cause?: string
}

export interface SimFaults {
  /** Split every frame FreeSWITCH sends: single bytes, at line breaks (incl. between the two newlines), or random cuts. */
  readonly split?: 'none' | 'bytes' | 'lines' | 'random'
  /** After this many frames sent, write half of the next one and reset the connection. */
  readonly resetAfterFrames?: number
  /** Stop reading the router's commands for this long (simulated ms) once `connect` is answered. */
  readonly slowReaderMs?: number
  /**
   * After the connect reply, hold back every frame (replies, events) until the
   * router sends an `execute` of this application: proves the router sent it
   * without waiting for any earlier reply (round-trip counting).
   */
  readonly withholdUntilExecute?: string
  /**
   * With withholdUntilExecute: when the router sends nothing for this long (real ms)
   * while frames are held, release them and count one blocking round trip
   * (SimCall.blockingRounds). Counts round trips for controllers that do wait.
   */
  readonly stallReleaseMs?: number
}

/** `afterReplies: n`: once n replies have followed the connect reply (as recorded); `none`: lost in the race. */
export type ParkDelivery = 'none' | 'after-myevents' | { readonly afterReplies: number }

/**
 * Where the linger notice lands, as recorded: after CHANNEL_HANGUP_COMPLETE (`last`),
 * right after or right before CHANNEL_HANGUP, or ahead of the last n events fired
 * before the hang-up (the listener sees the channel go down before the event
 * dispatcher has delivered them: 09b, 09c).
 */
export type LingerNotice = 'last' | 'after-hangup' | 'before-hangup' | { readonly overtakes: number }

export interface SimCallOptions {
  readonly uuid?: string
  readonly callerIdName?: string
  /** Raw bytes for the caller's display name (e.g. not UTF-8); overrides `callerIdName`. */
  readonly callerIdNameBytes?: Buffer
  readonly callerIdNumber?: string
  readonly destinationNumber?: string
  readonly context?: string
  readonly channelName?: string
  /** Channel variables set before the socket application, e.g. `{ webhook: 'crm' }`. */
  readonly variables?: Readonly<Record<string, string>> | ReadonlyArray<readonly [string, VariableValue]>
  /** Full caller profile (field, value), as recorded; replaces the generated one. */
  readonly profile?: ReadonlyArray<readonly [string, string]>
  readonly socketArgument?: string
  /**
   * `host:port` addresses the socket application tries, in order, at connect time
   * (`host1:port|host2:port`); default: the simulator's host and port. When none
   * accepts, the dialplan goes on with `afterSocket`.
   */
  readonly socketTargets?: readonly string[]
  /** Without `full`, linger/api/event are refused. */
  readonly control?: 'full' | 'single-channel'
  /** What the caller keys, one entry per digit collection (play_and_get_digits try). */
  readonly dtmf?: readonly DtmfInput[]
  /**
   * How each leg a bridge dials fares, in dialling order over the whole call (every leg of a
   * dial string takes the next one; legs that fail before ringing, like an unknown gateway,
   * take none). Default: answered.
   */
  readonly bridge?: readonly BridgeOutcome[]
  readonly hangups?: readonly HangupTrigger[]
  /** Where the linger notice lands relative to the hang-up events (FreeSWITCH varies; default: varies by call). */
  readonly lingerNotice?: LingerNotice
  /** Without linger, drop the queued events when the channel goes down (seen in 06d-repeat3). */
  readonly dropEventsWithoutLinger?: boolean
  /**
   * CHANNEL_PARK from the socket application races with `myevents`: when it reaches
   * the controller, if at all (default: right after the myevents reply). A list gives
   * one setting per connection (a transfer back into the socket extension opens another).
   */
  readonly parkEvent?: ParkDelivery | readonly ParkDelivery[]
  /** Extensions the call can be transferred to, run app by app. */
  readonly dialplan?: Readonly<Record<string, ReadonlyArray<readonly [string, string]>>>
  /** Dialplan actions after the socket application (what a hand-back leads to). */
  readonly afterSocket?: ReadonlyArray<readonly [string, string]>
  /** Simulated durations of sound files by name (default 500 ms). */
  readonly fileDurations?: Readonly<Record<string, number>>
  readonly faults?: SimFaults
  /** Real ms FreeSWITCH waits for the first command before giving up on the controller (25 s). */
  readonly firstCommandTimeoutMs?: number
}

/** A directory user: registered (reached as sofia/internal/<user>@<domain>), not, or with its own dial-string. */
export type UserEntry = 'registered' | 'unregistered' | { readonly dialString: string }

/** What the simulated switch is configured with: bridges to anything else fail as FreeSWITCH fails them. */
export interface SwitchDirectory {
  /** sofia gateways by name; `down` ones fail with GATEWAY_DOWN, unknown ones with INVALID_GATEWAY. */
  readonly gateways?: Readonly<Record<string, 'up' | 'down'>>
  /** sofia profiles (`sofia/<profile>/...`); others fail with INVALID_PROFILE. */
  readonly profiles?: readonly string[]
  /**
   * Directory users as `user@domain` (`user/1001@example.com`, `sofia/internal/1001%example.com`):
   * unknown ones fail with SUBSCRIBER_ABSENT (user/) or USER_NOT_REGISTERED (sofia/),
   * known but unregistered ones with USER_NOT_REGISTERED.
   */
  readonly users?: Readonly<Record<string, UserEntry>>
}

export interface SimulatorOptions extends SwitchDirectory {
  /** The router's outbound socket address. */
  readonly host: string
  readonly port: number
  /** Every simulated duration is multiplied by this (0.01 turns a 5 s timeout into 50 ms). */
  readonly timeScale?: number
  readonly hostname?: string
  /**
   * Races FreeSWITCH does not settle the same way twice (whether CHANNEL_PARK arrives,
   * where the linger notice lands): `vary` (default) cycles through the recorded
   * outcomes call by call, in the order calls are placed; `fixed` always gives the
   * kindest (PARK after myevents, notice last). A call's own options win.
   */
  readonly races?: 'vary' | 'fixed'
  /** Events one listener queues for a controller that does not read before it starts losing them (FreeSWITCH: 100,000). */
  readonly maxQueuedEvents?: number
}

/** The stock FreeSWITCH profiles plus the kit's `carrier` profile and its gateway `default` (freeswitch-conf). */
export const DEFAULT_DIRECTORY: Required<SwitchDirectory> = {
  gateways: { default: 'up' },
  profiles: ['internal', 'external', 'carrier'],
  users: {},
}
