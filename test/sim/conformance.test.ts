/**
 * Replays every recorded scenario against the simulator: a controller sends
 * the recorded commands, each once the simulator has sent as many frames as
 * FreeSWITCH had at that point, on every connection the recording has, and
 * the frames the simulator sends must match the recording (header names,
 * order and values; see support/conformance.ts and support/replay.ts).
 */
import assert from 'node:assert/strict'
import { createServer, type AddressInfo, type Server } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { describe as describeFrame, type NormalFrame } from '../support/conformance.ts'
import { headerDifference, replay, type Scenario } from '../support/replay.ts'
import { transcriptNames } from '../support/transcripts.ts'
import type { SimCallOptions } from './options.ts'
import { FreeSwitchSimulator } from './simulator.ts'

// What each recording's script did to the call (keys pressed, how callees answered, hang-ups,
// extensions). What the switch decided by itself (when CHANNEL_PARK arrived, where the linger
// notice landed) is read from the recording by support/replay.ts.
const PIN_HANGUP = { hangups: [{ on: 'execute' as const, app: 'play_and_get_digits', afterMs: 1000 }] }
const TALK_3S = { bridge: [{ answer: true as const, talkMs: 3000 }] }
const extension = (number: string): Partial<SimCallOptions> => ({
  dialplan: {
    [number]: [
      ['set', `rig_transfer_target=${number}`],
      ['answer', ''],
      ['playback', 'tone_stream://%(300,0,660)'],
      ['hangup', 'NORMAL_CLEARING'],
    ],
  },
})

