/**
 * A webhook config's refusals word for word (SPEC 3): `config validate`, the
 * console and the router's log show these lines to the person fixing the
 * hash, so each names the key, the field, the value (the secret never, a long
 * value cut, a URL's query masked) and what is allowed; every bound is tested
 * on both sides.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConfigError, describeProblem, maskUrlTemplate, parseWebhookConfig, shownValue, type WebhookConfig } from '../../src/config/webhook-config.ts'
import { DEFAULT_STEP_POLICY } from '../../src/steps/grammar.ts'

const URL_FIELD = { url: 'https://crm.example.com/lookup' }

function parse(hash: Record<string, string>): WebhookConfig | ConfigError {
  return parseWebhookConfig('webhook:crm', 'crm', { ...URL_FIELD, ...hash }, DEFAULT_STEP_POLICY)
}

function valid(hash: Record<string, string>): WebhookConfig {
  const config = parse(hash)
  if (config instanceof ConfigError) throw config
  return config
}

function message(hash: Record<string, string>): string {
  const config = parse(hash)
  assert.ok(config instanceof ConfigError, `expected ${JSON.stringify(hash)} to be refused`)
  return config.message
}

describe('webhook config, word for word', () => {
  it('whole numbers: both ends of each range, the unit named, blanks take the default', () => {
    for (const [field, min, max, unit, key] of [
      ['timeout_ms', 100, 60_000, ' (milliseconds)', 'timeoutMs'],
      ['ivr_timeout', 1, 300, ' (seconds)', 'ivrTimeoutSeconds'],
      ['ivr_attempts', 1, 10, '', 'ivrAttempts'],
      ['ivr_min_digits', 1, 32, '', 'ivrMinDigits'],
      ['ivr_max_digits', 1, 32, '', 'ivrMaxDigits'],
    ] as const) {
      const both = field === 'ivr_min_digits' ? { ivr_max_digits: '32' } : field === 'ivr_max_digits' ? { ivr_min_digits: '1' } : {}
      assert.equal(valid({ ...both, [field]: String(min) })[key], min, `${field} ${min}`)
      assert.equal(valid({ ...both, [field]: ` ${max} ` })[key], max, `${field} ${max}`)
      assert.equal(message({ ...both, [field]: String(min - 1) }), `webhook:crm field ${field} = "${min - 1}": must be between ${min} and ${max}${unit}`)
      assert.equal(message({ ...both, [field]: String(max + 1) }), `webhook:crm field ${field} = "${max + 1}": must be between ${min} and ${max}${unit}`)
      assert.equal(message({ ...both, [field]: '1.5' }), `webhook:crm field ${field} = "1.5": is not a whole number${unit}`)
    }
    assert.equal(valid({ timeout_ms: '  ' }).timeoutMs, 3000)
    assert.equal(valid({ ivr_attempts: '' }).ivrAttempts, 3)
  })

  it('ivr_max_digits may equal ivr_min_digits, not be below it', () => {
    assert.equal(valid({ ivr_min_digits: '4', ivr_max_digits: '4' }).ivrMaxDigits, 4)
    assert.equal(message({ ivr_min_digits: '5', ivr_max_digits: '4' }), 'webhook:crm field ivr_max_digits = "4": is below ivr_min_digits (5)')
  })

  it('flags: every spelling of on and off, in any case', () => {
    for (const on of ['1', 'true', 'YES', 'On']) assert.equal(valid({ ivr: on }).ivr, true, on)
    for (const off of ['', '0', 'False', 'no', 'OFF']) assert.equal(valid({ ivr: off }).ivr, false, off)
    assert.equal(message({ ivr: 'maybe' }), 'webhook:crm field ivr = "maybe": must be 1/true/yes or 0/false/no')
  })

  it('choices: method, caller_id, callername_mode, each in any case, and what is allowed when wrong', () => {
    assert.equal(valid({ method: 'post' }).method, 'POST')
    assert.equal(valid({ method: ' Get ' }).method, 'GET')
    assert.equal(message({ method: 'PUT' }), 'webhook:crm field method = "PUT": must be GET or POST')
    for (const mode of ['caller', 'Dialed', 'SUPPRESSED'] as const) assert.equal(valid({ caller_id: mode }).callerId, mode.toLowerCase())
    assert.equal(message({ caller_id: 'hidden' }), 'webhook:crm field caller_id = "hidden": must be caller, dialed or suppressed')
    for (const mode of ['keep', 'Webhook', 'prepend', 'REPLACE']) assert.equal(valid({ callername_mode: mode }).callerNameMode, mode.toLowerCase())
    assert.equal(message({ callername_mode: 'append' }), 'webhook:crm field callername_mode = "append": must be keep, webhook, prepend or replace')
  })

  it('callername_text: 64 characters (not bytes) at most, kept as written', () => {
    assert.equal(valid({ callername_text: 'é'.repeat(64) }).callerNameText, 'é'.repeat(64))
    assert.equal(valid({ callername_text: ' ACME: ' }).callerNameText, ' ACME: ')
    assert.equal(message({ callername_text: 'x'.repeat(65) }), `webhook:crm field callername_text = "${'x'.repeat(65)}": is longer than 64 characters`)
  })

  it('ivr_terminator: one key; unset is #, set blank is refused', () => {
    for (const key of ['0', '9', '*', '#']) assert.equal(valid({ ivr_terminator: key }).ivrTerminator, key)
    assert.equal(valid({}).ivrTerminator, '#')
    assert.equal(message({ ivr_terminator: '' }), 'webhook:crm field ivr_terminator = "": must be one key: 0-9, * or #')
    assert.equal(message({ ivr_terminator: '##' }), 'webhook:crm field ivr_terminator = "##": must be one key: 0-9, * or #')
    assert.equal(message({ ivr_terminator: 'A' }), 'webhook:crm field ivr_terminator = "A": must be one key: 0-9, * or #')
  })

  it('url: required, no whitespace or control characters anywhere, the rest kept', () => {
    assert.equal(message({ url: ' ' }), 'webhook:crm field url = " ": is required')
    const config = parseWebhookConfig('webhook:crm', 'crm', {}, DEFAULT_STEP_POLICY)
    assert.ok(config instanceof ConfigError)
    assert.equal(config.message, 'webhook:crm field url: is required')
    for (const url of ['https://a.example/x y', 'https://a.example/\tx', 'https://a.example/x\u200b']) {
      assert.equal(message({ url }), `webhook:crm field url = ${JSON.stringify(url)}: may not contain spaces, tabs, line breaks or other control characters`)
    }
    assert.equal(message({ url: 'https://a.example/x\n' }), 'webhook:crm field url = "https://a.example/x\\n": may not contain spaces, tabs, line breaks or other control characters')
    assert.equal(valid({ url: ' https://a.example/x ' }).url !== undefined, true, 'spaces around the URL are trimmed')
  })

  it('secret: no line breaks or NUL; never shown, only its length', () => {
    assert.equal(valid({ secret: 'a b' }).secret, 'a b')
    assert.equal(valid({ secret: '' }).secret, undefined)
    for (const secret of ['a\rb', 'a\nb', 'a\0b']) assert.equal(message({ secret }), 'webhook:crm field secret = <hidden, 3 characters>: may not contain line breaks or NUL')
  })

  it('every problem is reported, in field order; the first is the error\'s field, value and reason', () => {
    const config = parse({ method: 'PUT', caller_id: 'x', ivr: 'maybe' })
    assert.ok(config instanceof ConfigError)
    assert.equal(
      config.message,
      'webhook:crm field method = "PUT": must be GET or POST; webhook:crm field caller_id = "x": must be caller, dialed or suppressed; webhook:crm field ivr = "maybe": must be 1/true/yes or 0/false/no',
    )
    assert.equal(config.field, 'method')
    assert.equal(config.value, 'PUT')
    assert.equal(config.reason, 'must be GET or POST')
    assert.equal(config.key, 'webhook:crm')
    assert.equal(config.problems.length, 3)
    const empty = new ConfigError('webhook:x', [])
    assert.deepEqual([empty.field, empty.value, empty.reason], ['(config)', undefined, 'is invalid'])
  })

  it('values in messages: cut at 80 characters, the secret hidden, a URL\'s query and credentials masked', () => {
    assert.equal(shownValue('description', 'x'.repeat(80)), JSON.stringify('x'.repeat(80)))
    assert.equal(shownValue('description', 'x'.repeat(81)), JSON.stringify(`${'x'.repeat(80)}...`))
    assert.equal(shownValue('secret', 'abcd'), '<hidden, 4 characters>')
    assert.equal(describeProblem('webhook:a', { field: 'url', value: undefined, reason: 'is required' }), 'webhook:a field url: is required')
    assert.equal(maskUrlTemplate('https://u:p@[bad/x?token=1&b=2'), 'https://[bad/x?<11>')
    assert.equal(maskUrlTemplate('https://u:p@a.example/x\t?token=1'), 'https://a.example/x\t?<7>', 'a tab shown, not parsed away')
  })

  it('description is kept as written; messages and lists are read trimmed', () => {
    const config = valid({ description: '  ACME  ', ivr_start_message: ' ivr/start.wav ', on_success: ' ["hangup"] ' })
    assert.equal(config.description, '  ACME  ')
    assert.equal(config.ivrStartMessage, 'ivr/start.wav')
    assert.deepEqual(config.onSuccess, [{ app: 'hangup', args: '' }])
  })
})
