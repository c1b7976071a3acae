import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { EslError } from '../../src/errors.ts'
import { parseChannelData } from '../../src/esl/channel-data.ts'
import { apiCommand, buildFrame, executeCommand, hangupCommand, lingerCommand } from '../../src/esl/commands.ts'
import { FrameParser } from '../../src/esl/frame-parser.ts'
import { toMessage } from '../../src/esl/messages.ts'
import { bytesToText, percentDecode } from '../../src/esl/percent-decode.ts'
import { frameOf } from '../support/frames.ts'
import { recordedFrames, transcriptNames } from '../support/transcripts.ts'

describe('percent decoding', () => {
  it('decodes byte-wise, as FreeSWITCH encodes', () => {
    assert.equal(percentDecode('%2BOK%0A'), '+OK\n')
    assert.equal(percentDecode('H%C3%A9llo%20W%C3%B6rld'), 'Héllo Wörld')
    assert.equal(percentDecode('Mon,%2023%20Nov'), 'Mon, 23 Nov')
  })

  it('keeps malformed escapes literal and turns bytes that are not UTF-8 into U+FFFD', () => {
    assert.equal(percentDecode('100%'), '100%')
    assert.equal(percentDecode('%zz%4'), '%zz%4')
    assert.equal(percentDecode('J%E9%FFr'), 'J\uFFFD\uFFFDr')
  })

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        percentDecode(value)
        bytesToText(value)
      }),
      { numRuns: 2000 },
    )
  })
})

describe('message classification', () => {
  it('reads JSON events with array values', () => {
    const body = JSON.stringify({ 'Event-Name': 'CHANNEL_PARK', 'Unique-ID': 'u1', variable_DP_MATCH: ['312', '312b'], 'Event-Sequence': 7 })
    const message = toMessage(frameOf(`Content-Length: ${Buffer.byteLength(body)}\nContent-Type: text/event-json\n\n${body}`))
    assert.equal(message.kind, 'event')
    if (message.kind !== 'event') return
    assert.equal(message.event.name, 'CHANNEL_PARK')
    assert.equal(message.event.variable('DP_MATCH'), '312')
    assert.deepEqual(message.event.getAll('variable_DP_MATCH'), ['312', '312b'])
    assert.equal(message.event.get('Event-Sequence'), '7')
    assert.equal(message.event.get('__proto__'), undefined)
  })

  it('reads every event of the recorded JSON and plain transcripts', () => {
    for (const name of ['J2-json-linger-caller-hangup-during-pagd', '06a-caller-hangup-during-pagd-linger']) {
      const events = recordedFrames(name)
        .map((recorded) => toMessage(recorded))
        .filter((message) => message.kind === 'event')
      assert.ok(events.length > 8)
      for (const message of events) {
        if (message.kind === 'event') assert.match(message.event.name, /^(CHANNEL|DTMF)/)
      }
    }
    const plain = recordedFrames('02a-pagd-dtmf-uuid_send_dtmf')
      .map((recorded) => toMessage(recorded))
      .find((message) => message.kind === 'event' && message.event.get('Application') === 'play_and_get_digits' && message.event.name === 'CHANNEL_EXECUTE_COMPLETE')
    assert.ok(plain?.kind === 'event')
    assert.equal(plain.event.variable('read_terminator_used'), '#')
    assert.equal(plain.event.variable('pin'), '1234')
  })

  it('reads the quick headers from the ends of a JSON event exactly as the full parse does', () => {
    let checked = 0
    for (const name of transcriptNames().filter((transcript) => transcript.startsWith('J'))) {
      for (const recorded of recordedFrames(name)) {
        if (recorded.contentType !== 'text/event-json') continue
        for (const header of ['Event-Name', 'Unique-ID', 'Hangup-Cause', 'Application-UUID', 'Application']) {
          const quick = toMessage(recorded)
          // The same frame read again, every header parsed first.
          const full = toMessage(recorded)
          assert.ok(quick.kind === 'event' && full.kind === 'event')
          full.event.names()
          assert.equal(quick.event.get(header), full.event.get(header), `${name}: ${header}`)
          checked++
        }
      }
    }
    assert.ok(checked > 500)
    // Not at the start (or escaped): the full parse answers.
    const json = '{"Core-UUID":"x","Unique-ID":"u\\u0031","Event-Name":"CUSTOM"}'
    const reordered = toMessage(frameOf(`Content-Length: ${Buffer.byteLength(json)}\nContent-Type: text/event-json\n\n${json}`))
    assert.ok(reordered.kind === 'event')
    assert.equal(reordered.event.name, 'CUSTOM')
    assert.equal(reordered.event.uniqueId, 'u1')
  })

  it('turns an undecodable event into a value, not an exception', () => {
    const message = toMessage(frameOf('Content-Length: 5\nContent-Type: text/event-json\n\n{"a":'))
    assert.equal(message.kind, 'malformed')
  })

  it('classifies replies, api responses and both disconnect notices', () => {
    assert.deepEqual(
      (({ kind, text }) => ({ kind, text }))(toMessage(frameOf('Content-Type: command/reply\nReply-Text: +OK Job-UUID: 1: 2\n\n')) as { kind: string; text: string }),
      { kind: 'reply', text: '+OK Job-UUID: 1: 2' },
    )
    assert.deepEqual(toMessage(frameOf('Content-Type: api/response\nContent-Length: 7\n\n_undef_')), { kind: 'api', body: '_undef_' })
    assert.deepEqual(toMessage(frameOf('Content-Type: text/disconnect-notice\nContent-Disposition: linger\nLinger-Time: -1\nContent-Length: 0\n\n')), {
      kind: 'disconnect',
      disposition: 'linger',
      lingerSeconds: -1,
      body: '',
    })
    assert.equal((toMessage(frameOf('Content-Type: text/disconnect-notice\nContent-Disposition: disconnect\nContent-Length: 3\n\nbye')) as { disposition: string }).disposition, 'disconnect')
  })
})

