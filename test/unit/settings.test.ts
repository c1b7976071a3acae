/** Global settings (SPEC 4): environment variables, each also a --flag; wrong values named. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { flagName, loadSettings, SettingError, SETTINGS, type Settings } from '../../src/config/env.ts'

function load(env: Record<string, string>, argv: string[] = []): Settings {
  const settings = loadSettings(env, argv)
  if (settings instanceof SettingError) throw settings
  return settings
}

describe('settings', () => {
  it('has the SPEC defaults', () => {
    const settings = load({})
    assert.equal(settings.eslHost, '127.0.0.1')
    assert.equal(settings.eslPort, 8084)
    assert.ok(settings.eslAllow.allows('127.0.0.1'))
    assert.ok(!settings.eslAllow.allows('10.0.0.1'))
    assert.deepEqual(settings.redis, { kind: 'url', url: 'redis://127.0.0.1:6379' })
    assert.equal(settings.redisPrefix, 'webhook:')
    assert.equal(settings.dialE164, 'sofia/gateway/default/{number}')
    assert.equal(settings.dialExtension, 'user/{number}@${domain_name}')
    assert.deepEqual(settings.defaultOnFailure, [])
    assert.ok(!settings.webhookAllowNets.allows('127.0.0.1'))
    assert.equal(settings.httpPort, 9464)
    // Metrics name webhooks and origins: not on every interface unless the operator says so.
    assert.equal(settings.httpHost, '127.0.0.1')
    assert.equal(settings.logLevel, 'info')
    assert.deepEqual([...settings.stepPolicy.transferContexts], ['default'])
    assert.deepEqual([...settings.stepPolicy.extraApps, ...settings.stepPolicy.extraVariables, ...settings.stepPolicy.bridgeEndpoints, ...settings.stepPolicy.soundDirs], [])
  })

  it('never shows a Redis password in an error, and never throws on a malformed one', () => {
    for (const url of ['http://user:hunter2@host:6379', 'redis://user:hun%ter2@host', 'redis://:hunter2@host:6379/not-a-db', 'redis://u:hunter2@[::1', 'redis://u:%E0%A4%A@host']) {
      const result = loadSettings({ REDIS_URL: url })
      assert.ok(result instanceof SettingError, url)
      assert.ok(!result.message.includes('hunter2') && !result.message.includes('%E0'), result.message)
    }
  })

  it('reads every variable, and a --flag wins over it', () => {
    const settings = load(
      {
        ESL_HOST: '0.0.0.0',
        ESL_PORT: '9000',
        ESL_ALLOW: '10.0.0.0/24, 192.0.2.7',
        REDIS_URL: 'rediss://:pw@redis.example.com:6380/2',
        REDIS_PREFIX: 'wh:',
        DIAL_E164: 'sofia/gateway/carrier/{number}',
        DIAL_EXTENSION: 'user/{number}@pbx.example.com',
        DEFAULT_ON_FAILURE: '["transfer 0 XML default"]',
        WEBHOOK_ALLOW_NETS: '10.1.0.0/16',
        HTTP_PORT: '9100',
        LOG_LEVEL: 'WARN',
      },
      ['--esl-port', '9001', '--log-level=debug'],
    )
    assert.equal(settings.eslHost, '0.0.0.0')
    assert.equal(settings.eslPort, 9001)
    assert.ok(settings.eslAllow.allows('10.0.0.200'))
    assert.ok(settings.eslAllow.allows('192.0.2.7'))
    assert.ok(!settings.eslAllow.allows('127.0.0.1'))
    assert.deepEqual(settings.redis, { kind: 'url', url: 'rediss://:pw@redis.example.com:6380/2' })
    assert.equal(settings.redisPrefix, 'wh:')
    assert.deepEqual(settings.defaultOnFailure, [{ app: 'transfer', args: '0 XML default' }])
    assert.ok(settings.webhookAllowNets.allows('10.1.2.3'))
    assert.equal(settings.httpPort, 9100)
    assert.equal(settings.logLevel, 'debug')
  })

  it('Sentinel and Cluster forms', () => {
    assert.deepEqual(load({ REDIS_SENTINELS: 's1:26379,s2:26380', REDIS_SENTINEL_NAME: 'main' }).redis, {
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
      ],
      name: 'main',
      url: undefined,
    })
    assert.equal(load({ REDIS_CLUSTER: '[::1]:7000' }).redis.kind, 'cluster')
    assert.deepEqual(load({ REDIS_URL: '/run/redis/redis.sock' }).redis, { kind: 'url', url: '/run/redis/redis.sock' })
  })

  const refusals: Array<[Record<string, string>, string[], RegExp]> = [
    [{ ESL_PORT: '80000' }, [], /^ESL_PORT: "80000" is not a port number/],
    [{ ESL_HOST: '0.0.0.0' }, [], /^ESL_ALLOW: is required/],
    [{ ESL_ALLOW: '10.0.0.0/33' }, [], /^ESL_ALLOW:/],
    [{ REDIS_URL: 'http://x' }, [], /^REDIS_URL:/],
    [{ REDIS_SENTINELS: 'nohost' }, [], /^REDIS_SENTINELS: "nohost" is not host:port/],
    [{ REDIS_SENTINELS: 'a:1', REDIS_CLUSTER: 'b:2' }, [], /^REDIS_CLUSTER: cannot be combined/],
    [{ DIAL_E164: 'sofia/gateway/x/' }, [], /^DIAL_E164: .* has no \{number\}/],
    [{ DEFAULT_ON_FAILURE: '["system reboot"]' }, [], /^DEFAULT_ON_FAILURE: step 1 "system reboot": application system is not allowed/],
    [{ DEFAULT_ON_FAILURE: '["set api_hangup_hook=system reboot"]' }, [], /^DEFAULT_ON_FAILURE: .*hook variable/],
    [{ TRANSFER_CONTEXTS: 'default,bad context' }, [], /^TRANSFER_CONTEXTS: "bad context" is not a context name/],
    [{ EXTRA_BRIDGE_ENDPOINTS: 'sofia/gateway/backup/' }, [], /^EXTRA_BRIDGE_ENDPOINTS: .*\{number\} once/],
    [{ EXTRA_SOUND_DIRS: 'relative/dir' }, [], /^EXTRA_SOUND_DIRS: .*absolute/],
    [{ EXTRA_STEP_VARIABLES: 'not a name' }, [], /^EXTRA_STEP_VARIABLES:/],
    [{ REDIS_URL: 'http://user:hunter2@host:6379' }, [], /^REDIS_URL: "http:\/\/\*\*\*@host:6379": use redis:\/\//],
    [{ REDIS_URL: 'redis://user:pa%ss@host:6379' }, [], /^REDIS_URL: "redis:\/\/\*\*\*@host:6379": the user name or password has a "%"/],
    [{ EXTRA_FALLBACK_APPS: 'lua,Bad-Name' }, [], /^EXTRA_FALLBACK_APPS:/],
    [{ LOG_LEVEL: 'loud' }, [], /^LOG_LEVEL:/],
    [{}, ['--no-such-flag', '1'], /^--no-such-flag: unknown option/],
    [{}, ['--esl-port'], /^--esl-port: needs a value/],
  ]
  for (const [env, argv, message] of refusals) {
    it(`refuses ${JSON.stringify({ ...env, argv }).slice(0, 70)} with one line naming the setting`, () => {
      const result = loadSettings(env, argv)
      assert.ok(result instanceof SettingError)
      assert.match(result.message, message)
      assert.ok(!result.message.includes('\n'))
    })
  }

  it('EXTRA_FALLBACK_APPS opens the list', () => {
    assert.deepEqual(load({ EXTRA_FALLBACK_APPS: 'lua', DEFAULT_ON_FAILURE: '["lua missed.lua"]' }).defaultOnFailure, [{ app: 'lua', args: 'missed.lua' }])
    assert.deepEqual(load({ DEFAULT_ON_FAILURE: '["bridge 200"]' }).defaultOnFailure, [{ app: 'bridge', args: '200', bridge: { variables: [], target: { kind: 'extension', number: '200' } } }])
  })

  it('every setting has a flag', () => {
    for (const spec of SETTINGS) assert.match(flagName(spec.env), /^--[a-z0-9-]+$/)
  })
})
