/**
 * Security (SPEC 10): hostile text from the webhook (destination, callername)
 * and from the caller (SIP display name and number) never reaches a dial
 * string, an Event Socket header or a variable expansion, and the call still
 * takes the documented path. Every hostile value carries the marker INJ.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { SimCall } from '../sim/simulator.ts'
import { RouterHarness } from '../support/router-harness.ts'

const MARK = 'INJ'
const HOSTILE: readonly string[] = [
  `${MARK}\nContent-Type: command/reply`,
  `${MARK}\r\n\r\nsendmsg\ncall-command: hangup`,
  `${MARK},user/666@evil`,
  `${MARK}|sofia/gateway/evil/666`,
  `{${MARK}=1}sofia/gateway/evil/666`,
  `[${MARK}=1]user/666`,
  `\${system touch /tmp/${MARK}}`,
  `$\${${MARK}}`,
  `\\\${api_result ${MARK}}`,
  `${MARK}\${uuid_kill \${uuid}}`,
  `${MARK}@evil.example.com`,
  `${MARK};effective_caller_id_number=666`,
  `${MARK}'"quoted"'`,
  `${MARK}\0after-nul`,
  `${MARK}\u2028\u202Eright-to-left`,
  `${MARK}${'x'.repeat(10 * 1024)}`,
  `+31502102544\n${MARK}`,
  `+31502102544,${MARK}`,
  `1001@${MARK}`,
  `1001/${MARK}:5060`,
]
/** Not UTF-8: latin1 bytes, a lone continuation byte, an overlong encoding. */
const HOSTILE_BYTES: readonly Buffer[] = [
  Buffer.concat([Buffer.from(MARK), Buffer.from([0xff, 0xfe, 0x24, 0x7b, 0x78, 0x7d])]),
  Buffer.concat([Buffer.from(MARK), Buffer.from([0x80, 0x0a, 0xc0, 0xaf])]),
]

/** Nothing hostile in a header or command line the router sent, and FreeSWITCH expanded no API call. */
function assertNothingReachedFreeSwitch(call: SimCall): void {
  assert.deepEqual(call.apiExpansions, [], 'no ${api} expansion ran')
  for (const frame of call.received) {
    for (const [name, value] of frame.headers) {
      assert.ok(!name.includes(MARK) && !value.includes(MARK), `header ${name}: ${value.slice(0, 80)}`)
    }
    const command = frame.command ?? ''
    assert.ok(!/[\r\n\0$]/.test(command), `command line ${JSON.stringify(command.slice(0, 80))}`)
  }
  for (const bridge of call.bridges) {
    assert.ok(!bridge.dialString.includes(MARK), `dial string ${bridge.dialString.slice(0, 80)}`)
    assert.ok(!/[$\r\n]/.test(bridge.callee.callerIdName), 'callee name is inert')
    assert.ok(/^[A-Za-z0-9+*#._-]*$/.test(bridge.callee.callerIdNumber), `callee number ${bridge.callee.callerIdNumber.slice(0, 40)}`)
    assert.ok(Array.from(bridge.callee.callerIdName).length <= 64)
  }
  for (const [name, value] of call.variables()) {
    if (name.startsWith('webhook_') || name.startsWith('effective_caller_id')) assert.ok(!/[$\r\n\0;]/.test(value), `${name}=${value.slice(0, 60)}`)
  }
}

describe('injection corpus', () => {
  let h: RouterHarness
  before(async () => {
    h = await RouterHarness.start()
    await h.configure('hostile', { url: h.webhook.url('/hook?name={callername}&from={callerid}&did={did}'), callername_mode: 'webhook' })
    await h.configure('keep', { url: h.webhook.url('/hook?name={callername}&from={callerid}'), callername_mode: 'keep', caller_id: 'caller' })
  })
  after(async () => h.close())

  it('a hostile destination from the webhook is refused (bad_destination) and never dialled', async () => {
    for (const destination of HOSTILE) {
      h.webhook.reply({ body: `status=ACK&destination=${encodeURIComponent(destination)}` })
      const { call, summary } = await h.call({ variables: { webhook: 'hostile' } })
      assert.equal(call.bridges.length, 0, JSON.stringify(destination.slice(0, 40)))
      assert.equal(summary.outcome.reason, 'bad_destination')
      assert.equal(call.variable('webhook_reason'), 'bad_destination')
      assertNothingReachedFreeSwitch(call)
    }
  })

  it('a hostile destination in a JSON answer too', async () => {
    for (const destination of HOSTILE.slice(0, 6)) {
      h.webhook.reply({ headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'ACK', destination }) })
      const { call, summary } = await h.call({ variables: { webhook: 'hostile' } })
      assert.equal(summary.outcome.reason, 'bad_destination')
      assertNothingReachedFreeSwitch(call)
    }
  })

  it('a hostile callername from the webhook is shown as inert text and the call is bridged', async () => {
    for (const callername of HOSTILE) {
      h.webhook.reply({ body: `status=ACK&destination=%2B31502102544&callername=${encodeURIComponent(callername)}` })
      const { call, summary } = await h.call({ variables: { webhook: 'hostile' } })
      assert.equal(summary.outcome.reason, 'ok', JSON.stringify(callername.slice(0, 40)))
      assert.equal(call.bridges[0]?.dialString, 'sofia/gateway/default/+31502102544')
      assertNothingReachedFreeSwitch(call)
    }
  })

  it("a hostile caller's SIP name and number reach the webhook percent-encoded and the callee as inert text", async () => {
    h.webhook.reply({ body: 'status=ACK&destination=%2B31502102544' })
    const names: Array<{ callerIdName: string } | { callerIdNameBytes: Buffer }> = [
      ...HOSTILE.map((callerIdName) => ({ callerIdName })),
      ...HOSTILE_BYTES.map((callerIdNameBytes) => ({ callerIdNameBytes })),
    ]
    for (const [index, name] of names.entries()) {
      // Shifted by one so the 10 KB name and the 10 KB number travel in different calls (the URL stays under 16 KB).
      const callerIdNumber = HOSTILE[(index + 1) % HOSTILE.length] as string
      for (const webhook of ['hostile', 'keep']) {
        const { call, summary } = await h.call({ variables: { webhook }, ...name, callerIdNumber })
        assert.equal(summary.outcome.reason, 'ok', JSON.stringify(h.logs.find('webhook failed').at(-1)?.['detail']))
        const request = h.webhook.requests.at(-1)
        // The URL kept its structure: the template's keys and nothing else.
        assert.deepEqual([...new Set(request?.query.keys())].sort(), webhook === 'hostile' ? ['did', 'from', 'name'] : ['from', 'name'])
        if ('callerIdName' in name && !name.callerIdName.includes('\0')) assert.equal(request?.query.get('name'), name.callerIdName)
        assert.equal(call.bridges[0]?.dialString, 'sofia/gateway/default/+31502102544')
        assertNothingReachedFreeSwitch(call)
      }
    }
  })
})
