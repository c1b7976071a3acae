/**
 * The Event Socket's small parts, value by value: events read lazily from
 * their JSON text (the quick headers come from the text's ends, the rest from
 * a full parse), plain events, percent decoding, command frames and variable
 * values at their limits. Each assertion pins one behaviour a changed line
 * would break (see docs/testing.md, mutation score).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { EslError } from '../../src/errors.ts'
import { parseChannelData } from '../../src/esl/channel-data.ts'
import { apiCommand, bgapiCommand, buildFrame, executeCommand, lingerCommand } from '../../src/esl/commands.ts'
import { Frame, FrameError, FrameParser } from '../../src/esl/frame-parser.ts'
import { EslEvent, JsonSource, parsePlainEvent, toMessage } from '../../src/esl/messages.ts'
import { bytesToText, percentDecode } from '../../src/esl/percent-decode.ts'
import { unsafeValueReason } from '../../src/esl/variables.ts'
import { frameOf } from '../support/frames.ts'

function errorMessage(value: Buffer | EslError): string {
  assert.ok(value instanceof EslError, `expected an error, got ${String(value)}`)
  assert.equal(value.code, 'invalid_argument')
  return value.message
}

/** A JSON event whose middle does not parse: only the quick headers can be read from it. */
function brokenJsonEvent(middle: string): string {
  const padding = 'x'.repeat(5000)
  return (
    `{"Event-Name":"CHANNEL_HANGUP","Core-UUID":"c","Unique-ID":"u-1","Hangup-Cause":"USER_BUSY","variable_a":"${padding}",` +
    `${middle},"variable_b":not-json,"variable_c":"${padding}","Application":"bridge","Application-UUID":"app-1"}`
  )
}

describe('JSON events read lazily', () => {
  it('the quick headers come from the text without a full parse: an event whose middle is broken still names itself', () => {
    const event = new EslEvent(new JsonSource(brokenJsonEvent('"variable_x":"1"')))
    assert.equal(event.name, 'CHANNEL_HANGUP')
    assert.equal(event.uniqueId, 'u-1')
    assert.equal(event.get('Hangup-Cause'), 'USER_BUSY')
    assert.equal(event.get('Application'), 'bridge')
    assert.equal(event.get('Application-UUID'), 'app-1')
    // Any other header needs the full parse, which fails: nothing, not an exception.
    assert.equal(event.get('variable_x'), undefined)
    assert.equal(event.get('Core-UUID'), undefined)
    assert.deepEqual(event.names(), [])
  })

  it('start headers are looked for in the first 2,048 characters, end headers in the last 2,048 only', () => {
    // An Application header in the middle is not the one at the end.
    const event = new EslEvent(new JsonSource(brokenJsonEvent('"Application":"middle","Event-Name":"MIDDLE"')))
    assert.equal(event.get('Application'), 'bridge')
    assert.equal(event.name, 'CHANNEL_HANGUP')
    // A start header placed only at the end, or an end header only at the start, is not found quickly.
    const padding = 'x'.repeat(5000)
    const swapped = new EslEvent(new JsonSource(`{"Application":"early","variable_a":"${padding}",broken,"variable_c":"${padding}","Event-Name":"LATE"}`))
    assert.equal(swapped.get('Application'), undefined)
    assert.equal(swapped.name, '')
  })

  it('a value with an escape is not read quickly but by the full parse', () => {
    const event = new EslEvent(new JsonSource('{"Event-Name":"CUSTOM","Unique-ID":"a\\"b","Application":"x\\\\y"}'))
    assert.equal(event.uniqueId, 'a"b')
    assert.equal(event.get('Application'), 'x\\y')
  })

  it('once parsed, every header is read from the parse', () => {
    const event = new EslEvent(new JsonSource('{"Event-Name":"CUSTOM","Unique-ID":"u","other":"o"}'))
    assert.deepEqual(event.names(), ['Event-Name', 'Unique-ID', 'other'])
    assert.equal(event.name, 'CUSTOM')
    assert.equal(event.uniqueId, 'u')
  })

  it('a JSON text that is not an object has no headers', () => {
    for (const text of ['[1,2]', '"abc"', 'null', '42', 'true', '{broken']) {
      const event = new EslEvent(new JsonSource(text))
      assert.deepEqual(event.names(), [], text)
      assert.equal(event.get('0'), undefined, text)
      assert.equal(event.body, undefined, text)
    }
  })

  it('the body is _body when it is a string, else none; a plain event keeps its own', () => {
    assert.equal(new EslEvent(new JsonSource('{"Event-Name":"X","_body":"hello"}')).body, 'hello')
    assert.equal(new EslEvent(new JsonSource('{"Event-Name":"X","_body":42}')).body, undefined)
    assert.equal(new EslEvent(new JsonSource('{"Event-Name":"X"}')).body, undefined)
    assert.equal(new EslEvent({ _body: 'ignored' }, 'own').body, 'own')
    assert.equal(new EslEvent({ _body: 'ignored' }).body, undefined)
  })

  it('toMessage accepts an object with white space around it and refuses anything else by name', () => {
    const padded = toMessage(frameOf('Content-Type: text/event-json\nContent-Length: 26\n\n  {"Event-Name":"CUSTOM"}\n'))
    assert.equal(padded.kind, 'event')
    assert.equal(padded.kind === 'event' ? padded.event.name : '', 'CUSTOM')
    assert.deepEqual(toMessage(frameOf('Content-Type: text/event-json\nContent-Length: 5\n\n[1,2]')), { kind: 'malformed', reason: 'event JSON is not an object' })
  })
})

