/** The console's pure parts: tokens, translations, masking, the form's rows, the dialplan lines. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DEFAULT_STEP_POLICY } from '../../src/steps/grammar.ts'
import { dialplanFor, readForm } from '../../src/console/form.ts'
import { MESSAGES } from '../../src/console/i18n.ts'
import { loadConsoleSettings } from '../../src/console/settings.ts'
import { hashToken, newToken, TokenSet } from '../../src/console/tokens.ts'
import { SettingError } from '../../src/config/env.ts'
import { shownTemplate } from '../../src/records/mask.ts'
import { auditChanges } from '../../src/records/audit.ts'
import { tokenCommand } from '../../src/cli/admin.ts'

describe('tokens', () => {
  it('`admin token` prints the token, then its ADMIN_TOKENS entry: the hash, the role and the prefix', () => {
    let out = ''
    const io = { out: (text: string) => (out += text), err: (text: string) => (out += text) }
    assert.equal(tokenCommand(['--role', 'read', '--prefix', 'acme-'], io), 0)
    const [token, entry, rest] = out.split('\n')
    assert.match(token ?? '', /^wrt_[A-Za-z0-9_-]{43}$/)
    assert.equal(entry, `${hashToken(token ?? '')}:read:acme-`)
    assert.equal(rest, '')
    const tokens = TokenSet.parse(`${newToken('admin', '').entry}, ${entry}`)
    assert.ok(!(tokens instanceof Error))
    assert.deepEqual(tokens.verify(token ?? ''), { id: (entry ?? '').slice(0, 8), role: 'read', prefix: 'acme-' })
    assert.equal(tokens.verify(`${token}x`), undefined)
    assert.equal(tokenCommand(['--role', 'root'], io), 2)
    assert.equal(tokenCommand(['--role', 'admin', '--prefix', 'a b'], io), 2)
  })

  it('ADMIN_TOKENS: a wrong entry is named; no token at all is refused; only hashes are accepted', () => {
    assert.match(String(TokenSet.parse('nothex:admin:')), /entry 1 is not <sha256 hex>:<role>:<prefix>/)
    assert.match(String(TokenSet.parse(`${'a'.repeat(64)}:admin:,${'b'.repeat(64)}:owner:`)), /entry 2: role must be admin or read/)
    const settings = loadConsoleSettings({ ADMIN_TOKENS: '' }, [])
    assert.ok(settings instanceof SettingError && /ADMIN_TOKENS: lists no token/.test(settings.message))
    const ok = loadConsoleSettings({ ADMIN_TOKENS: newToken('admin', '').entry }, ['--admin-port', '0'])
    assert.ok(!(ok instanceof SettingError))
    assert.deepEqual([ok.host, ok.port], ['127.0.0.1', 0])
    assert.equal((loadConsoleSettings({ ADMIN_TOKENS: newToken('admin', '').entry }, []) as { port: number }).port, 8080)
  })
})

describe('the console pure parts', () => {
  it('every English message has a Dutch one', () => {
    const missing = Object.keys(MESSAGES.en).filter((key) => !(key in MESSAGES.nl))
    assert.deepEqual(missing, [])
  })

  it('a URL template is shown with query values masked, placeholders kept, credentials removed', () => {
    assert.equal(shownTemplate('https://user:pw@crm.example.com/lookup?callerid={callerid}&key=S3CRET&x'), 'https://crm.example.com/lookup?callerid={callerid}&key=<6>&x')
    assert.deepEqual(auditChanges({ url: 'https://a.example/?k=abc', secret: 'old' }, { url: 'https://a.example/?k=abcd', secret: 'new' }), [
      { field: 'secret', before: '(hidden)', after: '(hidden)' },
      { field: 'url', before: 'https://a.example/?k=<3>', after: 'https://a.example/?k=<4>' },
    ])
  })

  it('each step row is checked with the step grammar; empty rows are dropped; the secret is write-only', () => {
    const { fields, rows } = readForm({ on_failure: ['transfer 200 XML nowhere', '', 'hangup'], on_success: 'set api_hangup_hook=system x', secret: '', ivr: 'yes' }, DEFAULT_STEP_POLICY)
    assert.deepEqual(
      rows.on_failure.map((row) => [row.value, row.reason === undefined]),
      [
        ['transfer 200 XML nowhere', false],
        ['hangup', true],
      ],
    )
    assert.match(rows.on_success[0]?.reason ?? '', /hook variable/)
    assert.equal(fields['on_failure'], '["transfer 200 XML nowhere","hangup"]')
    assert.equal('secret' in fields, false, 'an empty secret field keeps the stored one')
    assert.equal(readForm({ secret_remove: 'yes' }, DEFAULT_STEP_POLICY).fields['secret'], '')
    assert.equal(fields['ivr'], 'yes')
    assert.equal(readForm({}, DEFAULT_STEP_POLICY).fields['ivr'], '')
  })

  it('the dialplan lines name the webhook and the router', () => {
    assert.equal(
      dialplanFor('acme-"x"', '0.0.0.0', 8084),
      [
        '<extension name="webhook-acme-&quot;x&quot;">',
        '  <condition field="destination_number" expression="^(31201234567)$">',
        '    <action application="set" data="webhook=acme-&quot;x&quot;"/>',
        '    <action application="socket" data="ROUTER_ADDRESS:8084 async full"/>',
        '    <action application="hangup" data="NORMAL_TEMPORARY_FAILURE"/>',
        '  </condition>',
        '</extension>',
      ].join('\n'),
    )
  })
})
