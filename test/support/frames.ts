/** Frames from text, for tests of what the Event Socket layer makes of them. */
import assert from 'node:assert/strict'
import { Frame, FrameParser } from '../../src/esl/frame-parser.ts'

/** The first frame of `text` (UTF-8), failing the test if it does not parse into one. */
export function frameOf(text: string): Frame {
  const frames = new FrameParser().push(Buffer.from(text, 'utf8'))
  assert.ok(!(frames instanceof Error), 'the frame parses')
  const [first] = frames
  assert.ok(first, 'one frame')
  return first
}