describe('header values of every JSON type', () => {
  const event = new EslEvent({ s: 'x', arr: ['a', 'b'], empty: [], nul: null, num: 42, bool: true, obj: { a: 1 } })

  it('get: a string as is, an array its first element, null none, other values as text', () => {
    assert.equal(event.get('s'), 'x')
    assert.equal(event.get('arr'), 'a')
    assert.equal(event.get('empty'), undefined)
    assert.equal(event.get('nul'), undefined)
    assert.equal(event.get('num'), '42')
    assert.equal(event.get('bool'), 'true')
    assert.equal(event.get('obj'), '{"a":1}')
    assert.equal(event.get('missing'), undefined)
    // Only the event's own headers: nothing inherited from Object.prototype.
    assert.equal(event.get('toString'), undefined)
    assert.equal(event.get('constructor'), undefined)
  })

  it('getAll: every element of an array, one value for anything else, none for null or a missing header', () => {
    assert.deepEqual(event.getAll('arr'), ['a', 'b'])
    assert.deepEqual(event.getAll('empty'), [])
    assert.deepEqual(event.getAll('s'), ['x'])
    assert.deepEqual(event.getAll('num'), ['42'])
    assert.deepEqual(event.getAll('nul'), [])
    assert.deepEqual(event.getAll('missing'), [])
    assert.deepEqual(event.getAll('toString'), [])
  })

  it('names in the order sent; variable() reads variable_<name>', () => {
    assert.deepEqual(event.names(), ['s', 'arr', 'empty', 'nul', 'num', 'bool', 'obj'])
    assert.equal(new EslEvent({ variable_x: 'y' }).variable('x'), 'y')
    assert.equal(new EslEvent({}).name, '')
  })
})

describe('plain events', () => {
  it('reads Name: value lines, decoded; the first of a repeated header wins; lines without a name are skipped', () => {
    const event = parsePlainEvent(Buffer.from('Event-Name: CUSTOM\nUnique-ID: u%201\nFoo: first\nFoo: second\n: nameless\nno colon\nX%2DY: %C3%A9\nLast: abc', 'latin1'))
    assert.deepEqual(event.names(), ['Event-Name', 'Unique-ID', 'Foo', 'X-Y', 'Last'])
    assert.equal(event.uniqueId, 'u 1')
    assert.equal(event.get('Foo'), 'first')
    assert.equal(event.get('X-Y'), 'é')
    assert.equal(event.get('Last'), 'abc')
    assert.equal(event.body, undefined)
  })

  it('the body is the Content-Length bytes after the blank line, as UTF-8; without Content-Length there is none', () => {
    const withBody = parsePlainEvent(Buffer.from('Event-Name: CUSTOM\nContent-Length: 6\n\nhéllo world\nNot-A-Header: 1', 'utf8'))
    assert.equal(withBody.body, 'héllo')
    assert.equal(withBody.get('Not-A-Header'), undefined)
    assert.deepEqual(withBody.names(), ['Event-Name', 'Content-Length'])
    const noLength = parsePlainEvent(Buffer.from('Event-Name: CUSTOM\n\nB: 2', 'latin1'))
    assert.equal(noLength.body, undefined)
    assert.equal(noLength.get('B'), undefined)
    const noBlank = parsePlainEvent(Buffer.from('Event-Name: CUSTOM\nContent-Length: 3', 'latin1'))
    assert.equal(noBlank.body, undefined)
    assert.equal(noBlank.get('Content-Length'), '3')
  })
})

