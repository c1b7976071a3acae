import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { Frame, FrameError, FrameParser } from '../../src/esl/frame-parser.ts'
import { recordedStream, transcriptNames } from '../support/transcripts.ts'

interface PlainFrame {
  headers: Array<[string, string]>
  body: string
  command?: string | undefined
}

function plain(frame: Frame): PlainFrame {
  return {
    headers: frame.headers.map(([name, value]) => [name, value]),
    body: frame.body.toString('latin1'),
    command: frame.command,
  }
}

function parseChunks(chunks: Buffer[], options: { commandLine?: boolean; maxFrameBytes?: number } = {}): PlainFrame[] {
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

describe('frame parser', () => {
  it('reads the recorded connect reply as one header-only frame with Content-Type near the end', () => {
    const frames = parseChunks([recordedStream('J1-json-pagd-exit-while-up')])
    const connect = frames[0]
    assert.ok(connect)
    assert.equal(connect.body, '')
    const names = connect.headers.map(([name]) => name)
    assert.equal(names[0], 'Event-Name')
    assert.equal(names.indexOf('Content-Type'), names.length - 4)
    assert.deepEqual(connect.headers.at(-3), ['Reply-Text', '%2BOK%0A'])
  })

  it('keeps zero-length frames (the linger notice) and the text after a second ": "', () => {
    const stream = Buffer.from(
      'Content-Type: command/reply\nReply-Text: +OK Job-UUID: 4b9d0682\nJob-UUID: 4b9d0682\n\n' +
        'Content-Type: text/disconnect-notice\nContent-Disposition: linger\nLinger-Time: -1\nContent-Length: 0\n\n' +
        'Content-Type: text/disconnect-notice\nContent-Disposition: disconnect\nContent-Length: 4\n\nbye\n',
    )
    const frames = parseChunks([stream])
    assert.equal(frames.length, 3)
    assert.deepEqual(frames[0]?.headers[1], ['Reply-Text', '+OK Job-UUID: 4b9d0682'])
    assert.equal(frames[1]?.body, '')
    assert.deepEqual(frames[1]?.headers[1], ['Content-Disposition', 'linger'])
    assert.equal(frames[2]?.body, 'bye\n')
  })

  it('counts Content-Length in bytes, not characters', () => {
    const body = Buffer.from('{"variable_effective_caller_id_name":"Héllo Wörld"}', 'utf8')
    const stream = Buffer.concat([Buffer.from(`Content-Length: ${body.length}\nContent-Type: text/event-json\n\n`), body, Buffer.from('Content-Type: command/reply\nReply-Text: +OK\n\n')])
    const frames = parseChunks([stream])
    assert.equal(frames.length, 2)
    assert.equal(Buffer.from(frames[0]?.body ?? '', 'latin1').toString('utf8'), body.toString('utf8'))
  })

  it('accepts CRLF line endings and skips stray line breaks between frames', () => {
    const frames = parseChunks([Buffer.from('\r\n\nContent-Type: command/reply\r\nReply-Text: +OK\r\n\r\nContent-Length: 2\r\n\r\nhi')])
    assert.deepEqual(frames, [
      { headers: [['Content-Type', 'command/reply'], ['Reply-Text', '+OK']], body: '', command: undefined },
      { headers: [['Content-Length', '2']], body: 'hi', command: undefined },
    ])
  })

  it('keeps the command line apart in command mode (what the simulator reads)', () => {
    const frames = parseChunks([Buffer.from('connect\n\napi uuid_setvar x h ${a}: b\n\nsendmsg\ncall-command: execute\ncontent-length: 3\n\nx:y')], { commandLine: true })
    assert.deepEqual(
      frames.map((frame) => [frame.command, frame.headers.length, frame.body]),
      [
        ['connect', 0, ''],
        ['api uuid_setvar x h ${a}: b', 0, ''],
        ['sendmsg', 2, 'x:y'],
      ],
    )
  })

  it('refuses a frame over the cap and a Content-Length that is not a number', () => {
    const tooLarge = new FrameParser({ maxFrameBytes: 100 }).push(Buffer.from('Content-Length: 500\n\n'))
    assert.ok(tooLarge instanceof FrameError)
    assert.equal(tooLarge.code, 'frame_too_large')
    const endless = new FrameParser({ maxFrameBytes: 100 }).push(Buffer.alloc(200, 'a'))
    assert.ok(endless instanceof FrameError)
    const bad = new FrameParser().push(Buffer.from('Content-Length: 12abc\n\n'))
    assert.ok(bad instanceof FrameError)
    assert.equal(bad.code, 'bad_content_length')
    // The failure is final.
    const parser = new FrameParser()
    parser.push(Buffer.from('Content-Length: -1\n\n'))
    assert.ok(parser.push(Buffer.from('Content-Type: command/reply\n\n')) instanceof FrameError)
  })

  it('property: any chunking of a valid stream yields exactly the frames of the whole stream', () => {
    fc.assert(
      fc.property(
        fc.array(frameArbitrary, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.boolean(),
        (frames, cuts, oneByte) => {
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
        },
      ),
      { numRuns: 600 },
    )
  })

  it('every two-way split of recorded streams, including between the two newlines, parses alike', () => {
    for (const name of ['J2-json-linger-caller-hangup-during-pagd', '01a-answer-playback-hangup-linger', 'J3a-variable-forms-json']) {
      const stream = recordedStream(name)
      const whole = parseChunks([stream])
      assert.ok(whole.length > 10)
      // Around every line break (header lines, the blank line, zero-length bodies), plus a sparse sweep.
      const cuts = new Set<number>()
      for (let lf = stream.indexOf(10); lf !== -1; lf = stream.indexOf(10, lf + 1)) {
        for (let delta = -2; delta <= 3; delta++) cuts.add(lf + delta)
      }
      for (let cut = 1; cut < stream.length; cut += 97) cuts.add(cut)
      for (const cut of cuts) {
        if (cut <= 0 || cut >= stream.length) continue
        assert.deepEqual(parseChunks([stream.subarray(0, cut), stream.subarray(cut)]), whole, `${name} split at ${cut}`)
      }
    }
  })

  it('parses every recorded FreeSWITCH stream completely, 1-byte chunks included', () => {
    for (const name of transcriptNames()) {
      const stream = recordedStream(name)
      const parser = new FrameParser()
      const whole = parser.push(stream)
      assert.ok(!(whole instanceof FrameError), name)
      assert.equal(parser.buffered, 0, `${name} leaves no partial frame`)
      const bytes = Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1))
      assert.deepEqual(parseChunks(bytes), whole.map(plain), name)
    }
  })

  it('fuzz: random bytes in random chunks never throw and never hang', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat(), { maxLength: 20 }), (bytes, cuts) => {
        const stream = Buffer.from(bytes)
        const parser = new FrameParser({ maxFrameBytes: 4096 })
        for (const chunk of splitAt(stream, cuts.map((cut) => cut % (stream.length + 1)))) {
          const result = parser.push(chunk)
          if (result instanceof FrameError) break
        }
      }),
      { numRuns: 2000 },
    )
  })

  it('fuzz: mutated recorded streams never throw, and frames stay within the stream', () => {
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
      { numRuns: 300 },
    )
  })
})
