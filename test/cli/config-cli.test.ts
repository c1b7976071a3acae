/** `webhook-router config ...` against a real redis-server, as an operator runs it. */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { RedisClient } from '../../src/config/redis-connection.ts'
import { RedisProcess, testClient } from '../support/redis-server.ts'

const BIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.js')

describe('webhook-router config', () => {
  let redis: RedisProcess
  let client: RedisClient
  const cli = (args: string[], input?: string): { status: number | null; stdout: string; stderr: string } =>
    spawnSync(process.execPath, [BIN, 'config', ...args], { env: { REDIS_URL: redis.url }, encoding: 'utf8', ...(input === undefined ? {} : { input }) })

  before(async () => {
    redis = await RedisProcess.start()
    client = testClient({ kind: 'url', url: redis.url })
  })
  after(async () => {
    client.disconnect()
    await redis.stop()
  })

  it('set validates, writes and shows what changed; get shows every field with its default', async () => {
    const created = cli(['set', 'crm', 'url=https://crm.example.com/l?cid={callerid}', 'caller_id=suppressed', 'secret=s3cr3t-value', 'on_failure=["transfer 200 XML default"]'])
    assert.equal(created.status, 0, created.stderr)
    assert.match(created.stdout, /^webhook:crm created\n/)
    assert.match(created.stdout, /caller_id: \(default\) -> "suppressed"/)
    assert.ok(!created.stdout.includes('s3cr3t-value'), 'the secret is not echoed')
    assert.deepEqual(await client.hgetall('webhook:crm'), {
      url: 'https://crm.example.com/l?cid={callerid}',
      caller_id: 'suppressed',
      secret: 's3cr3t-value',
      on_failure: '["transfer 200 XML default"]',
    })

    const updated = cli(['set', 'crm', 'caller_id=dialed', 'secret='])
    assert.equal(updated.status, 0)
    assert.match(updated.stdout, /caller_id: "suppressed" -> "dialed"/)
    assert.equal(await client.hget('webhook:crm', 'secret'), null, '"field=" removes the field')
    assert.match(cli(['set', 'crm', 'caller_id=dialed']).stdout, /unchanged/)

    const shown = cli(['get', 'crm'])
    assert.equal(shown.status, 0)
    assert.match(shown.stdout, /^webhook:crm: valid\n/)
    assert.match(shown.stdout, /caller_id\s+dialed\n/)
    assert.match(shown.stdout, /timeout_ms\s+3000 \(default\)/)
    const json = JSON.parse(cli(['get', 'crm', '--json']).stdout) as { status: string; fields: Record<string, string> }
    assert.equal(json.status, 'ok')
    assert.equal(json.fields['caller_id'], 'dialed')
  })

  it('set refuses what the router would refuse, and unknown fields; nothing is written', async () => {
    const before = await client.hgetall('webhook:crm')
    for (const [args, message] of [
      [['caller_id=bogus'], /refused, nothing written: webhook:crm field caller_id = "bogus": must be caller, dialed or suppressed/],
      [['on_failure=["system reboot"]'], /application system is not allowed/],
      [['caller_idd=caller'], /unknown field "caller_idd"/],
      [['timeout_ms=fast'], /timeout_ms/],
    ] as const) {
      const result = cli(['set', 'crm', ...args])
      assert.equal(result.status, 1, args.join(' '))
      assert.match(result.stderr, message)
    }
    assert.deepEqual(await client.hgetall('webhook:crm'), before)
    assert.equal(cli(['set', 'new-one', 'caller_id=dialed']).status, 1, 'a new webhook needs a url')
    assert.equal(await client.exists('webhook:new-one'), 0)
  })

  it('validate checks what is stored (also what redis-cli wrote), exit code 1 on errors', async () => {
    await client.hset('webhook:broken', { url: 'https://x.example/{pin}', caller_id: 'bogus' })
    await client.set('webhook:not-a-hash', 'oops')
    await client.hset('webhook:typo', { url: 'https://x.example/', calller_id: 'dialed' })
    const all = cli(['validate'])
    assert.equal(all.status, 1)
    assert.match(all.stdout, /INVALID  webhook:broken\n {2}- webhook:broken field url = "https:\/\/x.example\/\{pin\}": unknown placeholder \{pin\}.*\n {2}- webhook:broken field caller_id = "bogus"/)
    assert.match(all.stdout, /INVALID  webhook:not-a-hash\n {2}- webhook:not-a-hash field \(key\): is not a hash/)
    assert.match(all.stdout, /warning  webhook:typo has an unknown field "calller_id"/)
    assert.match(all.stdout, /ok       webhook:crm/)
    assert.match(all.stdout, /2 valid, 2 with errors/)
    assert.equal(cli(['validate', 'crm']).status, 0)
    assert.equal(cli(['validate', 'broken']).status, 1)
    assert.equal(cli(['validate', 'absent']).status, 1)
    const list = cli(['list'])
    assert.equal(list.status, 0)
    assert.deepEqual(
      list.stdout.trim().split('\n').map((line) => line.split(/\s+/).slice(0, 2).join(' ')),
      ['broken INVALID', 'crm ok', 'not-a-hash INVALID', 'typo ok'],
    )
    await client.del('webhook:broken', 'webhook:not-a-hash', 'webhook:typo')
  })

  it('export, rm and import round-trip; import writes nothing unless everything validates', async () => {
    const exported = cli(['export', '--show-secrets'])
    assert.equal(exported.status, 0)
    const data = JSON.parse(exported.stdout) as Record<string, Record<string, string>>
    assert.deepEqual(Object.keys(data), ['crm'])

    assert.equal(cli(['rm', 'crm']).status, 0)
    assert.equal(cli(['rm', 'crm']).status, 1, 'already gone')
    assert.equal(cli(['get', 'crm']).status, 1)

    const dir = mkdtempSync(join(tmpdir(), 'webhook-router-import-'))
    const file = join(dir, 'webhooks.json')
    writeFileSync(file, JSON.stringify({ ...data, second: { url: 'https://b.example/', ivr: 'yes' } }))
    const dry = cli(['import', file, '--dry-run'])
    assert.equal(dry.status, 0)
    assert.match(dry.stdout, /webhook:crm created \(dry run: not written\)/)
    assert.equal(await client.exists('webhook:crm'), 0)
    const imported = cli(['import', file])
    assert.equal(imported.status, 0, imported.stderr)
    assert.match(imported.stdout, /webhook:crm created\nwebhook:second created\n/)
    assert.deepEqual(await client.hgetall('webhook:crm'), data['crm'])
    assert.match(cli(['import', file]).stdout, /webhook:crm unchanged/)

    const bad = cli(['import', '-'], JSON.stringify({ crm: { url: 'https://changed.example/' }, evil: { url: 'https://e.example/', on_failure: '["system reboot"]' } }))
    assert.equal(bad.status, 1)
    assert.match(bad.stderr, /refused, nothing written:\n {2}webhook:evil field on_failure/)
    assert.deepEqual(await client.hgetall('webhook:crm'), data['crm'], 'the valid entry was not written either')
    assert.equal(cli(['import', '-'], '[1,2]').status, 1)
  })

  it('names what is wrong with the command line or with Redis', () => {
    const usage = spawnSync(process.execPath, [BIN, 'config', 'frobnicate'], { env: { REDIS_URL: redis.url }, encoding: 'utf8' })
    assert.equal(usage.status, 2)
    assert.match(usage.stderr, /unknown action/)
    assert.equal(spawnSync(process.execPath, [BIN, 'config'], { encoding: 'utf8' }).status, 2)
    const badFlag = spawnSync(process.execPath, [BIN, 'config', 'list', '--esl-port', '1'], { encoding: 'utf8' })
    assert.equal(badFlag.status, 2)
    assert.match(badFlag.stderr, /--esl-port: unknown option/)
    const down = spawnSync(process.execPath, [BIN, 'config', 'list', '--redis-url', 'redis://127.0.0.1:1'], { encoding: 'utf8' })
    assert.equal(down.status, 1)
    assert.match(down.stderr, /cannot reach Redis at redis:\/\/127.0.0.1:1: connect ECONNREFUSED/)
  })
})
