/**
 * Global settings word for word (SPEC 4): each refusal's whole message (the
 * operator reads it at start-up, before anything else works), each bound on
 * both sides, blanks, flags in both forms, and the Redis-only loader the
 * `config` commands use.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { loadRedisSettings, loadSettings, maskCredentials, SettingError, type RedisSettings, type Settings } from '../../src/config/env.ts'

function load(env: Record<string, string>, argv: string[] = []): Settings {
  const settings = loadSettings(env, argv)
  if (settings instanceof SettingError) throw settings
  return settings
}

function refusal(env: Record<string, string>, argv: string[] = []): string {
  const result = loadSettings(env, argv)
  assert.ok(result instanceof SettingError, `expected a refusal of ${JSON.stringify({ env, argv })}`)
  return result.message
}

function loadRedis(env: Record<string, string>, argv: string[] = []): RedisSettings {
  const settings = loadRedisSettings(env, argv)
  if (settings instanceof SettingError) throw settings
  return settings
}

describe('settings, word for word', () => {
  it('numbers: defaults, both ends of each range, and the message naming the range', () => {
    const defaults = load({})
    assert.equal(defaults.circuitFailures, 5)
    assert.equal(defaults.circuitCooldownMs, 30_000)
    assert.equal(defaults.cacheMaxEntries, 10_000)
    assert.equal(defaults.shutdownDrainMs, 30_000)
    assert.equal(defaults.recordsPerWebhook, 200)
    assert.equal(defaults.recordsTotal, 10_000)
    for (const [name, max, field] of [
      ['CIRCUIT_FAILURES', 1000, 'circuitFailures'],
      ['CIRCUIT_COOLDOWN_MS', 3_600_000, 'circuitCooldownMs'],
      ['CONFIG_CACHE_SIZE', 10_000_000, 'cacheMaxEntries'],
      ['SHUTDOWN_DRAIN_MS', 86_400_000, 'shutdownDrainMs'],
      ['RECORDS_PER_WEBHOOK', 100_000, 'recordsPerWebhook'],
      ['RECORDS_TOTAL', 10_000_000, 'recordsTotal'],
    ] as const) {
      assert.equal(load({ [name]: '1' })[field], 1, name)
      assert.equal(load({ [name]: String(max) })[field], max, name)
      assert.equal(refusal({ [name]: String(max + 1) }), `${name}: "${max + 1}" must be a whole number from 1 to ${max}`)
      assert.equal(refusal({ [name]: '2.5' }), `${name}: "2.5" must be a whole number from 1 to ${max}`)
      assert.equal(refusal({ [name]: '-1' }), `${name}: "-1" must be a whole number from 1 to ${max}`)
      if (name !== 'RECORDS_PER_WEBHOOK') assert.equal(refusal({ [name]: '0' }), `${name}: "0" must be a whole number from 1 to ${max}`)
    }
    assert.equal(load({ RECORDS_PER_WEBHOOK: '0' }).recordsPerWebhook, 0, '0 turns records off')
  })

  it('ports: 0 means any port, 65535 is the last, anything else is named', () => {
    assert.equal(load({ ESL_PORT: '0' }).eslPort, 0)
    assert.equal(load({ ESL_PORT: '65535' }).eslPort, 65535)
    assert.equal(refusal({ ESL_PORT: '65536' }), 'ESL_PORT: "65536" is not a port number')
    assert.equal(refusal({ ESL_PORT: '80a' }), 'ESL_PORT: "80a" is not a port number')
    assert.equal(refusal({ ESL_PORT: '-1' }), 'ESL_PORT: "-1" is not a port number')
    assert.equal(load({ HTTP_PORT: 'OFF' }).httpPort, undefined)
    assert.equal(load({ HTTP_PORT: '0' }).httpPort, 0)
    assert.equal(refusal({ HTTP_PORT: 'none' }), 'HTTP_PORT: "none" is not a port number')
  })

  it('a blank value is unset: the default applies, and ESL_ALLOW stays required off loopback', () => {
    const settings = load({ ESL_PORT: '  ', REDIS_PREFIX: '', LOG_LEVEL: ' ', HTTP_HOST: ' 0.0.0.0 ' })
    assert.equal(settings.eslPort, 8084)
    assert.equal(settings.redisPrefix, 'webhook:')
    assert.equal(settings.logLevel, 'info')
    assert.equal(settings.httpHost, '0.0.0.0', 'values are trimmed')
    assert.equal(
      refusal({ ESL_HOST: '10.0.0.2', ESL_ALLOW: ' ' }),
      'ESL_ALLOW: is required when ESL_HOST (10.0.0.2) is not a loopback address: list the FreeSWITCH hosts, e.g. ESL_ALLOW=10.0.0.5,10.0.0.6',
    )
    assert.ok(load({ ESL_HOST: '::1' }).eslAllow.allows('::1'), 'loopback by default on a loopback host')
    assert.ok(!load({ ESL_HOST: '::1' }).eslAllow.allows('10.0.0.1'))
  })

  it('flags: --name value and --name=value, a flag beats the environment, unknown and valueless flags named', () => {
    assert.equal(load({ ESL_PORT: '9000' }, ['--esl-port=9001']).eslPort, 9001)
    assert.equal(load({}, ['--esl-port', '9002', '--log-level', 'warn']).logLevel, 'warn')
    assert.equal(load({}, ['--redis-prefix=a=b:']).redisPrefix, 'a=b:', 'only the first = splits')
    assert.equal(refusal({}, ['--esl-porty', '1']), '--esl-porty: unknown option (see webhook-router --help)')
    assert.equal(refusal({}, ['--log-level']), '--log-level: needs a value')
    assert.equal(refusal({}, ['ESL_PORT=1']), 'ESL_PORT: unknown option (see webhook-router --help)')
  })

  it('LOG_LEVEL: any case, and the list of levels when wrong', () => {
    assert.equal(load({ LOG_LEVEL: 'Trace' }).logLevel, 'trace')
    assert.equal(refusal({ LOG_LEVEL: 'loud' }), 'LOG_LEVEL: "loud" is not one of fatal, error, warn, info, debug, trace, silent')
  })

  it('dial templates: {number} required, no spaces or NUL', () => {
    assert.equal(load({ DIAL_EXTENSION: 'user/{number}@pbx' }).dialExtension, 'user/{number}@pbx')
    assert.equal(refusal({ DIAL_EXTENSION: 'user/1000' }), 'DIAL_EXTENSION: "user/1000" has no {number} placeholder')
    assert.equal(refusal({ DIAL_E164: 'sofia/gateway/a b/{number}' }), 'DIAL_E164: may not contain spaces or line breaks')
    assert.equal(refusal({ DIAL_E164: 'sofia/gateway/a\0/{number}' }), 'DIAL_E164: may not contain spaces or line breaks')
  })

  it('step policy lists: trimmed, blanks skipped, every refusal names the entry', () => {
    const settings = load({
      EXTRA_FALLBACK_APPS: ' lua , , playback, my_app ',
      EXTRA_STEP_VARIABLES: 'crm_id,_x',
      TRANSFER_CONTEXTS: 'default,public.v2',
      EXTRA_BRIDGE_ENDPOINTS: 'sofia/gateway/backup/{number}',
      EXTRA_SOUND_DIRS: '/srv/sounds,/opt/prompts/',
    })
    // A built-in application is not an extra one.
    assert.deepEqual([...settings.stepPolicy.extraApps], ['lua', 'my_app'])
    assert.deepEqual([...settings.stepPolicy.extraVariables], ['crm_id', '_x'])
    assert.deepEqual([...settings.stepPolicy.transferContexts], ['default', 'public.v2'])
    assert.deepEqual(settings.stepPolicy.bridgeEndpoints, ['sofia/gateway/backup/{number}'])
    assert.deepEqual(settings.stepPolicy.soundDirs, ['/srv/sounds/', '/opt/prompts/'])
    assert.equal(refusal({ EXTRA_FALLBACK_APPS: 'Lua' }), 'EXTRA_FALLBACK_APPS: "Lua" is not an application name')
    assert.equal(refusal({ EXTRA_FALLBACK_APPS: `a${'b'.repeat(64)}` }), `EXTRA_FALLBACK_APPS: "a${'b'.repeat(64)}" is not an application name`)
    assert.equal(refusal({ EXTRA_STEP_VARIABLES: '1abc' }), 'EXTRA_STEP_VARIABLES: "1abc" is not a name')
    assert.equal(refusal({ TRANSFER_CONTEXTS: 'x'.repeat(65) }), `TRANSFER_CONTEXTS: "${'x'.repeat(65)}" is not a context name`)
    assert.equal(refusal({ EXTRA_BRIDGE_ENDPOINTS: 'a/{number}/{number}' }), 'EXTRA_BRIDGE_ENDPOINTS: "a/{number}/{number}" must hold {number} once')
    assert.equal(refusal({ EXTRA_BRIDGE_ENDPOINTS: 'a/{number}|b' }), 'EXTRA_BRIDGE_ENDPOINTS: "a/{number}|b" may not contain spaces, blocks or leg separators')
    assert.equal(refusal({ EXTRA_BRIDGE_ENDPOINTS: '{x=1}a/{number}' }), 'EXTRA_BRIDGE_ENDPOINTS: "{x=1}a/{number}" may not contain spaces, blocks or leg separators')
  })

  it('DEFAULT_ON_FAILURE: every problem in one line', () => {
    const message = refusal({ DEFAULT_ON_FAILURE: '["system a", "hangup", "lua b"]' })
    assert.match(message, /^DEFAULT_ON_FAILURE: step 1 "system a": application system is not allowed \(.*\); step 3 "lua b": application lua is not allowed \(.*\)$/)
  })

  it('RECORDS_PREFIX: outside REDIS_PREFIX either way round, no glob characters', () => {
    assert.equal(load({ RECORDS_PREFIX: 'wr:' }).recordsPrefix, 'wr:')
    assert.equal(
      refusal({ RECORDS_PREFIX: 'webhook:records:' }),
      'RECORDS_PREFIX: "webhook:records:" overlaps REDIS_PREFIX "webhook:": records would be taken for webhook configs',
    )
    assert.equal(refusal({ RECORDS_PREFIX: 'web', REDIS_PREFIX: 'webhook:' }), 'RECORDS_PREFIX: "web" overlaps REDIS_PREFIX "webhook:": records would be taken for webhook configs')
    for (const bad of ['a b:', 'a*:', 'a?:', 'a[:', 'a]:', 'a{:', 'a}:']) {
      assert.equal(refusal({ RECORDS_PREFIX: bad }), `RECORDS_PREFIX: ${JSON.stringify(bad)} may not contain spaces, glob characters or braces`)
    }
  })

  it('Redis targets: URL forms, database path, Sentinel and Cluster node lists', () => {
    assert.deepEqual(load({ REDIS_URL: 'redis://h:6379/15' }).redis, { kind: 'url', url: 'redis://h:6379/15' })
    assert.deepEqual(load({ REDIS_URL: 'redis://h:6379/' }).redis, { kind: 'url', url: 'redis://h:6379/' })
    assert.deepEqual(load({ REDIS_URL: 'unix:///run/redis.sock' }).redis, { kind: 'url', url: 'unix:///run/redis.sock' })
    assert.equal(refusal({ REDIS_URL: 'redis://h:6379/db' }), 'REDIS_URL: "redis://h:6379/db": the path must be a database number (/0)')
    assert.equal(refusal({ REDIS_URL: 'redis://h:6379/123456' }), 'REDIS_URL: "redis://h:6379/123456": the path must be a database number (/0)')
    assert.equal(refusal({ REDIS_URL: 'redis://[::1' }), 'REDIS_URL: "redis://[::1" is not a URL (redis://host:6379) nor a socket path')
    assert.equal(refusal({ REDIS_URL: 'redis://:pa%zz@h' }), 'REDIS_URL: "redis://***@h": the user name or password has a "%" that is not followed by two hex digits (write % as %25)')
    assert.deepEqual(load({ REDIS_CLUSTER: ' [::1]:7000 , , 10.0.0.2:7001 ' }).redis, {
      kind: 'cluster',
      nodes: [
        { host: '::1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
      url: undefined,
    })
    assert.deepEqual(load({ REDIS_SENTINELS: 's:1', REDIS_URL: 'redis://:pw@ignored:1/2' }).redis, {
      kind: 'sentinel',
      sentinels: [{ host: 's', port: 1 }],
      name: 'mymaster',
      url: 'redis://:pw@ignored:1/2',
    })
    assert.equal(refusal({ REDIS_CLUSTER: ' , ' }), 'REDIS_CLUSTER: lists no host:port')
    assert.equal(refusal({ REDIS_CLUSTER: 'h:123456' }), 'REDIS_CLUSTER: "h:123456" is not host:port')
    assert.equal(refusal({ REDIS_SENTINELS: 'a:1', REDIS_CLUSTER: 'b:2' }), 'REDIS_CLUSTER: cannot be combined with REDIS_SENTINELS')
    assert.equal(refusal({ REDIS_SENTINELS: 'a:1', REDIS_URL: 'http://x' }), 'REDIS_URL: "http://x": use redis://, rediss:// or a unix socket path')
  })

  it('maskCredentials hides user and password, and only those', () => {
    assert.equal(maskCredentials('redis://u:p@h:1/0'), 'redis://***@h:1/0')
    assert.equal(maskCredentials('rediss://h:1/0'), 'rediss://h:1/0')
    assert.equal(maskCredentials('redis://h:1/a@b'), 'redis://h:1/a@b', 'an @ after the host is not a credential')
  })

  it('the config commands read only the Redis settings and what configs may choose', () => {
    const settings = loadRedis({ REDIS_URL: 'redis://r:1', REDIS_PREFIX: 'w:', RECORDS_PREFIX: 'rec:', EXTRA_FALLBACK_APPS: 'lua', ESL_PORT: 'not even a port' }, ['--transfer-contexts', 'public'])
    assert.deepEqual(settings.redis, { kind: 'url', url: 'redis://r:1' })
    assert.equal(settings.redisPrefix, 'w:')
    assert.equal(settings.recordsPrefix, 'rec:')
    assert.deepEqual([...settings.stepPolicy.extraApps], ['lua'])
    assert.deepEqual([...settings.stepPolicy.transferContexts], ['public'])
    assert.ok(Object.isFrozen(settings))
    for (const [env, argv, message] of [
      [{}, ['--esl-port', '1'], '--esl-port: unknown option (see webhook-router --help)'],
      [{ REDIS_URL: 'ftp://x' }, [], 'REDIS_URL: "ftp://x": use redis://, rediss:// or a unix socket path'],
      [{ TRANSFER_CONTEXTS: 'a b' }, [], 'TRANSFER_CONTEXTS: "a b" is not a context name'],
      [{ RECORDS_PREFIX: 'webhook:x' }, [], 'RECORDS_PREFIX: "webhook:x" overlaps REDIS_PREFIX "webhook:": records would be taken for webhook configs'],
    ] as const) {
      const result = loadRedisSettings(env, argv)
      assert.ok(result instanceof SettingError)
      assert.equal(result.message, message)
    }
  })

  it('the settings object is frozen', () => {
    assert.ok(Object.isFrozen(load({})))
    assert.ok(Object.isFrozen(load({}).stepPolicy))
  })
})
