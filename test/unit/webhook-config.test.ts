/** A Redis hash, as redis-cli writes it, to a validated webhook config (SPEC 3). */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DEFAULT_STEP_POLICY } from '../../src/steps/grammar.ts'
import { ConfigError, parseWebhookConfig, type WebhookConfig } from '../../src/config/webhook-config.ts'

const RULES = DEFAULT_STEP_POLICY
const URL_FIELD = { url: 'https://crm.example.com/lookup?callerid={callerid}&did={did}' }

function valid(hash: Record<string, string>): WebhookConfig {
  const config = parseWebhookConfig('webhook:crm', 'crm', { ...URL_FIELD, ...hash }, RULES)
  if (config instanceof ConfigError) throw config
  return config
}

function invalid(hash: Record<string, string>): ConfigError {
  const config = parseWebhookConfig('webhook:crm', 'crm', { ...URL_FIELD, ...hash }, RULES)
  assert.ok(config instanceof ConfigError, `expected ${JSON.stringify(hash)} to be refused`)
  return config
}

describe('webhook config', () => {
  it('has the SPEC defaults for every field but url', () => {
    const config = valid({})
    assert.equal(config.method, 'GET')
    assert.equal(config.timeoutMs, 3000)
    assert.equal(config.secret, undefined)
    assert.equal(config.callerId, 'caller')
    assert.equal(config.callerNameMode, 'webhook')
    assert.equal(config.callerNameText, '')
    assert.equal(config.ivr, false)
    assert.equal(config.ivrTimeoutSeconds, 5)
    assert.equal(config.ivrAttempts, 3)
    assert.equal(config.ivrMinDigits, 1)
    assert.equal(config.ivrMaxDigits, 16)
    assert.equal(config.ivrTerminator, '#')
    assert.equal(config.ivrStartMessage, '')
    assert.equal(config.ivrErrorMessage, '')
    assert.equal(config.ivrTimeoutMessage, '')
    assert.equal(config.destinations, undefined)
    assert.deepEqual(config.onSuccess, [])
    assert.deepEqual(config.onFailure, [])
    assert.equal(config.description, '')
  })

  it('reads every field as redis-cli writes it', () => {
    const config = valid({
      description: 'CRM lookup for ACME',
      method: 'post',
      timeout_ms: '1500',
      secret: 's3cret',
      caller_id: 'Suppressed',
      callername_mode: 'prepend',
      callername_text: 'ACME: ',
      ivr: 'yes',
      ivr_timeout: '10',
      ivr_attempts: '5',
      ivr_min_digits: '4',
      ivr_max_digits: '6',
      ivr_terminator: '*',
      ivr_start_message: 'ivr/ivr-please_enter_pin_followed_by_pound.wav',
      ivr_error_message: 'say:wrong code',
      ivr_timeout_message: 'tone_stream://%(250,0,440)',
      destinations: '\\+31[0-9]{9}|1[0-9]{3}',
      on_success: '["playback ivr/thanks.wav"]',
      on_failure: '["transfer 200 XML default", "hangup USER_BUSY"]',
    })
    assert.equal(config.method, 'POST')
    assert.equal(config.timeoutMs, 1500)
    assert.equal(config.secret, 's3cret')
    assert.equal(config.callerId, 'suppressed')
    assert.equal(config.callerNameMode, 'prepend')
    assert.equal(config.callerNameText, 'ACME: ')
    assert.equal(config.ivr, true)
    assert.equal(config.ivrTimeoutSeconds, 10)
    assert.equal(config.ivrAttempts, 5)
    assert.equal(config.ivrMinDigits, 4)
    assert.equal(config.ivrMaxDigits, 6)
    assert.equal(config.ivrTerminator, '*')
    assert.equal(config.ivrErrorMessage, 'say:wrong code')
    assert.ok(config.destinations?.test('+31502102544'))
    assert.ok(config.destinations?.test('1234'))
    assert.ok(!config.destinations?.test('+315021025440'), 'the pattern must match the whole destination')
    assert.ok(!config.destinations?.test('91234'))
    assert.deepEqual(config.onFailure, [
      { app: 'transfer', args: '200 XML default' },
      { app: 'hangup', args: 'USER_BUSY' },
    ])
  })

  it('accepts every spelling of the ivr flag', () => {
    for (const on of ['1', 'true', 'yes', 'on', 'TRUE', 'Yes']) assert.equal(valid({ ivr: on }).ivr, true, on)
    for (const off of ['0', 'false', 'no', 'off', '']) assert.equal(valid({ ivr: off }).ivr, false, off)
  })

  const refusals: Array<[Record<string, string>, string, RegExp]> = [
    [{ url: '' }, 'url', /required/],
    [{ url: 'crm.example.com/x' }, 'url', /absolute URL/],
    [{ url: 'ftp://crm.example.com/x' }, 'url', /scheme/],
    [{ url: 'https://crm.example.com/x?c={code' }, 'url', /unmatched/],
    [{ url: 'https://crm.example.com/x?c={pin}' }, 'url', /unknown placeholder \{pin\}/],
    [{ url: 'https://{callername}.example.com/x' }, 'url', /choose where/],
    [{ url: 'https://crm.example.com:{did}/x' }, 'url', /absolute URL|choose where/],
    [{ method: 'PUT' }, 'method', /GET or POST/],
    [{ timeout_ms: 'fast' }, 'timeout_ms', /whole number/],
    [{ timeout_ms: '99' }, 'timeout_ms', /between 100 and 60000/],
    [{ secret: 'a\nb' }, 'secret', /line breaks/],
    [{ caller_id: 'bogus' }, 'caller_id', /caller, dialed or suppressed/],
    [{ callername_mode: 'shout' }, 'callername_mode', /keep, webhook, prepend or replace/],
    [{ callername_text: 'x'.repeat(65) }, 'callername_text', /64/],
    [{ ivr: 'maybe' }, 'ivr', /1\/true\/yes/],
    [{ ivr_timeout: '0' }, 'ivr_timeout', /between 1 and 300/],
    [{ ivr_attempts: '-1' }, 'ivr_attempts', /whole number/],
    [{ ivr_min_digits: '5', ivr_max_digits: '4' }, 'ivr_max_digits', /below ivr_min_digits/],
    [{ ivr_terminator: '##' }, 'ivr_terminator', /one key/],
    [{ ivr_start_message: "it's.wav" }, 'ivr_start_message', /must be a sound name/],
    [{ ivr_error_message: '${system rm -rf /}' }, 'ivr_error_message', /must be a sound name/],
    [{ ivr_timeout_message: 'a\nb.wav' }, 'ivr_timeout_message', /must be a sound name/],
    [{ ivr_start_message: '/etc/passwd' }, 'ivr_start_message', /absolute path is not allowed/],
    [{ ivr_start_message: 'http://evil.example/x.wav' }, 'ivr_start_message', /no URLs/],
    [{ ivr_start_message: '../../../etc/shadow' }, 'ivr_start_message', /must be a sound name/],
    [{ destinations: '(' }, 'destinations', /not a valid pattern/],
    [{ destinations: '(a)\\1' }, 'destinations', /no backreferences/],
    [{ destinations: '\\d{1,1000}' }, 'destinations', /too complex/],
    [{ url: 'https://crm.example.com/x?a=1\tb' }, 'url', /control characters/],
    [{ url: 'https://crm.example.com/x\r\n?a=1' }, 'url', /control characters/],
    [{ on_success: 'transfer 200' }, 'on_success', /not valid JSON/],
    [{ on_failure: '{"app":"transfer"}' }, 'on_failure', /JSON array/],
    [{ on_failure: '[42]' }, 'on_failure', /not a string/],
    [{ on_failure: '["system rm -rf /"]' }, 'on_failure', /system is not allowed/],
    [{ on_failure: '["lua evil.lua"]' }, 'on_failure', /lua is not allowed/],
    [{ on_failure: '["Transfer 200"]' }, 'on_failure', /not an application name/],
    [{ on_failure: '["transfer ${system(id)}"]' }, 'on_failure', /needs an extension/],
    [{ on_failure: '["log INFO a\\nb"]' }, 'on_failure', /control character/],
  ]
  for (const [hash, field, reason] of refusals) {
    it(`refuses ${JSON.stringify(hash).slice(0, 70)}, naming key, field and reason`, () => {
      const error = invalid(hash)
      assert.equal(error.key, 'webhook:crm')
      assert.equal(error.field, field)
      assert.match(error.reason, reason)
      assert.match(error.message, new RegExp(`^webhook:crm field ${field}`))
    })
  }

  it('lets outcome-variable references through in fallback arguments, nothing else', () => {
    assert.deepEqual(valid({ on_failure: '["log INFO failed: ${webhook_reason}"]' }).onFailure, [{ app: 'log', args: 'INFO failed: ${webhook_reason}' }])
    assert.match(invalid({ on_failure: '["transfer ${destination_number} XML $${default_context}"]' }).reason, /needs an extension/)
  })

  it('allows applications the operator added', () => {
    const rules = { ...DEFAULT_STEP_POLICY, extraApps: new Set(['lua']) }
    const config = parseWebhookConfig('webhook:x', 'x', { ...URL_FIELD, on_failure: '["lua notify.lua"]' }, rules)
    assert.ok(!(config instanceof ConfigError))
  })
})
