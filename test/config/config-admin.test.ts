/**
 * The operator-side config operations (what `webhook-router config` and the
 * console run) against a real redis-server: inspection of every state, names
 * by SCAN with the prefix's glob characters taken literally, field changes
 * validated before anything is written and written in one transaction, and
 * each change handed to the audit trail with who made it.
 */
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { ConfigAdmin, type Hash } from '../../src/config/admin.ts'
import type { RedisClient } from '../../src/config/redis-connection.ts'
import { ConfigError } from '../../src/config/webhook-config.ts'
import type { AuditSink } from '../../src/records/audit.ts'
import { DEFAULT_STEP_POLICY } from '../../src/steps/grammar.ts'
import { RedisProcess, testClient } from '../support/redis-server.ts'

/** The audit trail's side of the contract, kept in memory to read back. */
class RecordingAudit implements AuditSink {
  readonly remembered: Array<[string, Hash | undefined]> = []
  readonly records: Array<Parameters<AuditSink['record']>[0]> = []
  async remember(name: string, hash: Hash | undefined): Promise<void> {
    this.remembered.push([name, hash])
  }
  async record(entry: Parameters<AuditSink['record']>[0]): Promise<void> {
    this.records.push(entry)
  }
}

describe('config admin', () => {
  let redis: RedisProcess
  let client: RedisClient
  let audit: RecordingAudit
  let admin: ConfigAdmin
  const URL = 'https://crm.example.com/lookup'

  before(async () => {
    redis = await RedisProcess.start()
    client = testClient({ kind: 'url', url: redis.url })
  })
  beforeEach(async () => {
    await client.flushall()
    audit = new RecordingAudit()
    admin = new ConfigAdmin(client, 'wh:', DEFAULT_STEP_POLICY, { sink: audit, who: 'token:ops' })
  })
  after(async () => {
    client.disconnect()
    await redis.stop()
  })

  it('inspects every state: missing, ok with unknown fields listed, invalid, not a hash', async () => {
    assert.deepEqual(await admin.inspect('none'), { name: 'none', status: 'missing' })
    await client.hset('wh:ok', { url: URL, colour: 'blue', ivr: '0' })
    assert.deepEqual(await admin.inspect('ok'), { name: 'ok', status: 'ok', hash: { url: URL, colour: 'blue', ivr: '0' }, unknownFields: ['colour'] })
    await client.hset('wh:bad', { url: URL, ivr: 'maybe' })
    const bad = await admin.inspect('bad')
    assert.equal(bad.status, 'invalid')
    assert.equal(bad.status === 'invalid' ? bad.error.message : '', 'wh:bad field ivr = "maybe": must be 1/true/yes or 0/false/no')
    assert.deepEqual(bad.status === 'invalid' ? bad.hash : undefined, { url: URL, ivr: 'maybe' })
    await client.set('wh:str', 'x')
    const str = await admin.inspect('str')
    assert.equal(str.status, 'invalid')
    assert.equal(str.status === 'invalid' ? str.error.message : '', 'wh:str field (key): is not a hash (use HSET)')
    assert.equal(await admin.read('none'), undefined)
  })

  it('refuses a name the router would never look up, naming the allowed characters', () => {
    const error = admin.check('bad name', { url: URL })
    assert.ok(error instanceof ConfigError)
    assert.equal(error.message, 'wh:bad name field (name) = "bad name": a webhook name is 1-128 of A-Z a-z 0-9 _ . : @ -')
    assert.equal(admin.check('good', { url: URL }), undefined)
    assert.equal(admin.check('x'.repeat(129), { url: URL })?.field, '(name)')
  })

  it('lists names sorted, filtered by a start, over many SCAN pages, with glob characters in the prefix taken literally', async () => {
    const names = Array.from({ length: 1200 }, (_, index) => `n${String(index).padStart(4, '0')}`)
    const pipeline = client.pipeline()
    for (const name of [...names].reverse()) pipeline.hset(`wh:${name}`, 'url', URL)
    pipeline.hset('other:x', 'url', URL)
    await pipeline.exec()
    assert.deepEqual(await admin.names(), names)
    assert.deepEqual(await admin.names('n000'), names.slice(0, 10))
    const globbed = new ConfigAdmin(client, 'w*[h]?:', DEFAULT_STEP_POLICY)
    await client.hset('w*[h]?:literal', 'url', URL)
    await client.hset('wX[h]Y:not-mine', 'url', URL)
    await client.hset('w*h?:not-mine-either', 'url', URL)
    assert.deepEqual(await globbed.names(), ['literal'])
    assert.deepEqual(await new ConfigAdmin(client, 'w\\:', DEFAULT_STEP_POLICY).names(), [])
  })

  it('set: creates, changes and removes fields in one transaction; each change audited with who made it', async () => {
    const created = await admin.set('crm', new Map([['url', URL], ['ivr', '1']]))
    assert.deepEqual(created, {
      kind: 'written',
      created: true,
      changes: [
        { field: 'url', before: undefined, after: URL },
        { field: 'ivr', before: undefined, after: '1' },
      ],
    })
    assert.deepEqual(await client.hgetall('wh:crm'), { url: URL, ivr: '1' })
    const changed = await admin.set('crm', new Map([['ivr', undefined], ['method', 'POST']]))
    assert.deepEqual(changed, {
      kind: 'written',
      created: false,
      changes: [
        { field: 'ivr', before: '1', after: undefined },
        { field: 'method', before: undefined, after: 'POST' },
      ],
    })
    assert.deepEqual(await client.hgetall('wh:crm'), { url: URL, method: 'POST' })
    assert.deepEqual(audit.remembered, [
      ['crm', { url: URL, ivr: '1' }],
      ['crm', { url: URL, method: 'POST' }],
    ])
    assert.deepEqual(
      audit.records.map((record) => [record.webhook, record.who, record.action, record.outside, record.changes.map((change) => change.field)]),
      [
        ['crm', 'token:ops', 'created', false, ['ivr', 'url']],
        ['crm', 'token:ops', 'updated', false, ['ivr', 'method']],
      ],
    )
  })

  it('set: nothing written or audited when unchanged, unknown, emptied or invalid', async () => {
    await client.hset('wh:crm', { url: URL })
    assert.deepEqual(await admin.set('crm', new Map([['url', URL]])), { kind: 'unchanged' })
    const unknown = await admin.set('crm', new Map([['colour', 'blue']]))
    assert.equal(unknown.kind, 'refused')
    assert.equal(
      unknown.kind === 'refused' ? unknown.error.message : '',
      'unknown field "colour" (fields: url, description, method, timeout_ms, secret, caller_id, callername_mode, callername_text, ivr, ivr_timeout, ivr_attempts, ivr_min_digits, ivr_max_digits, ivr_terminator, ivr_start_message, ivr_error_message, ivr_timeout_message, destinations, on_success, on_failure)',
    )
    const emptied = await admin.set('crm', new Map([['url', undefined]]))
    assert.equal(emptied.kind === 'refused' ? emptied.error.message : '', 'that would leave no field: use `config rm` to remove a webhook')
    const invalid = await admin.set('crm', new Map([['method', 'PUT']]))
    assert.equal(invalid.kind === 'refused' ? invalid.error.message : '', 'wh:crm field method = "PUT": must be GET or POST')
    assert.deepEqual(await client.hgetall('wh:crm'), { url: URL })
    assert.deepEqual([audit.remembered, audit.records], [[], []])
  })

  it('remove: true and audited when there was a webhook, false and silent when not', async () => {
    await client.hset('wh:gone', { url: URL })
    assert.equal(await admin.remove('gone'), true)
    assert.equal(await client.exists('wh:gone'), 0)
    assert.equal(await admin.remove('gone'), false)
    assert.deepEqual(audit.remembered, [
      ['gone', undefined],
      ['gone', undefined],
    ])
    assert.deepEqual(
      audit.records.map((record) => [record.action, record.changes]),
      [['removed', [{ field: 'url', before: URL, after: undefined }]]],
    )
  })

  it('replace: the whole hash at once; created or updated in the audit, nothing when identical', async () => {
    await admin.replace('whole', { url: URL, ivr: '1' })
    await admin.replace('whole', { url: URL, method: 'POST' })
    await admin.replace('whole', { url: URL, method: 'POST' })
    assert.deepEqual(await client.hgetall('wh:whole'), { url: URL, method: 'POST' })
    assert.deepEqual(
      audit.records.map((record) => [record.action, record.changes.map((change) => change.field)]),
      [
        ['created', ['ivr', 'url']],
        ['updated', ['ivr', 'method']],
      ],
    )
    assert.equal(audit.remembered.length, 3)
    assert.equal(admin.keyOf('whole'), 'wh:whole')
  })

  it('without an audit sink nothing is recorded and writes still happen', async () => {
    const plain = new ConfigAdmin(client, 'wh:', DEFAULT_STEP_POLICY)
    assert.equal((await plain.set('p', new Map([['url', URL]]))).kind, 'written')
    await plain.replace('p', { url: URL, ivr: '1' })
    assert.equal(await plain.remove('p'), true)
    assert.equal(await client.exists('wh:p'), 0)
  })
})
