/**
 * Simulated applications the recordings do not cover on their own, as NOTES
 * describes them: pre_answer, ring_ready, play_and_get_digits' tries, its
 * `<var>_invalid` and the invalid file played on a timeout too.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Frame } from '../../src/esl/frame-parser.ts'
import { describe as label, eventHeader, eventName, execute, RawControllerServer, type RawConnection } from '../support/raw-controller.ts'
import { FreeSwitchSimulator } from './simulator.ts'

const HANGUP = 'sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING\n\n'

const events = (connection: RawConnection): string[] =>
  connection.frames.filter((frame) => eventName(frame) !== undefined && eventName(frame) !== 'CHANNEL_PARK').map((frame) => {
    const app = eventHeader(frame, 'Application')
    return `${label(frame)}${app ? `(${app})` : ''}`
  })
const completes = (connection: RawConnection): Frame[] => connection.frames.filter((frame) => eventName(frame) === 'CHANNEL_EXECUTE_COMPLETE')

describe('simulated applications beyond the recordings', { timeout: 30_000 }, () => {
  let controller: RawControllerServer
  let sim: FreeSwitchSimulator

  before(async () => {
    controller = await RawControllerServer.listen()
    sim = new FreeSwitchSimulator({ host: '127.0.0.1', port: controller.port, timeScale: 0.01, races: 'fixed' })
  })

  after(async () => {
    await sim.close()
    await controller.close()
  })

  async function call(options: Parameters<FreeSwitchSimulator['placeCall']>[0], commands: string[], completions: number): Promise<RawConnection> {
    const index = controller.connections.length
    const placed = sim.placeCall(options)
    const connection = await controller.connection(index)
    connection.send('connect\n\n')
    await connection.until((frames) => frames.length >= 1, 'the connect reply')
    connection.send('myevents json\n\n')
    connection.send(commands.join(''))
    await connection.until(() => completes(connection).length >= completions, `${completions} applications completing`)
    connection.send(HANGUP)
    await connection.untilClosed('the call ending')
    await placed.done
    return connection
  }

  it('pre_answer gives early media once; answer then answers without a second CHANNEL_PROGRESS_MEDIA', async () => {
    const connection = await call({}, [execute('pre_answer'), execute('answer')], 2)
    assert.deepEqual(events(connection).slice(0, 6), [
      'CHANNEL_EXECUTE(pre_answer)',
      'CHANNEL_PROGRESS_MEDIA',
      'CHANNEL_EXECUTE_COMPLETE(pre_answer)',
      'CHANNEL_EXECUTE(answer)',
      'CHANNEL_ANSWER',
      'CHANNEL_EXECUTE_COMPLETE(answer)',
    ])
  })

  it('ring_ready sends CHANNEL_PROGRESS', async () => {
    const connection = await call({}, [execute('ring_ready')], 1)
    assert.deepEqual(events(connection).slice(0, 3), ['CHANNEL_EXECUTE(ring_ready)', 'CHANNEL_PROGRESS', 'CHANNEL_EXECUTE_COMPLETE(ring_ready)'])
  })

  it('play_and_get_digits: a first try failing the regexp leaves <var>_invalid, the second try fills the variable', async () => {
    const connection = await call(
      { dtmf: ['5555#', '1234#'] },
      [execute('answer'), execute('play_and_get_digits', '4 4 2 3000 # silence_stream://100 silence_stream://250 pin ^1\\d{3}$ 3000', 'pagd')],
      2,
    )
    const done = completes(connection)[1] as Frame
    assert.equal(eventHeader(done, 'Application'), 'play_and_get_digits')
    assert.equal(eventHeader(done, 'Application-Response'), '_none_')
    assert.equal(eventHeader(done, 'variable_pin'), '1234')
    assert.equal(eventHeader(done, 'variable_pin_invalid'), '5555')
    assert.equal(eventHeader(done, 'variable_read_result'), 'success')
    // The digits were pressed one by one.
    assert.deepEqual(
      connection.frames.filter((frame) => eventName(frame) === 'DTMF').map((frame) => eventHeader(frame, 'DTMF-Digit')),
      ['5', '5', '5', '5', '1', '2', '3', '4'],
    )
  })

  it('play_and_get_digits: no input plays the invalid file too, and the result is failure with no variable (03)', async () => {
    const connection = await call(
      { dtmf: [{ timeout: true }] },
      [execute('answer'), execute('play_and_get_digits', '4 6 1 3000 # silence_stream://100 silence_stream://250 pin \\d+ 3000', 'pagd')],
      2,
    )
    const done = completes(connection)[1] as Frame
    assert.equal(eventHeader(done, 'variable_read_result'), 'failure')
    assert.equal(eventHeader(done, 'variable_pin'), undefined)
    // The last sound played was the 250 ms invalid file, not the 100 ms prompt.
    assert.equal(eventHeader(done, 'variable_playback_ms'), '250')
  })
})