describe('channel data', () => {
  it('turns the recorded connect reply into typed fields', () => {
    const connect = recordedFrames('J1-json-pagd-exit-while-up')[0]
    assert.ok(connect)
    const channel = parseChannelData(connect)
    assert.ok(!(channel instanceof EslError))
    assert.equal(channel.uniqueId, '99f4ea30-287e-479f-a9b9-3a243ecdcc32')
    assert.equal(channel.callerIdNumber, '5551230001')
    assert.equal(channel.callerIdName, 'RigCaller')
    assert.equal(channel.destinationNumber, '31201234567')
    assert.equal(channel.variable('webhook'), 'demo')
    assert.equal(channel.socketMode, 'async')
    assert.equal(channel.control, 'full')
    assert.equal(channel.headers.get('Reply-Text'), '+OK\n')
  })

  it('maps _undef_ to empty and refuses a reply without Unique-ID', () => {
    const channel = parseChannelData(frameOf('Unique-ID: abc\nCaller-Caller-ID-Name: _undef_\nvariable_x: _undef_\nContent-Type: command/reply\n\n'))
    assert.ok(!(channel instanceof EslError))
    assert.equal(channel.callerIdName, '')
    assert.equal(channel.variable('x'), undefined)
    assert.ok(parseChannelData(frameOf('Content-Type: command/reply\nReply-Text: +OK\n\n')) instanceof EslError)
  })

  it('looks headers up exactly as a first-wins map of decoded values would, on every recorded connect reply', () => {
    const tricky = frameOf('Unique-ID: u\nvariable_a: first\nvariable_a: second\nvariable_ab: other\nvariable_empty: \nX-variable_a: no\nvariable_pct: 100%25%20sure\nContent-Type: command/reply\n\n')
    // The first frame FreeSWITCH sent in each transcript, where it is a connect reply (J7b never got one).
    const recorded = transcriptNames().flatMap((name) => recordedFrames(name).slice(0, 1))
    const replies = [tricky, ...recorded.filter((reply) => reply.contentType === 'command/reply' && reply.header('Unique-ID') !== undefined)]
    assert.ok(replies.length > 20, `${replies.length} connect replies`)
    for (const reply of replies) {
      const channel = parseChannelData(reply)
      assert.ok(!(channel instanceof EslError))
      const expected = new Map<string, string>()
      for (const [name, raw] of reply.headers) if (!expected.has(name)) expected.set(name, percentDecode(raw))
      assert.deepEqual(channel.headers, expected)
      for (const [name, value] of expected) {
        if (name.startsWith('variable_')) assert.equal(channel.variable(name.slice(9)), value === '_undef_' ? undefined : value, name)
      }
    }
    const channel = parseChannelData(tricky)
    assert.ok(!(channel instanceof EslError))
    assert.equal(channel.variable('a'), 'first')
    assert.equal(channel.variable('empty'), '')
    assert.equal(channel.variable('pct'), '100% sure')
    assert.equal(channel.variable('b'), undefined)
  })
})

describe('command frames', () => {
  it('puts execute arguments in a body with their byte length', () => {
    const built = executeCommand('playback', 'say:Größe', 'id-1')
    assert.ok(Buffer.isBuffer(built))
    assert.equal(
      built.toString('utf8'),
      'sendmsg\ncall-command: execute\nexecute-app-name: playback\nevent-lock: true\nEvent-UUID: id-1\ncontent-type: text/plain\ncontent-length: 11\n\nsay:Größe',
    )
    const noArg = executeCommand('answer', '', 'id-2')
    assert.ok(Buffer.isBuffer(noArg))
    assert.equal(noArg.toString(), 'sendmsg\ncall-command: execute\nexecute-app-name: answer\nevent-lock: true\nEvent-UUID: id-2\n\n')
  })

  it('never lets CR, LF or NUL into a command line or header, nor NUL into a body', () => {
    for (const bad of ['a\nb', 'a\rb', 'a\0b']) {
      assert.ok(buildFrame(`api ${bad}`) instanceof EslError)
      assert.ok(buildFrame('sendmsg', [['x', bad]]) instanceof EslError)
      assert.ok(apiCommand('uuid_setvar', bad) instanceof EslError)
    }
    assert.ok(executeCommand('set', 'a=\0', 'id') instanceof EslError)
    assert.ok(executeCommand('set;rm', 'a', 'id') instanceof EslError)
    assert.ok(hangupCommand('NORMAL_CLEARING\nx: y') instanceof EslError)
    assert.ok(lingerCommand(0) instanceof EslError)
    // A newline inside a body is only payload: it cannot start a header.
    assert.ok(Buffer.isBuffer(executeCommand('log', 'a\nb: c', 'id')))
  })

  it('property: any argument round-trips through the simulator-side parser unchanged', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }).filter((arg) => !arg.includes('\0')), (arg) => {
        const built = executeCommand('log', arg, 'id')
        assert.ok(Buffer.isBuffer(built))
        const frames = new FrameParser({ commandLine: true }).push(built)
        assert.ok(!(frames instanceof Error))
        assert.equal(frames.length, 1)
        assert.equal(frames[0]?.command, 'sendmsg')
        assert.equal(frames[0]?.body.toString('utf8'), Buffer.from(arg, 'utf8').toString('utf8'))
      }),
      { numRuns: 1000 },
    )
  })
})
