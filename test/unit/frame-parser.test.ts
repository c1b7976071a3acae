import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FrameError, FrameParser } from '../../src/esl/frame-parser.ts'
import { checkChunking, checkMutatedStreams, checkRandomBytes, parseChunks, plain } from '../fuzz/properties.ts'
import { recordedStream, transcriptNames } from '../support/transcripts.ts'

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
    checkChunking({ numRuns: 600 })
  })

  it('fuzz: random bytes in random chunks never throw and never hang', () => {
    checkRandomBytes({ numRuns: 2000 })
  })

  it('fuzz: mutated recorded streams never throw, and frames stay within the stream', () => {
    checkMutatedStreams({ numRuns: 300 })
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


})