const SCENARIOS: Scenario[] = [
  { name: '01a-answer-playback-hangup-linger' },
  { name: '01b-answer-playback-hangup-linger2' },
  { name: '01c-answer-playback-hangup-nolinger' },
  { name: '02a-pagd-dtmf-uuid_send_dtmf', options: { dtmf: ['1234#'] } },
  { name: '02b-pagd-dtmf-long-prompt-uuid_recv_dtmf', options: { dtmf: [{ digits: '1234#', afterMs: 20, source: 'APP' }] } },
  { name: '02c-pagd-too-few-digits', options: { dtmf: ['12#'] } },
  { name: '03-pagd-timeout', options: { dtmf: [{ timeout: true }] } },
  { name: '04a-bridge-loopback-1000-callerid-privacy', options: TALK_3S },
  { name: '04b-bridge-user-1001-peer-killed', options: { bridge: [{ answer: true, talkMs: 2000, calleeCause: 'USER_BUSY' }] } },
  { name: '05a-bridge-fail-default-no-continue_on_fail', options: { bridge: [{ fail: 'NO_ROUTE_DESTINATION' }] } },
  {
    name: '05b-bridge-fail-continue_on_fail-true',
    options: {
      bridge: [{ fail: 'NO_ROUTE_DESTINATION' }, { fail: 'USER_BUSY' }, { fail: 'NO_ANSWER' }, { fail: 'ALLOTTED_TIMEOUT', afterMs: 2000 }, { fail: 'NO_ANSWER', afterMs: 2000 }],
    },
  },
  { name: '05c-bridge-fail-default-no-answer-continues', options: { bridge: [{ fail: 'NO_ANSWER' }] } },
  { name: '06a-caller-hangup-during-pagd-linger', options: PIN_HANGUP },
  { name: '06b-controlled-leg-killed-during-pagd-linger', options: PIN_HANGUP },
  { name: '06c-caller-hangup-during-pagd-nolinger', options: PIN_HANGUP },
  { name: '06d-caller-hangup-nolinger-repeat1', options: PIN_HANGUP },
  { name: '06d-caller-hangup-nolinger-repeat2', options: PIN_HANGUP },
  // The same script as repeat1 and repeat2, but this time the queued events were lost.
  { name: '06d-caller-hangup-nolinger-repeat3', options: { ...PIN_HANGUP, dropEventsWithoutLinger: true } },
  { name: '06e-controlled-leg-killed-nolinger', options: PIN_HANGUP },
  { name: '07a-controller-closes-socket' },
  { name: '07b-controller-closes-socket-during-playback' },
  { name: '08a-transfer-app', options: extension('4000') },
  { name: '08b-transfer-inline-app-list' },
  { name: '08c-xferext-app-list' },
  { name: '08d-transfer-with-queued-apps', options: extension('4001') },
  // Extension 3199 is the socket extension again: a second connection for the same channel.
  { name: '08e-transfer-back-into-socket-ext', options: { dialplan: { '3199': [['set', 'webhook=demo'], ['socket', '127.0.0.1:8084 async full']] } } },
  { name: '09a-back-to-back-sendmsg-event-lock' },
  { name: '09b-back-to-back-sendmsg-one-write' },
  { name: '09c-back-to-back-sendmsg-nolock-separate-writes' },
  { name: '09d-back-to-back-sendmsg-lock-one-write' },
  { name: '10-sip-inbound-via-rig-profile', options: { dtmf: [{ digits: '4321#', source: 'RTP' }] } },
  { name: 'J1-json-pagd-exit-while-up', options: { dtmf: ['1234#'] } },
  { name: 'J2-json-linger-caller-hangup-during-pagd', options: PIN_HANGUP },
  { name: 'J3a-variable-forms-json', options: TALK_3S },
  { name: 'J3b-variable-forms-plain', options: TALK_3S },
  { name: 'J4-bridge-dialstring-vars-privacy', options: TALK_3S },
  { name: 'J4b-bridge-hangup_after_bridge-on-caller', options: TALK_3S },
  { name: 'J4c-bridge-fail-continue_on_fail-in-dialstring', options: { bridge: [{ fail: 'NO_ROUTE_DESTINATION' }] } },
  { name: 'J5-sip-bridge-privacy-pid', options: TALK_3S },
  { name: 'J5b-sip-bridge-privacy-rpid', options: TALK_3S },
  { name: 'J6-bridge-no-answer-originate_timeout-2', options: { bridge: [{ fail: 'NO_ANSWER' }] } },
  { name: 'J7a-connect-after-3s-delay' },
  { name: 'J7b-no-command-for-30s', options: { firstCommandTimeoutMs: 250 } },
  { name: 'J7c-close-before-connect' },
  { name: 'K1-router-no-ivr-path-as-sent' },
  { name: 'K2-uuid_setvar_multi-edge-cases-uuid_kill' },
  { name: 'K3-recursive-expansion-and-hook-variables', options: { bridge: [{ answer: true, talkMs: 300 }] } },
]

describe('simulator conformance with the recorded FreeSWITCH transcripts', () => {
  let server: Server
  let sim: FreeSwitchSimulator

  before(async () => {
    server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    sim = new FreeSwitchSimulator({
      host: '127.0.0.1',
      port: (server.address() as AddressInfo).port,
      timeScale: 0.01,
      // The recording rig: its SIP profile `rig`, and directory user 1001 whose dial-string is a loopback (04b).
      profiles: ['internal', 'external', 'rig'],
      users: { '1001@127.0.0.1': { dialString: 'loopback/1001/default' } },
    })
  })

  after(async () => {
    await sim.close()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('every recording in test/fixtures/transcripts has a scenario here', () => {
    assert.deepEqual(
      SCENARIOS.map((scenario) => scenario.name).sort(),
      transcriptNames(),
    )
  })

  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: the simulator sends the recorded frames`, async () => {
      for (const { connection, recorded, simulated } of await replay(sim, server, scenario)) {
        assert.deepEqual(simulated.map(describeFrame), recorded.map(describeFrame), `${connection}: frame sequence`)
        for (let i = 0; i < recorded.length; i++) {
          const difference = headerDifference(simulated[i] as NormalFrame, recorded[i] as NormalFrame)
          assert.equal(difference, '', `${connection} frame ${i} ${describeFrame(recorded[i] as NormalFrame)} differs:\n${difference}`)
        }
      }
    })
  }
})
