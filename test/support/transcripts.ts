/**
 * Reads the raw Event Socket recordings in test/fixtures/transcripts (copied
 * from a real FreeSWITCH 1.11): every message is written verbatim between
 * `===== <time> (+<rel>s) <conn> <dir> <n> bytes =====` and `===== end`.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Frame, FrameParser } from '../../src/esl/frame-parser.ts'

export const TRANSCRIPT_DIR = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'transcripts')

export interface RecordedMessage {
  /** Seconds since the recording started. */
  readonly at: number
  /** `IN` (inbound control socket) or `OUT#n` (an outbound socket connection). */
  readonly connection: string
  readonly direction: 'FS->CTRL' | 'CTRL->FS'
  readonly bytes: Buffer
}

const MARKER = /^===== \S+ \(\+\s*([\d.]+)s\) (\S+) (FS->CTRL|CTRL->FS) (\d+) bytes =====\n/gm
const END = Buffer.from('\n===== end\n')

export function transcriptNames(): string[] {
  return readdirSync(TRANSCRIPT_DIR)
    .filter((name) => name.endsWith('.raw.log'))
    .map((name) => name.slice(0, -'.raw.log'.length))
    .sort()
}

export function readTranscript(name: string): RecordedMessage[] {
  const data = readFileSync(join(TRANSCRIPT_DIR, `${name}.raw.log`))
  const text = data.toString('latin1')
  const messages: RecordedMessage[] = []
  MARKER.lastIndex = 0
  for (;;) {
    const match = MARKER.exec(text)
    if (!match) break
    const length = Number(match[4])
    const start = match.index + match[0].length
    const bytes = data.subarray(start, start + length)
    if (!data.subarray(start + length, start + length + END.length).equals(END)) {
      throw new Error(`${name}: message at offset ${match.index} is not followed by its end marker`)
    }
    messages.push({
      at: Number(match[1]),
      connection: match[2] as string,
      direction: match[3] as RecordedMessage['direction'],
      bytes: Buffer.from(bytes),
    })
    MARKER.lastIndex = start + length + END.length
  }
  return messages
}

/** Every byte FreeSWITCH sent on one outbound connection, in order. */
export function recordedStream(name: string, connection = 'OUT#1', direction: RecordedMessage['direction'] = 'FS->CTRL'): Buffer {
  return Buffer.concat(
    readTranscript(name)
      .filter((message) => message.connection === connection && message.direction === direction)
      .map((message) => message.bytes),
  )
}

/** The frames of one direction of one connection, parsed whole. */
export function recordedFrames(name: string, connection = 'OUT#1', direction: RecordedMessage['direction'] = 'FS->CTRL'): Frame[] {
  const frames = new FrameParser({ maxFrameBytes: 16 * 1024 * 1024 }).push(recordedStream(name, connection, direction))
  if (frames instanceof Error) throw frames
  return frames
}
