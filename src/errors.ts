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
  readonly code: EslErrorCode

  constructor(code: EslErrorCode, message: string) {
    // A value, not an exception: capturing a stack trace would cost more than the whole operation.
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    super(message)
    Error.stackTraceLimit = limit
    this.code = code
  }
}
EslError.prototype.name = 'EslError'
