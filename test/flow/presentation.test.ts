/**
 * What the callee sees (SPEC 8), read at bridge time from what the simulated
 * FreeSWITCH puts on the callee's leg: every caller-name mode, every caller-ID
 * presentation, towards a trunk (E.164) and towards a local extension.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { text as fromBytes } from '../sim/fs-strings.ts'
import { RouterHarness } from '../support/router-harness.ts'

const CALLER = { callerIdName: 'Jan Jansen', callerIdNumber: '31612345678', destinationNumber: '31201234567' }

describe('caller name shown to the callee', () => {
  let h: RouterHarness
  before(async () => {
    h = await RouterHarness.start()
  })
  after(async () => h.close())

  const cases: Array<{ mode: string; text?: string; webhookName?: string; shown: string }> = [
    { mode: 'keep', webhookName: 'ACME', shown: 'Jan Jansen' },
    { mode: 'webhook', webhookName: 'ACME', shown: 'ACME' },
    { mode: 'webhook', shown: 'Jan Jansen' },
    { mode: 'prepend', text: 'VIP ', webhookName: 'ACME', shown: 'VIP ACME' },
    { mode: 'prepend', text: 'VIP ', shown: 'VIP Jan Jansen' },
    { mode: 'replace', text: 'Sales desk', webhookName: 'ACME', shown: 'Sales desk' },
    { mode: 'replace', text: 'Sales desk', shown: 'Sales desk' },
    { mode: 'webhook', webhookName: 'N'.repeat(100), shown: 'N'.repeat(64) },
    { mode: 'webhook', webhookName: 'Tab\there\r\nand "quotes"', shown: 'Tab here and \u201Dquotes\u201D' },
  ]
  for (const { mode, text, webhookName, shown } of cases) {
    it(`${mode}${text ? ` "${text}"` : ''}, webhook name ${webhookName === undefined ? 'absent' : JSON.stringify(webhookName.slice(0, 20))}: "${shown.slice(0, 20)}"`, async () => {
      await h.configure('names', { url: h.webhook.url('/n'), callername_mode: mode, ...(text ? { callername_text: text } : {}) })
      h.webhook.reply({ body: `status=ACK&destination=%2B31502102544${webhookName === undefined ? '' : `&callername=${encodeURIComponent(webhookName)}`}` })
      const { call } = await h.call({ variables: { webhook: 'names' }, ...CALLER })
      assert.equal(call.bridges[0]?.callee.callerIdName, shown)
      assert.equal(fromBytes(String(call.bridges[0]?.variables.get('effective_caller_id_name'))), shown)
    })
  }
})

describe('caller-ID presentation', () => {
  let h: RouterHarness
  before(async () => {
    h = await RouterHarness.start({ env: { DIAL_EXTENSION: 'user/{number}@example.com', DIAL_E164: '{ignore_early_media=true}sofia/gateway/carrier/{number}' } })
  })
  after(async () => h.close())

  const bridgeFor = async (callerId: string, destination: string) => {
    await h.configure('presentation', { url: h.webhook.url('/p'), caller_id: callerId })
    h.webhook.reply({ body: `status=ACK&destination=${encodeURIComponent(destination)}&callername=ACME` })
    const { call } = await h.call({ variables: { webhook: 'presentation' }, ...CALLER })
    const bridge = call.bridges[0]
    assert.ok(bridge, 'bridged')
    return bridge
  }

  it('caller: the callee sees the caller number', async () => {
    const bridge = await bridgeFor('caller', '+31502102544')
    assert.equal(bridge.callee.callerIdNumber, '31612345678')
    assert.equal(bridge.callee.hideNumber, false)
    assert.equal(bridge.dialString, '{ignore_early_media=true}sofia/gateway/carrier/+31502102544')
  })

  it('dialed: the callee sees the number that was called', async () => {
    const bridge = await bridgeFor('dialed', '1001')
    assert.equal(bridge.callee.callerIdNumber, '31201234567')
    assert.equal(bridge.callee.callerIdName, 'ACME')
  })

  it('suppressed towards a trunk: anonymous to the callee, real identity in P-Asserted-Identity (pid, Privacy: id)', async () => {
    const bridge = await bridgeFor('suppressed', '+31502102544')
    assert.equal(bridge.dialString, '{origination_privacy=screen+hide_name+hide_number,sip_cid_type=pid,sip_from_display=Anonymous,ignore_early_media=true}sofia/gateway/carrier/+31502102544')
    assert.equal(bridge.callee.hideName, true)
    assert.equal(bridge.callee.hideNumber, true)
    assert.equal(bridge.callee.cidType, 'pid')
    // The asserted identity carries the real caller.
    assert.equal(bridge.callee.callerIdNumber, '31612345678')
  })

  it('suppressed towards an extension: name Anonymous, number anonymous', async () => {
    const bridge = await bridgeFor('suppressed', '1001')
    assert.equal(bridge.callee.callerIdName, 'Anonymous')
    assert.equal(bridge.callee.callerIdNumber, 'anonymous')
    assert.equal(bridge.callee.hideName, true)
    assert.equal(bridge.callee.hideNumber, true)
    assert.equal(bridge.dialString, '{origination_privacy=screen+hide_name+hide_number,sip_cid_type=pid,sip_from_display=Anonymous}user/1001@example.com')
  })
})

describe('presentation on every path after an ACK (found on the real switch)', () => {
  let h: RouterHarness
  before(async () => {
    h = await RouterHarness.start()
  })
  after(async () => h.close())

  it('ACK without a destination, on_success bridges: the callee sees the webhook callername, not the caller name', async () => {
    await h.configure('success-list', { url: h.webhook.url('/s'), on_success: '["bridge +31502102544"]' })
    h.webhook.reply({ body: 'status=ACK&callername=Jan%20Jansen' })
    const { call } = await h.call({ variables: { webhook: 'success-list' }, callerIdName: 'Jan Caller', callerIdNumber: '31612345678' })
    assert.equal(call.bridges[0]?.dialString, 'sofia/gateway/default/+31502102544')
    assert.equal(call.bridges[0]?.callee.callerIdName, 'Jan Jansen')
    assert.equal(call.bridges[0]?.callee.callerIdNumber, '31612345678')
  })

  it("ACK without a destination and no list: the dialplan's own bridge after the hand-back shows it too", async () => {
    await h.configure('handback', { url: h.webhook.url('/h'), caller_id: 'dialed', callername_mode: 'prepend', callername_text: 'CRM: ' })
    h.webhook.reply({ body: 'status=ACK&callername=ACME' })
    const { call, result } = await h.call({
      variables: { webhook: 'handback' },
      ...CALLER,
      afterSocket: [['bridge', 'sofia/gateway/default/+31509999999']],
    })
    assert.equal(result.disposition, 'handed-back')
    assert.deepEqual(call.dialplanApps.map(([app]) => app), ['bridge'])
    assert.equal(call.bridges[0]?.callee.callerIdName, 'CRM: ACME')
    assert.equal(call.bridges[0]?.callee.callerIdNumber, '31201234567')
  })

  it('ACK with a refused destination: the failure list bridges with the ACK presentation', async () => {
    await h.configure('refused', { url: h.webhook.url('/r'), destinations: '\\+31\\d{9}', on_failure: '["bridge 1001"]' })
    h.webhook.reply({ body: 'status=ACK&destination=%2B1900555&callername=Gold%20Customer' })
    const { call, summary } = await h.call({ variables: { webhook: 'refused' }, ...CALLER, bridge: [{ answer: true }] })
    assert.equal(summary.outcome.reason, 'bad_destination')
    assert.equal(call.bridges[0]?.callee.callerIdName, 'Gold Customer')
  })

  it('a suppressed caller stays anonymous on a list bridge, with the real identity for P-Asserted-Identity towards a trunk', async () => {
    await h.configure('private', { url: h.webhook.url('/p'), caller_id: 'suppressed', on_success: '["bridge +31502102544"]' })
    h.webhook.reply({ body: 'status=ACK&callername=ACME' })
    const { call } = await h.call({ variables: { webhook: 'private' }, ...CALLER })
    const bridge = call.bridges[0]
    assert.equal(
      bridge?.dialString,
      '{origination_caller_id_name=ACME,origination_caller_id_number=31612345678,origination_privacy=screen+hide_name+hide_number,sip_cid_type=pid,sip_from_display=Anonymous}sofia/gateway/default/+31502102544',
    )
    assert.equal(bridge?.callee.hideName, true)
    assert.equal(bridge?.callee.hideNumber, true)
    assert.equal(bridge?.callee.callerIdNumber, '31612345678')
    assert.equal(call.variable('effective_caller_id_name'), 'Anonymous')
  })

  it('before an ACK (a failure) the caller keeps their own identity', async () => {
    await h.configure('nak-list', { url: h.webhook.url('/n'), callername_mode: 'replace', callername_text: 'Replaced', on_failure: '["bridge +31502102544"]' })
    h.webhook.reply({ body: 'status=NAK&callername=ACME' })
    const { call } = await h.call({ variables: { webhook: 'nak-list' }, ...CALLER })
    assert.equal(call.bridges[0]?.callee.callerIdName, 'Jan Jansen')
    assert.equal(call.variable('effective_caller_id_name'), undefined)
  })
})
