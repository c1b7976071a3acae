/**
 * Why an Event Socket operation did not complete. Operations return these as
 * values (`if (r instanceof EslError)`), they are never thrown.
 */
export type EslErrorCode =
  /** The channel hung up (CHANNEL_HANGUP, or FreeSWITCH's linger notice). */
  | 'hangup'
  /** FreeSWITCH sent its `disconnect` notice: it is closing the socket. */
  | 'disconnected'
  /** The socket closed (or was never usable). */
  | 'closed'
  /** The caller-supplied deadline passed first. */
  | 'deadline'
  /** FreeSWITCH answered the command with `-ERR ...`. */
  | 'rejected'
  /** The argument cannot be sent safely (CR, LF, NUL, or a forbidden character). */
  | 'invalid_argument'
  /** The channel left our control (e.g. `transfer`): the socket application returned. */
  | 'control_lost'
  /** The peer broke the protocol (unframeable bytes, oversized frame, bad connect reply). */
  | 'protocol'
  /** The peer stopped reading and our output queue hit its cap. */
  | 'backpressure'

export class EslError extends Error {
  override readonly name = 'EslError'

  constructor(
    readonly code: EslErrorCode,
    message: string,
  ) {
    super(message)
  }
}
