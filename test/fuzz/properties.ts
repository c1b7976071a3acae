/**
 * Property checks and fuzzing shared by the unit tests (a fixed budget in
 * `npm test`) and `npm run chaos` (a longer one): the outbound-socket frame
 * parser and the webhook answer parser must never throw, never hang and never
 * misframe (or misread) what they are given.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Frame, FrameError, FrameParser } from '../../src/esl/frame-parser.ts'
import { parseWebhookResponse, ResponseError } from '../../src/webhook/response.ts'
import { recordedStream } from '../support/transcripts.ts'

/** How long a property runs: a number of runs, optionally cut by a time limit. */
export interface Budget {
  readonly numRuns: number
  readonly timeLimitMs?: number
}

const parameters = (budget: Budget): fc.Parameters<unknown> => ({
  numRuns: budget.numRuns,
  ...(budget.timeLimitMs === undefined ? {} : { interruptAfterTimeLimit: budget.timeLimitMs, markInterruptAsFailure: false }),
})

export interface PlainFrame {
  headers: Array<[string, string]>
  body: string
  command?: string | undefined
}

export function plain(frame: Frame): PlainFrame {
  return {
    headers: frame.headers.map(([name, value]) => [name, value]),
    body: frame.body.toString('latin1'),
    command: frame.command,
  }
}

export function parseChunks(chunks: Buffer[], options: { commandLine?: boolean; maxFrameBytes?: number } = {}): PlainFrame[] {
  const parser = new FrameParser(options)
  const frames: PlainFrame[] = []
  for (const chunk of chunks) {
    const result = parser.push(chunk)
    if (result instanceof FrameError) throw result
    frames.push(...result.map(plain))
  }
  return frames
}

function splitAt(stream: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.filter((cut) => cut > 0 && cut < stream.length))].sort((a, b) => a - b)
  const chunks: Buffer[] = []
  let previous = 0
  for (const point of points) {
    chunks.push(stream.subarray(previous, point))
    previous = point
  }
  chunks.push(stream.subarray(previous))
  return chunks
}

const headerName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,14}$/).filter((name) => name.toLowerCase() !== 'content-length')
// Any byte but CR/LF; no leading space (the parser strips the spaces after the colon).
const headerValue = fc
  .uint8Array({ maxLength: 40 })
  .map((bytes) => Buffer.from(bytes.filter((byte) => byte !== 10 && byte !== 13)).toString('latin1'))
  .filter((value) => !value.startsWith(' '))
  .chain((value) => fc.constantFrom(value, `${value}: and more`, `+OK Job-UUID: ${value}`, `%2BOK%0A${value}`))

const frameArbitrary = fc
  .record({
    headers: fc.array(fc.tuple(headerName, headerValue), { minLength: 1, maxLength: 8 }),
    body: fc.oneof(
      fc.constant(undefined),
      fc.constant(''),
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
      fc.constant('{"a":"b\\n\\n"}\n\nContent-Length: 3\n\nxyz'),
    ),
    lengthPosition: fc.nat(),
  })
  .map(({ headers, body, lengthPosition }) => {
    const all: Array<[string, string]> = headers.map(([name, value]) => [name, value])
    if (body !== undefined) {
      all.splice(lengthPosition % (all.length + 1), 0, ['Content-Length', String(Buffer.byteLength(body, 'latin1'))])
    }
    return { headers: all, body: body ?? '' } satisfies PlainFrame
  })

function serialize(frames: PlainFrame[]): Buffer {
  return Buffer.from(
    frames.map((frame) => `${frame.headers.map(([name, value]) => `${name}: ${value}\n`).join('')}\n${frame.body}`).join(''),
    'latin1',
  )
}


/** Any chunking of a valid stream (single bytes, random cuts) yields exactly the frames of the whole stream. */
export function checkChunking(budget: Budget): void {
  fc.assert(
    fc.property(fc.array(frameArbitrary, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 40 }), fc.boolean(), (frames, cuts, oneByte) => {
      const stream = serialize(frames)
      const whole = parseChunks([stream])
      assert.deepEqual(
        whole.map(({ headers, body }) => ({ headers, body })),
        frames,
      )
      const chunks = oneByte
        ? Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1))
        : splitAt(stream, cuts.map((cut) => cut % (stream.length + 1)))
      assert.deepEqual(parseChunks(chunks), whole)
    }),
    parameters(budget),
  )
}

/** Random bytes in random chunks never throw and never hang. */
export function checkRandomBytes(budget: Budget): void {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat(), { maxLength: 20 }), (bytes, cuts) => {
      const stream = Buffer.from(bytes)
      const parser = new FrameParser({ maxFrameBytes: 4096 })
      for (const chunk of splitAt(stream, cuts.map((cut) => cut % (stream.length + 1)))) {
        const result = parser.push(chunk)
        if (result instanceof FrameError) break
      }
    }),
    parameters(budget),
  )
}

/** Recorded FreeSWITCH streams with random bytes changed never throw, and no frame claims more than the stream holds. */
export function checkMutatedStreams(budget: Budget): void {
  const base = recordedStream('J1-json-pagd-exit-while-up')
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (mutations) => {
      const stream = Buffer.from(base)
      for (const [position, byte] of mutations) stream[position % stream.length] = byte
      const result = new FrameParser().push(stream)
      if (result instanceof FrameError) return
      const total = result.reduce((sum, frame) => sum + frame.body.length, 0)
      assert.ok(total <= stream.length)
    }),
    parameters(budget),
  )
}

const answerValue = fc.string({ unit: 'grapheme', maxLength: 30 }).filter((value) => value.trim() !== '' && value === value.trim())

/**
 * Webhook answers: well-formed ones (form or JSON, any key case, any values)
 * read back exactly; random and mutated bodies never throw.
 */
export function checkResponseParser(budget: Budget): void {
  // Three properties share the check's time budget (each alone would take all of it).
  const share: Budget = budget.timeLimitMs === undefined ? budget : { ...budget, timeLimitMs: budget.timeLimitMs / 3 }
  fc.assert(
    fc.property(
      fc.constantFrom('ACK', 'NAK', 'ERR', 'ack', 'Nak'),
      fc.option(answerValue, { nil: undefined }),
      fc.option(answerValue, { nil: undefined }),
      fc.boolean(),
      fc.constantFrom('status', 'STATUS', 'Status'),
      (status, destination, callername, json, statusKey) => {
        const fields: Record<string, string> = { [statusKey]: status }
        if (destination !== undefined) fields['Destination'] = destination
        if (callername !== undefined) fields['callername'] = callername
        const body = json ? JSON.stringify(fields) : new URLSearchParams(fields).toString()
        const answer = parseWebhookResponse(200, json ? 'application/json' : 'text/plain', Buffer.from(body))
        assert.ok(!(answer instanceof ResponseError), `${body}: ${String(answer)}`)
        assert.deepEqual(answer, { status: status.toUpperCase(), destination, callername })
      },
    ),
    parameters(share),
  )
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.constantFrom('text/plain', 'application/json', ''), fc.integer({ min: 100, max: 599 }), (bytes, type, code) => {
      const result = parseWebhookResponse(code, type, Buffer.from(bytes))
      assert.ok(result instanceof ResponseError || ['ACK', 'NAK', 'ERR'].includes(result.status))
    }),
    parameters(share),
  )
  const base = Buffer.from('status=ACK&destination=%2B31502102544&callername=ACME%20Corp')
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (mutations) => {
      const body = Buffer.from(base)
      for (const [position, byte] of mutations) body[position % body.length] = byte
      parseWebhookResponse(200, 'text/plain', body)
    }),
    parameters(share),
  )
}
