/** Routing decisions and outcome variables (SPEC 8, 9): pure functions. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { outcomeVariables } from '../../src/call/outcome.ts'
import { calleeDisplayName, classifyDestination, dialString, presentableNumber } from '../../src/call/routing.ts'
import { DEFAULT_STEP_POLICY } from '../../src/steps/grammar.ts'
import { ConfigError, parseWebhookConfig, type WebhookConfig } from '../../src/config/webhook-config.ts'
import { unsafeValueReason } from '../../src/esl/variables.ts'

const DIAL = { dialE164: 'sofia/gateway/default/{number}', dialExtension: 'user/{number}@${domain_name}' }

function config(hash: Record<string, string>): WebhookConfig {
  const parsed = parseWebhookConfig('webhook:t', 't', { url: 'https://x.example/', ...hash }, DEFAULT_STEP_POLICY)
  if (parsed instanceof ConfigError) throw parsed
  return parsed
}

describe('destinations', () => {
  it('E.164 is + and 2 to 15 digits, first not 0; an extension is 1 to 8 digits', () => {
    for (const ok of ['+31', '+315021025440123']) assert.deepEqual(classifyDestination(ok, undefined), { kind: 'e164', number: ok })
    assert.deepEqual(classifyDestination('1001', undefined), { kind: 'extension', number: '1001' })
    assert.deepEqual(classifyDestination(' 12345678 ', undefined), { kind: 'extension', number: '12345678' })
    for (const bad of ['', '+1', '+0123', '+1234567890123456', '123456789', '10 01', '1001#', 'sip:1001@x', '+31 50', '٣١٢']) {
      assert.deepEqual(classifyDestination(bad, undefined), { refused: 'not an E.164 number (+ and 2-15 digits) nor an extension (1-8 digits)' }, bad)
    }
  })

  it('the destinations pattern must match the whole number', () => {
    const allowed = config({ destinations: '\\+31[0-9]+' }).destinations
    assert.ok('kind' in classifyDestination('+31502102544', allowed))
    assert.deepEqual(classifyDestination('+441632960001', allowed), { refused: 'does not match the webhook\'s "destinations" pattern' })
  })

  it('only digits and + ever reach a dial string', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (raw) => {
        const result = classifyDestination(raw, undefined)
        if ('refused' in result) return
        assert.match(dialString(result, DIAL, false), /^(sofia\/gateway\/default\/\+|user\/)\d+(@\$\{domain_name\})?$/)
      }),
    )
  })

  it('dial strings: the number replaces {number}; suppressed adds privacy, merged into an existing {} block', () => {
    assert.equal(dialString({ kind: 'e164', number: '+31502102544' }, DIAL, false), 'sofia/gateway/default/+31502102544')
    assert.equal(dialString({ kind: 'extension', number: '1001' }, DIAL, false), 'user/1001@${domain_name}')
    assert.equal(
      dialString({ kind: 'e164', number: '+31502102544' }, DIAL, true),
      '{origination_privacy=screen+hide_name+hide_number,sip_cid_type=pid,sip_from_display=Anonymous}sofia/gateway/default/+31502102544',
    )
    assert.equal(
      dialString({ kind: 'e164', number: '+3150' }, { ...DIAL, dialE164: '{leg_timeout=20}sofia/gateway/gw/{number}' }, true),
      '{origination_privacy=screen+hide_name+hide_number,sip_cid_type=pid,sip_from_display=Anonymous,leg_timeout=20}sofia/gateway/gw/+3150',
    )
  })
})

describe('caller name and number', () => {
  it('every mode, with and without a name from the webhook', () => {
    const name = (hash: Record<string, string>, webhook: string | undefined): string => calleeDisplayName(config(hash), 'Jan', webhook)
    assert.equal(name({ callername_mode: 'keep' }, 'ACME'), 'Jan')
    assert.equal(name({ callername_mode: 'webhook' }, 'ACME'), 'ACME')
    assert.equal(name({ callername_mode: 'webhook' }, undefined), 'Jan')
    assert.equal(name({ callername_mode: 'webhook' }, '   '), 'Jan')
    assert.equal(name({ callername_mode: 'prepend', callername_text: 'VIP ' }, 'ACME'), 'VIP ACME')
    assert.equal(name({ callername_mode: 'prepend', callername_text: 'VIP ' }, undefined), 'VIP Jan')
    assert.equal(name({ callername_mode: 'replace', callername_text: 'Sales' }, 'ACME'), 'Sales')
  })

  it('the shown name is at most 64 printable characters and always safe to set', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), (webhook, caller) => {
        const shown = calleeDisplayName(config({ callername_mode: 'prepend', callername_text: 'x' }), caller, webhook)
        assert.ok(Array.from(shown).length <= 64)
        assert.equal(unsafeValueReason(shown), undefined, JSON.stringify(shown))
        assert.ok(!/[\p{Cc}\p{Cf}]/u.test(shown))
      }),
    )
  })

  it('a presentable number keeps digits, letters and + * # . _ - only', () => {
    assert.equal(presentableNumber('+31 (6) 1234-5678'), '+3161234-5678')
    assert.equal(presentableNumber('${system id};x\n'), 'systemidx')
    assert.equal(presentableNumber('1'.repeat(50)).length, 32)
  })
})

describe('outcome variables', () => {
  it('sets all of them, empty (unset) when unknown, inert always', () => {
    assert.deepEqual(outcomeVariables({ result: 'failure', reason: 'config_missing', attempts: 0 }), {
      webhook_result: 'failure',
      webhook_reason: 'config_missing',
      webhook_status: '',
      webhook_destination: '',
      webhook_callername: '',
      webhook_code: '',
      webhook_http_status: '',
      webhook_latency_ms: '',
      webhook_attempts: '0',
      webhook_bridge_cause: '',
    })
    const variables = outcomeVariables({
      result: 'failure',
      reason: 'bridge_failed',
      status: 'ACK',
      destination: '+31502102544',
      callername: 'A;B ${x}\n',
      code: '12#',
      httpStatus: 200,
      latencyMs: 41.6,
      attempts: 2,
      bridgeCause: 'USER_BUSY',
    })
    assert.equal(variables['webhook_callername'], 'A B (x)')
    assert.equal(variables['webhook_destination'], '+31502102544')
    assert.equal(variables['webhook_latency_ms'], '42')
    assert.equal(variables['webhook_code'], '12#')
    assert.equal(variables['webhook_bridge_cause'], 'USER_BUSY')
    for (const value of Object.values(variables)) assert.equal(unsafeValueReason(value), undefined)
  })

  it('keeps only the characters each value can hold, whatever reaches it (defence in depth behind the checks before)', () => {
    const variables = outcomeVariables({
      result: 'failure',
      reason: 'bridge_failed',
      destination: '+31 50${x}',
      code: '1a2*#;',
      attempts: 1,
      bridgeCause: 'user_BUSY;${x}',
    })
    assert.equal(variables['webhook_destination'], '+3150')
    assert.equal(variables['webhook_code'], '12*#')
    assert.equal(variables['webhook_bridge_cause'], '_BUSY')
  })
})