describe('percent decoding at its edges', () => {
  it('hex digits are 0-9, A-F and a-f only', () => {
    assert.equal(percentDecode('%41%6a%4A%2d'), 'AjJ-')
    assert.equal(percentDecode('%G0%g0%0G%0g'), '%G0%g0%0G%0g')
    assert.equal(percentDecode('%1G%G1'), '%1G%G1')
  })

  it('an escape cut short at the end stays literal', () => {
    assert.equal(percentDecode('ab%4'), 'ab%4')
    assert.equal(percentDecode('ab%'), 'ab%')
    assert.equal(percentDecode('%41%'), 'A%')
  })

  it('bytesToText: ASCII as is, UTF-8 held as latin1 decoded, bytes that are not UTF-8 as U+FFFD', () => {
    assert.equal(bytesToText('plain ascii'), 'plain ascii')
    assert.equal(bytesToText(Buffer.from('aé', 'utf8').toString('latin1')), 'aé')
    assert.equal(bytesToText('ok\u00ff'), 'ok\uFFFD')
    assert.equal(percentDecode(Buffer.from('zé', 'utf8').toString('latin1')), 'zé')
  })
})

describe('command frames at their limits', () => {
  it('an api or bgapi command is a name that starts with a letter', () => {
    assert.equal(apiCommand('uuid_kill', 'x').toString(), 'api uuid_kill x\n\n')
    assert.equal(apiCommand('status', '').toString(), 'api status\n\n')
    assert.equal(errorMessage(apiCommand('1abc', '')), 'bad api command "1abc"')
    assert.equal(errorMessage(apiCommand('a b', '')), 'bad api command "a b"')
    assert.equal(errorMessage(bgapiCommand('1abc', '', 'j')), 'bad api command "1abc"')
    assert.equal(errorMessage(bgapiCommand('_x', '', 'j')), 'bad api command "_x"')
    assert.equal(bgapiCommand('status', '', 'job-1').toString(), 'bgapi status\nJob-UUID: job-1\n\n')
  })

  it('frames: no empty command line, header names checked, no line breaks in headers, no NUL in bodies, an empty body is none', () => {
    assert.equal(errorMessage(buildFrame('')), 'a command line may not be empty or contain CR, LF or NUL')
    assert.equal(errorMessage(buildFrame('x', [['bad name', 'v']])), 'bad header name "bad name"')
    assert.equal(errorMessage(buildFrame('x', [['1x', 'v']])), 'bad header name "1x"')
    assert.equal(errorMessage(buildFrame('x', [['Name', 'a\nb']])), 'header Name may not contain CR, LF or NUL')
    assert.equal(errorMessage(buildFrame('x', [], 'a\0b')), 'a body may not contain NUL (FreeSWITCH would cut it there)')
    assert.equal(buildFrame('x', [], '').toString(), 'x\n\n')
    assert.equal(buildFrame('x', [['A', '1']], 'é').toString(), 'x\nA: 1\ncontent-length: 2\n\né')
    assert.equal(errorMessage(executeCommand('bad app', '', 'e')), 'bad application name "bad app"')
  })

  it('linger takes a whole number of seconds, at least 1', () => {
    assert.equal(lingerCommand(1).toString(), 'linger 1\n\n')
    for (const seconds of [0, -1, 1.5, Number.NaN]) assert.equal(errorMessage(lingerCommand(seconds)), 'linger seconds must be a positive integer', String(seconds))
  })
})

