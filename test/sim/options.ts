/** What a test can script about one simulated call. */
import type { VariableValue } from './variable-store.ts'

/** One digit collection (one `play_and_get_digits` try): keys pressed, or silence until the timeout. */
export type DtmfInput =
  | string
  | { readonly digits: string; readonly afterMs?: number; readonly source?: string }
  | { readonly timeout: true }

/** What happens to one bridge attempt. */
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
  /** Without `full`, linger/api/event are refused. */
  readonly control?: 'full' | 'single-channel'
  readonly dtmf?: readonly DtmfInput[]
  readonly bridge?: readonly BridgeOutcome[]
  readonly hangups?: readonly HangupTrigger[]
  /** Where the linger notice lands relative to the hang-up events (FreeSWITCH varies). */
  readonly lingerNotice?: 'last' | 'after-hangup' | 'before-hangup'
  /** Without linger, drop the queued events when the channel goes down (seen in 06d-repeat3). */
  readonly dropEventsWithoutLinger?: boolean
  /** CHANNEL_PARK from the socket app is racy: when it reaches the controller, if at all. */
  readonly parkEvent?: 'none' | 'after-myevents'
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

export interface SimulatorOptions {
  /** The router's outbound socket address. */
  readonly host: string
  readonly port: number
  /** Every simulated duration is multiplied by this (0.01 turns a 5 s timeout into 50 ms). */
  readonly timeScale?: number
  readonly hostname?: string
}
