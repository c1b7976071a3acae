/**
 * Frames the byte stream FreeSWITCH sends on an Event Socket: a header block
 * ended by a blank line, then exactly `Content-Length` bytes of body (none when
 * the header is absent or 0). Written for the outbound socket because
 * esl-lite's parser loses frames whose blank line is split across reads, drops
 * zero-length frames and cuts values at a second ": " (see the README).
 *
 * Line handling follows FreeSWITCH's own reader (mod_event_socket
 * `read_packet`): line breaks before a block are skipped, CRs are ignored when
 * looking for the blank line, and a header line ends at its first CR or LF.
 * Each input byte is examined once and copied at most once per frame, so a
 * peer that trickles bytes cannot make the work grow quadratically.
 *
 * Header values are kept as latin1 strings (one char per byte) so nothing is
 * decoded twice or lost; `percent-decode.ts` turns them into text.
 */

export type HeaderList = ReadonlyArray<readonly [name: string, value: string]>

const EMPTY = Buffer.alloc(0)
const LF = 10
const CR = 13

/** One Event Socket frame: ordered headers and a body (which may reference the input chunk). */
export class Frame {
  constructor(
    readonly headers: HeaderList,
    readonly body: Buffer,
    /** The command line, for frames read with `commandLine: true` (what FreeSWITCH reads from a controller). */
    readonly command?: string,
  ) {}

  /** The first header with this name (case-insensitive), raw. */
  header(name: string): string | undefined {
    for (const [key, value] of this.headers) {
      if (key === name) return value
    }
    const lower = name.toLowerCase()
    for (const [key, value] of this.headers) {
      if (key.toLowerCase() === lower) return value
    }
    return undefined
  }

  get contentType(): string | undefined {
    return this.header('Content-Type')
  }
}

export type FrameErrorCode = 'frame_too_large' | 'bad_content_length'

export class FrameError extends Error {
  override readonly name = 'FrameError'

  constructor(
    readonly code: FrameErrorCode,
    message: string,
  ) {
    super(message)
  }
}

export interface FrameParserOptions {
  /** Largest header block plus body accepted, in bytes. */
  readonly maxFrameBytes?: number
  /** The first line of each block is a command (`sendmsg`, `api ...`), not a header. */
  readonly commandLine?: boolean
}

export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024

/** Incremental frame parser: feed it chunks in arrival order, any size, split anywhere. */
export class FrameParser {
  private readonly maxFrameBytes: number
  private readonly commandLine: boolean
  /** Bytes of the frame being read (header block, then body), not yet joined. */
  private chunks: Buffer[] = []
  private bufferedBytes = 0
  // Header block scan state.
  private started = false
  private lfPending = false
  private lastLf = 0
  // Set while reading a body.
  private pending: { headers: HeaderList; command: string | undefined; bodyLength: number } | undefined
  private failure: FrameError | undefined

  constructor(options: FrameParserOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
    this.commandLine = options.commandLine ?? false
  }

  /** Bytes held while waiting for the rest of a frame. */
  get buffered(): number {
    return this.bufferedBytes
  }

  /** Frames completed by this chunk, or the error that makes the stream unframeable (final). */
  push(chunk: Buffer): Frame[] | FrameError {
    if (this.failure) return this.failure
    const frames: Frame[] = []
    let input = chunk
    while (input.length > 0) {
      input = this.pending ? this.readBody(input, frames) : this.readHeaderBlock(input, frames)
      if (this.failure) return this.failure
    }
    return frames
  }

  /** Consumes header bytes; returns the input left over once the block (and maybe its frame) is complete. */
  private readHeaderBlock(input: Buffer, frames: Frame[]): Buffer {
    let start = 0
    if (!this.started) {
      // FreeSWITCH skips stray line breaks before a header block; so do we.
      while (start < input.length && (input[start] === LF || input[start] === CR)) start++
      if (start === input.length) return EMPTY
      this.started = true
    }
    const data = start === 0 ? input : input.subarray(start)
    const end = this.findBlockEnd(data)
    if (end === -1) {
      this.append(data)
      if (this.bufferedBytes > this.maxFrameBytes) {
        this.fail('frame_too_large', `header block exceeds ${this.maxFrameBytes} bytes`)
      }
      return EMPTY
    }
    this.append(data.subarray(0, end))
    const block = this.take()
    const headerEnd = this.lastLf
    this.started = false
    this.lfPending = false
    this.onHeaderBlock(block.toString('latin1', 0, headerEnd), block.length, frames)
    return data.subarray(end)
  }

