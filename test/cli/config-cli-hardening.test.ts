/**
 * `webhook-router config` with hostile stored configs (issue: safe by
 * construction, item 11): what a customer wrote cannot drive the operator's
 * terminal, export does not leak secrets, odd names survive a round trip,
 * bad Redis settings never echo a password or a stack trace, and
 * `validate --all` lists everything a config must change.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { RedisClient } from '../../src/config/redis-connection.ts'
import { RedisProcess, testClient } from '../support/redis-server.ts'

const BIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.js')
const ESC = '\u001b'

describe('webhook-router config against hostile content', () => {
  let redis: RedisProcess
  let client: RedisClient
  const cli = (args: string[], options: { input?: string; env?: Record<string, string> } = {}) =>
    spawnSync(process.execPath, [BIN, 'config', ...args], { env: { REDIS_URL: redis.url, ...options.env }, encoding: 'utf8', ...(options.input === undefined ? {} : { input: options.input }) })

  before(async () => {
    redis = await RedisProcess.start()
    client = testClient({ kind: 'url', url: redis.url })
  })
  after(async () => {
    client.disconnect()
    await redis.stop()
  })

  it('get and list print terminal escape sequences, bidi overrides and line breaks as escapes', async () => {
    await client.hset('webhook:term', {
      url: 'https://crm.example.com/x',
      description: `${ESC}[2J${ESC}]8;;http://evil.example${ESC}\\click${ESC}]8;;${ESC}\\ fake\nok       webhook:other`,
      callername_text: 'a\u202Eb\u0085c',
      [`x${ESC}[31m`]: 'red',
    })
    await client.hset(`webhook:na${ESC}[8mme`, { url: 'https://crm.example.com/y', caller_id: 'bogus' })
    for (const args of [['get', 'term'], ['list'], ['validate', '--all']]) {
      const result = cli(args)
      for (const output of [result.stdout, result.stderr]) {
        assert.ok(!output.includes(ESC), `${args.join(' ')}: raw ESC in ${JSON.stringify(output.slice(0, 200))}`)
        assert.ok(!/[\u0080-\u009f\u202e]/.test(output), `${args.join(' ')}: raw C1 or bidi control`)
      }
      if (args[0] === 'get') {
        assert.match(result.stdout, /description\s+\\u001b\[2J/)
        assert.ok(!result.stdout.includes('\nok       webhook:other'), 'a stored line break cannot fake a line')
      }
    }
    await client.del('webhook:term', `webhook:na${ESC}[8mme`)
  })

  it('export hides secrets unless --show-secrets; import of such an export keeps the stored secret', async () => {
    await client.hset('webhook:signed', { url: 'https://crm.example.com/s', secret: 'the-real-secret' })
    const hidden = cli(['export'])
    assert.equal(hidden.status, 0, hidden.stderr)
    assert.ok(!hidden.stdout.includes('the-real-secret'))
    const exported = JSON.parse(hidden.stdout) as Record<string, Record<string, string>>
    assert.match(String(exported['signed']?.['secret']), /hidden/)
    assert.equal((JSON.parse(cli(['export', '--show-secrets']).stdout) as Record<string, Record<string, string>>)['signed']?.['secret'], 'the-real-secret')

    const changed = { ...exported, signed: { ...exported['signed'], description: 'edited' } }
    const imported = cli(['import', '-'], { input: JSON.stringify(changed) })
    assert.equal(imported.status, 0, imported.stderr)
    assert.deepEqual(await client.hgetall('webhook:signed'), { url: 'https://crm.example.com/s', secret: 'the-real-secret', description: 'edited' })

    await client.del('webhook:signed')
    const orphan = cli(['import', '-'], { input: JSON.stringify(changed) })
    assert.equal(orphan.status, 1)
    assert.match(orphan.stderr, /signed: its secret is hidden in this file and none is stored: export with --show-secrets/)
    assert.equal(await client.exists('webhook:signed'), 0, 'nothing written')
  })

  it('a webhook named __proto__ is exported and imported like any other', async () => {
    await client.hset('webhook:__proto__', { url: 'https://crm.example.com/p', description: 'odd name' })
    const exported = cli(['export'])
    assert.match(exported.stdout, /"__proto__": \{/)
    await client.del('webhook:__proto__')
    const imported = cli(['import', '-'], { input: exported.stdout })
    assert.equal(imported.status, 0, imported.stderr)
    assert.deepEqual(await client.hgetall('webhook:__proto__'), { url: 'https://crm.example.com/p', description: 'odd name' })
    await client.del('webhook:__proto__')
  })

  it('a REDIS_URL that is wrong never shows its password, nor a stack trace', () => {
    for (const url of ['http://admin:hunter2@127.0.0.1:6379', 'redis://admin:hun%ter2@127.0.0.1:6379', 'redis://admin:hunter2@127.0.0.1:6379/x']) {
      const result = cli(['list'], { env: { REDIS_URL: url } })
      assert.equal(result.status, 2, url)
      assert.ok(!`${result.stdout}${result.stderr}`.includes('hunter2'), result.stderr)
      assert.ok(!/\n\s+at /.test(result.stderr), `no stack trace: ${result.stderr}`)
      assert.match(result.stderr, /^webhook-router: REDIS_URL: "[a-z]+:\/\/\*\*\*@127\.0\.0\.1:6379/)
    }
  })

  it('validate --all lists every problem of every config against the current rules', async () => {
    await client.hset('webhook:old-style', {
      url: 'https://crm.example.com/o?token=abc',
      caller_id: 'bogus',
      on_failure: '["set api_hangup_hook=system id", "transfer 200 XML other", "voicemail default example.com 100"]',
      ivr_start_message: '/etc/passwd',
    })
    await client.hset('webhook:fine', { url: 'https://crm.example.com/f', on_failure: '["transfer 200 XML default"]' })
    const result = cli(['validate', '--all'])
    assert.equal(result.status, 1)
    const lines = result.stdout.split('\n')
    assert.ok(lines.includes('INVALID  webhook:old-style'), result.stdout)
    for (const problem of [/field caller_id = "bogus": must be caller, dialed or suppressed/, /field ivr_start_message = "\/etc\/passwd": an absolute path is not allowed/, /field on_failure = .*step 1 .*api_hangup_hook may not be set/, /step 2 .*context "other" is not allowed/, /step 3 .*application voicemail is not allowed/]) {
      assert.ok(lines.some((line) => line.startsWith('  - ') && problem.test(line)), `${problem}: ${result.stdout}`)
    }
    assert.ok(!result.stdout.includes('token=abc'), 'query values stay masked')
    assert.ok(lines.includes('ok       webhook:fine'))
    assert.match(result.stdout, /1 valid, 1 with errors/)
    await client.del('webhook:old-style', 'webhook:fine')
  })
})