describe('variable values at their size limit', () => {
  it('4,096 bytes go out; one byte more is refused, counted in UTF-8 bytes', () => {
    assert.equal(unsafeValueReason('a'.repeat(4096)), undefined)
    assert.equal(unsafeValueReason('a'.repeat(4097)), 'is longer than 4096 bytes')
    assert.equal(unsafeValueReason('é'.repeat(2048)), undefined)
    assert.equal(unsafeValueReason(`${'é'.repeat(2048)}a`), 'is longer than 4096 bytes')
  })
})

describe('frames at their edges', () => {
  it('a header is looked up by its exact name first, then case-insensitively', () => {
    const frame = new Frame(
      [
        ['content-type', 'lower'],
        ['Content-Type', 'exact'],
        ['X-Only', 'only'],
      ],
      Buffer.alloc(0),
    )
    assert.equal(frame.header('Content-Type'), 'exact')
    assert.equal(frame.contentType, 'exact')
    assert.equal(frame.header('CONTENT-TYPE'), 'lower')
    assert.equal(frame.header('x-only'), 'only')
    assert.equal(frame.header('missing'), undefined)
  })

  it('errors name the limit and the value, and stay: later input gets the same error', () => {
    const tooLarge = new FrameParser({ maxFrameBytes: 20 })
    const error = tooLarge.push(Buffer.from('Content-Length: 100\n\n'))
    assert.ok(error instanceof FrameError)
    assert.deepEqual([error.name, error.code, error.message], ['FrameError', 'frame_too_large', 'frame of 121 bytes exceeds 20'])
    assert.equal(tooLarge.push(Buffer.from('Content-Type: command/reply\n\n')), error)
    const longBlock = new FrameParser({ maxFrameBytes: 20 }).push(Buffer.from('A: 12345678901234567890'))
    assert.ok(longBlock instanceof FrameError)
    assert.deepEqual([longBlock.code, longBlock.message], ['frame_too_large', 'header block exceeds 20 bytes'])
    const badLength = new FrameParser().push(Buffer.from(`Content-Length: ${'x'.repeat(50)}\n\n`))
    assert.ok(badLength instanceof FrameError)
    assert.deepEqual([badLength.code, badLength.message], ['bad_content_length', `unusable Content-Length ${JSON.stringify('x'.repeat(40))}`])
  })

  it('a header block of exactly the cap still waiting for its blank line is not an error', () => {
    const parser = new FrameParser({ maxFrameBytes: 20 })
    assert.deepEqual(parser.push(Buffer.from('A: 12345678901234567')), [])
  })

  it('spaces after a Content-Length are allowed; the body is cut at its length', () => {
    const frames = new FrameParser().push(Buffer.from('Content-Type: api/response\nContent-Length: 3  \n\nabcNext: 1\n\n'))
    assert.ok(!(frames instanceof Error))
    assert.deepEqual(
      frames.map((frame) => [frame.headers, frame.body.toString()]),
      [
        [
          [
            ['Content-Type', 'api/response'],
            ['Content-Length', '3  '],
          ],
          'abc',
        ],
        [[['Next', '1']], ''],
      ],
    )
  })

  it('in command mode the command line is never read as a header, even with a colon in it', () => {
    const frames = new FrameParser({ commandLine: true }).push(Buffer.from('api uuid_setvar x a:b\n\nsendmsg\ncall-command: hangup\n\n'))
    assert.ok(!(frames instanceof Error))
    assert.deepEqual(
      frames.map((frame) => [frame.command, frame.headers]),
      [
        ['api uuid_setvar x a:b', []],
        ['sendmsg', [['call-command', 'hangup']]],
      ],
    )
  })

  it('the connect reply\'s channel name, and every header as a decoded map, first one winning', () => {
    const channel = parseChannelData(
      new Frame(
        [
          ['Unique-ID', 'u-1'],
          ['Channel-Name', 'sofia/internal/1001%40example.com'],
          ['variable_x', 'a%20b'],
          ['variable_x', 'second'],
        ],
        Buffer.alloc(0),
      ),
    )
    assert.ok(!(channel instanceof EslError))
    assert.equal(channel.channelName, 'sofia/internal/1001@example.com')
    assert.equal(channel.variable('x'), 'a b')
    assert.deepEqual([...channel.headers], [
      ['Unique-ID', 'u-1'],
      ['Channel-Name', 'sofia/internal/1001@example.com'],
      ['variable_x', 'a b'],
    ])
  })
})