  /**
   * Finds the blank line, resuming the scan state of earlier chunks: a LF
   * followed (after any CRs) by another LF. Returns the index just past it in
   * `data`, or -1 (remembering the LF position relative to the block).
   */
  private findBlockEnd(data: Buffer): number {
    let i = 0
    if (this.lfPending) {
      while (i < data.length && data[i] === CR) i++
      if (i === data.length) return -1
      if (data[i] === LF) return i + 1
      this.lfPending = false
    }
    for (;;) {
      const lf = data.indexOf(LF, i)
      if (lf === -1) return -1
      this.lastLf = this.bufferedBytes + lf
      let next = lf + 1
      while (next < data.length && data[next] === CR) next++
      if (next === data.length) {
        this.lfPending = true
        return -1
      }
      if (data[next] === LF) return next + 1
      i = next
    }
  }

  private onHeaderBlock(text: string, blockBytes: number, frames: Frame[]): void {
    let headerText = text
    let command: string | undefined
    if (this.commandLine) {
      const lineEnd = text.indexOf('\n')
      command = cutAtCr(lineEnd === -1 ? text : text.slice(0, lineEnd))
      headerText = lineEnd === -1 ? '' : text.slice(lineEnd + 1)
    }
    const headers = parseHeaderLines(headerText)
    const lengthText = headerValue(headers, 'content-length')
    let bodyLength = 0
    if (lengthText !== undefined) {
      const trimmed = lengthText.trim()
      if (!/^\d{1,15}$/.test(trimmed)) {
        this.fail('bad_content_length', `unusable Content-Length ${JSON.stringify(lengthText.slice(0, 40))}`)
        return
      }
      bodyLength = Number(trimmed)
    }
    if (blockBytes + bodyLength > this.maxFrameBytes) {
      this.fail('frame_too_large', `frame of ${blockBytes + bodyLength} bytes exceeds ${this.maxFrameBytes}`)
      return
    }
    if (bodyLength === 0) frames.push(new Frame(headers, EMPTY, command))
    else this.pending = { headers, command, bodyLength }
  }

  private readBody(input: Buffer, frames: Frame[]): Buffer {
    const pending = this.pending
    if (!pending) return input
    const needed = pending.bodyLength - this.bufferedBytes
    if (input.length < needed) {
      this.append(input)
      return EMPTY
    }
    this.append(input.subarray(0, needed))
    frames.push(new Frame(pending.headers, this.take(), pending.command))
    this.pending = undefined
    return input.subarray(needed)
  }

  private append(data: Buffer): void {
    if (data.length === 0) return
    this.chunks.push(data)
    this.bufferedBytes += data.length
  }

  /** Joins and returns the buffered bytes, leaving the buffer empty. */
  private take(): Buffer {
    const joined = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.bufferedBytes)
    this.chunks = []
    this.bufferedBytes = 0
    return joined
  }

  private fail(code: FrameErrorCode, message: string): void {
    this.failure = new FrameError(code, message)
    this.chunks = []
    this.bufferedBytes = 0
    this.pending = undefined
  }
}

function cutAtCr(line: string): string {
  const cr = line.indexOf('\r')
  return cr === -1 ? line : line.slice(0, cr)
}

/** `Name: value` lines; the value is everything after the first colon and its spaces, up to a CR. */
function parseHeaderLines(block: string): Array<readonly [string, string]> {
  const headers: Array<readonly [string, string]> = []
  if (block === '') return headers
  for (const rawLine of block.split('\n')) {
    const line = cutAtCr(rawLine)
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    let valueStart = colon + 1
    while (line.charCodeAt(valueStart) === 32) valueStart++
    headers.push([line.slice(0, colon), line.slice(valueStart)])
  }
  return headers
}

function headerValue(headers: HeaderList, lowerName: string): string | undefined {
  for (const [name, value] of headers) {
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) return value
  }
  return undefined
}
