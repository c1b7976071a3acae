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
