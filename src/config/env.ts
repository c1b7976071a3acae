/**
 * Global settings: environment variables, each also a `--flag` of
 * `webhook-router serve` (flags win). Validated once into a frozen object; a
 * wrong value is reported as one line naming the setting.
 */
import { isLoopbackHost, parseAllowList, type AllowList } from '../net/allow-list.ts'
import { APPLICATIONS, DEFAULT_STEP_POLICY, isStepProblems, parseStepList, type Step, type StepPolicy } from '../steps/grammar.ts'
import { soundDirProblem } from '../steps/values.ts'

export type RedisTarget =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'sentinel'; readonly sentinels: ReadonlyArray<{ host: string; port: number }>; readonly name: string; readonly url: string | undefined }
  | { readonly kind: 'cluster'; readonly nodes: ReadonlyArray<{ host: string; port: number }>; readonly url: string | undefined }

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface Settings {
  readonly eslHost: string
  readonly eslPort: number
  readonly eslAllow: AllowList
  readonly redis: RedisTarget
  readonly redisPrefix: string
  readonly dialE164: string
  readonly dialExtension: string
  readonly defaultOnFailure: readonly Step[]
  readonly webhookAllowNets: AllowList
  readonly httpHost: string
  /** undefined: the operations endpoints are off. */
  readonly httpPort: number | undefined
  readonly logLevel: LogLevel
  /** What configs may choose from: applications, variables, contexts, endpoints, sound directories. */
  readonly stepPolicy: StepPolicy
  readonly circuitFailures: number
  readonly circuitCooldownMs: number
  readonly cacheMaxEntries: number
  readonly shutdownDrainMs: number
  /** Key prefix of call records, alerts, audit entries and console sessions (never under redisPrefix). */
  readonly recordsPrefix: string
  /** Call records kept per webhook; 0: routers write no records. */
  readonly recordsPerWebhook: number
  /** Call records kept across all webhooks. */
  readonly recordsTotal: number
}

export class SettingError extends Error {
  override readonly name = 'SettingError'

  constructor(
    readonly setting: string,
    reason: string,
  ) {
    super(`${setting}: ${reason}`)
  }
}

interface SettingSpec {
  readonly env: string
  readonly help: string
  readonly default?: string
}

/** Every setting, in the order `--help` lists them. */
export const SETTINGS: readonly SettingSpec[] = [
  { env: 'ESL_HOST', default: '127.0.0.1', help: 'address the outbound Event Socket server listens on' },
  { env: 'ESL_PORT', default: '8084', help: 'its port (0 = any free port, logged at start)' },
  { env: 'ESL_ALLOW', help: 'comma list of addresses/CIDRs allowed to connect (default: loopback when ESL_HOST is loopback, else required)' },
  { env: 'REDIS_URL', default: 'redis://127.0.0.1:6379', help: 'redis://, rediss:// or a unix socket path' },
  { env: 'REDIS_SENTINELS', help: 'host:port list of Redis Sentinels (instead of REDIS_URL)' },
  { env: 'REDIS_SENTINEL_NAME', default: 'mymaster', help: 'master name the Sentinels monitor' },
  { env: 'REDIS_CLUSTER', help: 'host:port list of Redis Cluster nodes (instead of REDIS_URL)' },
  { env: 'REDIS_PREFIX', default: 'webhook:', help: 'key prefix of webhook configs' },
  { env: 'DIAL_E164', default: 'sofia/gateway/default/{number}', help: 'dial string for E.164 destinations; {number} is replaced' },
  { env: 'DIAL_EXTENSION', default: 'user/{number}@${domain_name}', help: 'dial string for extensions' },
  { env: 'DEFAULT_ON_FAILURE', default: '[]', help: 'JSON list of "app args" run when a webhook config is missing or unusable ([] = hand back)' },
  { env: 'WEBHOOK_ALLOW_NETS', help: 'CIDRs webhooks may reach although internal (e.g. 127.0.0.0/8)' },
  { env: 'HTTP_HOST', default: '127.0.0.1', help: 'address of the health and metrics endpoints (0.0.0.0 for all interfaces)' },
  { env: 'HTTP_PORT', default: '9464', help: 'port of /healthz, /readyz and /metrics (0 = any free port, off = none)' },
  { env: 'LOG_LEVEL', default: 'info', help: 'fatal, error, warn, info, debug, trace or silent' },
  { env: 'EXTRA_FALLBACK_APPS', help: 'comma list of applications to allow in on_success/on_failure beyond the routing ones (their arguments: plain text)' },
  { env: 'EXTRA_STEP_VARIABLES', help: 'comma list of variables set/export/unset and bridge {...} blocks may name beyond the allow-list' },
  { env: 'TRANSFER_CONTEXTS', default: 'default', help: 'comma list of dialplan contexts "transfer <ext> XML <context>" may name' },
  { env: 'EXTRA_BRIDGE_ENDPOINTS', help: 'comma list of endpoint templates with {number} a bridge step may dial as written (e.g. sofia/gateway/backup/{number})' },
  { env: 'EXTRA_SOUND_DIRS', help: 'comma list of absolute directories whose files prompts and playback may name' },
  { env: 'CIRCUIT_FAILURES', default: '5', help: 'consecutive webhook failures that open its circuit' },
  { env: 'CIRCUIT_COOLDOWN_MS', default: '30000', help: 'how long an open circuit fails fast before a trial request' },
  { env: 'CONFIG_CACHE_SIZE', default: '10000', help: 'webhook configs kept in memory (least recently used evicted)' },
  { env: 'SHUTDOWN_DRAIN_MS', default: '30000', help: 'on SIGTERM, how long calls in progress may run before they are handed back' },
  { env: 'RECORDS_PREFIX', default: 'webhook-router:', help: 'key prefix of call records, alerts, the audit trail and console sessions (outside REDIS_PREFIX)' },
  { env: 'RECORDS_PER_WEBHOOK', default: '200', help: 'call records kept per webhook for the console and `calls` (0 = write none)' },
  { env: 'RECORDS_TOTAL', default: '10000', help: 'call records kept across all webhooks' },
]

/** `ESL_HOST` -> `--esl-host` */
export function flagName(env: string): string {
  return `--${env.toLowerCase().replaceAll('_', '-')}`
}

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])

type Env = Readonly<Record<string, string | undefined>>

interface Reader {
  /** The setting's value (flag first, then environment), undefined when unset or blank. */
  raw(name: string): string | undefined
  /** The value or its default. */
  get(name: string): string
}

function reader(env: Env, argv: readonly string[], accepted: ReadonlySet<string>): Reader | SettingError {
  const flags = parseFlags(argv, accepted)
  if (flags instanceof SettingError) return flags
  const raw = (name: string): string | undefined => {
    const value = flags.get(name) ?? env[name]
    return value === undefined || value.trim() === '' ? undefined : value.trim()
  }
  return { raw, get: (name) => raw(name) ?? SETTINGS.find((spec) => spec.env === name)?.default ?? '' }
}

/** What the config tools need: where Redis is, the key prefix and what configs may choose from. */
export interface RedisSettings {
  readonly redis: RedisTarget
  readonly redisPrefix: string
  readonly stepPolicy: StepPolicy
  /** Where the audit trail and records live (RECORDS_PREFIX). */
  readonly recordsPrefix: string
}

/** The settings a config's validity depends on. */
const STEP_SETTINGS = ['EXTRA_FALLBACK_APPS', 'EXTRA_STEP_VARIABLES', 'TRANSFER_CONTEXTS', 'EXTRA_BRIDGE_ENDPOINTS', 'EXTRA_SOUND_DIRS']

/** The settings the `config` commands accept as flags (the rest of the environment is ignored). */
export const REDIS_SETTINGS: ReadonlySet<string> = new Set(['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_SENTINEL_NAME', 'REDIS_CLUSTER', 'REDIS_PREFIX', 'RECORDS_PREFIX', ...STEP_SETTINGS])

/** Reads the Redis settings from the environment and flags, for the `config` commands. */
export function loadRedisSettings(env: Env, argv: readonly string[] = []): RedisSettings | SettingError {
  const read = reader(env, argv, REDIS_SETTINGS)
  if (read instanceof SettingError) return read
  const redis = redisTarget(read.raw, read.get)
  if (redis instanceof SettingError) return redis
  const stepPolicy = loadStepPolicy(read)
  if (stepPolicy instanceof SettingError) return stepPolicy
  const recordsPrefix = loadRecordsPrefix(read)
  if (recordsPrefix instanceof SettingError) return recordsPrefix
  return Object.freeze({ redis, redisPrefix: read.get('REDIS_PREFIX'), stepPolicy, recordsPrefix })
}

/** RECORDS_PREFIX: every key under REDIS_PREFIX is taken for a config, so records must live elsewhere. */
function loadRecordsPrefix(read: Reader): string | SettingError {
  const prefix = read.get('RECORDS_PREFIX')
  const configs = read.get('REDIS_PREFIX')
  if (/[\s*?[\]{}]/.test(prefix)) return new SettingError('RECORDS_PREFIX', `${JSON.stringify(prefix)} may not contain spaces, glob characters or braces`)
  if (prefix.startsWith(configs) || configs.startsWith(prefix)) {
    return new SettingError('RECORDS_PREFIX', `${JSON.stringify(prefix)} overlaps REDIS_PREFIX ${JSON.stringify(configs)}: records would be taken for webhook configs`)
  }
  return prefix
}

/** A comma list; every entry must pass `check`. */
function list(read: Reader, name: string, check: (entry: string) => string | undefined): string[] | SettingError {
  const entries: string[] = []
  for (const raw of read.get(name).split(',')) {
    const entry = raw.trim()
    if (entry === '') continue
    const problem = check(entry)
    if (problem) return new SettingError(name, `${JSON.stringify(entry)} ${problem}`)
    entries.push(entry)
  }
  return entries
}

function loadStepPolicy(read: Reader): StepPolicy | SettingError {
  const identifier = (entry: string): string | undefined => (/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(entry) ? undefined : 'is not a name')
  const extraApps = list(read, 'EXTRA_FALLBACK_APPS', (entry) => (/^[a-z][a-z0-9_]{0,63}$/.test(entry) ? undefined : 'is not an application name'))
  if (extraApps instanceof SettingError) return extraApps
  const extraVariables = list(read, 'EXTRA_STEP_VARIABLES', identifier)
  if (extraVariables instanceof SettingError) return extraVariables
  const transferContexts = list(read, 'TRANSFER_CONTEXTS', (entry) => (/^[A-Za-z0-9_.-]{1,64}$/.test(entry) ? undefined : 'is not a context name'))
  if (transferContexts instanceof SettingError) return transferContexts
  const bridgeEndpoints = list(read, 'EXTRA_BRIDGE_ENDPOINTS', (entry) =>
    entry.split('{number}').length !== 2 ? 'must hold {number} once' : /[\s{}[\]<>,|]/.test(entry.replace('{number}', '')) ? 'may not contain spaces, blocks or leg separators' : undefined,
  )
  if (bridgeEndpoints instanceof SettingError) return bridgeEndpoints
  const soundDirs = list(read, 'EXTRA_SOUND_DIRS', soundDirProblem)
  if (soundDirs instanceof SettingError) return soundDirs
  return Object.freeze({
    ...DEFAULT_STEP_POLICY,
    extraApps: new Set(extraApps.filter((app) => !Object.hasOwn(APPLICATIONS, app))),
    extraVariables: new Set(extraVariables),
    transferContexts: new Set(transferContexts),
    bridgeEndpoints,
    soundDirs: soundDirs.map((dir) => (dir.endsWith('/') ? dir : `${dir}/`)),
  })
}

/** Reads settings from the environment and flags (`--esl-port 8085` or `--esl-port=8085`). */
export function loadSettings(env: Env, argv: readonly string[] = []): Settings | SettingError {
  const read = reader(env, argv, new Set(SETTINGS.map((spec) => spec.env)))
  if (read instanceof SettingError) return read
  const { raw, get } = read

  const port = (name: string, allowZero = false): number | SettingError => {
    const text = get(name)
    const value = Number(text)
    if (!/^\d+$/.test(text) || value > 65535 || (!allowZero && value === 0)) return new SettingError(name, `${JSON.stringify(text)} is not a port number`)
    return value
  }
  const positive = (name: string, max: number): number | SettingError => {
    const text = get(name)
    const value = Number(text)
    if (!/^\d+$/.test(text) || value < 1 || value > max) return new SettingError(name, `${JSON.stringify(text)} must be a whole number from 1 to ${max}`)
    return value
  }
  const allowList = (name: string, fallback: string[]): AllowList | SettingError => {
    const text = raw(name)
    const list = parseAllowList(text === undefined ? fallback : text.split(','))
    return list instanceof Error ? new SettingError(name, list.message) : list
  }

  const eslHost = get('ESL_HOST')
  const eslPort = port('ESL_PORT', true)
  if (eslPort instanceof SettingError) return eslPort
  if (raw('ESL_ALLOW') === undefined && !isLoopbackHost(eslHost)) {
    return new SettingError('ESL_ALLOW', `is required when ESL_HOST (${eslHost}) is not a loopback address: list the FreeSWITCH hosts, e.g. ESL_ALLOW=10.0.0.5,10.0.0.6`)
  }
  const eslAllow = allowList('ESL_ALLOW', ['127.0.0.1', '::1'])
  if (eslAllow instanceof SettingError) return eslAllow

  const redis = redisTarget(raw, get)
  if (redis instanceof SettingError) return redis

  const dialE164 = get('DIAL_E164')
  const dialExtension = get('DIAL_EXTENSION')
  for (const [name, value] of [
    ['DIAL_E164', dialE164],
    ['DIAL_EXTENSION', dialExtension],
  ] as const) {
    if (!value.includes('{number}')) return new SettingError(name, `${JSON.stringify(value)} has no {number} placeholder`)
    if (/[\s\0]/.test(value)) return new SettingError(name, 'may not contain spaces or line breaks')
  }

  const stepPolicy = loadStepPolicy(read)
  if (stepPolicy instanceof SettingError) return stepPolicy
  const defaultOnFailure = parseStepList(get('DEFAULT_ON_FAILURE'), stepPolicy)
  if (isStepProblems(defaultOnFailure)) return new SettingError('DEFAULT_ON_FAILURE', defaultOnFailure.map((problem) => problem.reason).join('; '))

  const webhookAllowNets = allowList('WEBHOOK_ALLOW_NETS', [])
  if (webhookAllowNets instanceof SettingError) return webhookAllowNets
  const httpPort = get('HTTP_PORT').toLowerCase() === 'off' ? undefined : port('HTTP_PORT', true)
  if (httpPort instanceof SettingError) return httpPort
  const logLevel = get('LOG_LEVEL').toLowerCase()
  if (!LOG_LEVELS.has(logLevel)) return new SettingError('LOG_LEVEL', `${JSON.stringify(logLevel)} is not one of ${[...LOG_LEVELS].join(', ')}`)
  const circuitFailures = positive('CIRCUIT_FAILURES', 1000)
  if (circuitFailures instanceof SettingError) return circuitFailures
  const circuitCooldownMs = positive('CIRCUIT_COOLDOWN_MS', 3_600_000)
  if (circuitCooldownMs instanceof SettingError) return circuitCooldownMs
  const cacheMaxEntries = positive('CONFIG_CACHE_SIZE', 10_000_000)
  if (cacheMaxEntries instanceof SettingError) return cacheMaxEntries
  const shutdownDrainMs = positive('SHUTDOWN_DRAIN_MS', 86_400_000)
  if (shutdownDrainMs instanceof SettingError) return shutdownDrainMs
  const recordsPrefix = loadRecordsPrefix(read)
  if (recordsPrefix instanceof SettingError) return recordsPrefix
  const recordsPerWebhook = get('RECORDS_PER_WEBHOOK') === '0' ? 0 : positive('RECORDS_PER_WEBHOOK', 100_000)
  if (recordsPerWebhook instanceof SettingError) return recordsPerWebhook
  const recordsTotal = positive('RECORDS_TOTAL', 10_000_000)
  if (recordsTotal instanceof SettingError) return recordsTotal

  return Object.freeze({
    eslHost,
    eslPort,
    eslAllow,
    redis,
    redisPrefix: get('REDIS_PREFIX'),
    dialE164,
    dialExtension,
    defaultOnFailure,
    webhookAllowNets,
    httpHost: get('HTTP_HOST'),
    httpPort,
    logLevel: logLevel as LogLevel,
    stepPolicy,
    circuitFailures,
    circuitCooldownMs,
    cacheMaxEntries,
    shutdownDrainMs,
    recordsPrefix,
    recordsPerWebhook,
    recordsTotal,
  })
}

function parseFlags(argv: readonly string[], accepted: ReadonlySet<string>): Map<string, string> | SettingError {
  const byFlag = new Map(SETTINGS.filter((spec) => accepted.has(spec.env)).map((spec) => [flagName(spec.env), spec.env]))
  const values = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const equals = arg.indexOf('=')
    const flag = equals === -1 ? arg : arg.slice(0, equals)
    const env = byFlag.get(flag)
    if (!env) return new SettingError(flag, 'unknown option (see webhook-router --help)')
    const value = equals === -1 ? argv[++i] : arg.slice(equals + 1)
    if (value === undefined) return new SettingError(flag, 'needs a value')
    values.set(env, value)
  }
  return values
}

function hostPorts(name: string, text: string): Array<{ host: string; port: number }> | SettingError {
  const nodes: Array<{ host: string; port: number }> = []
  for (const entry of text.split(',')) {
    const trimmed = entry.trim()
    if (trimmed === '') continue
    const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(trimmed)
    if (!match) return new SettingError(name, `${JSON.stringify(trimmed)} is not host:port`)
    nodes.push({ host: (match[1] as string).replace(/^\[|\]$/g, ''), port: Number(match[2]) })
  }
  if (nodes.length === 0) return new SettingError(name, 'lists no host:port')
  return nodes
}

function redisTarget(raw: Reader['raw'], get: Reader['get']): RedisTarget | SettingError {
  const sentinels = raw('REDIS_SENTINELS')
  const cluster = raw('REDIS_CLUSTER')
  if (sentinels !== undefined && cluster !== undefined) return new SettingError('REDIS_CLUSTER', 'cannot be combined with REDIS_SENTINELS')
  const url = raw('REDIS_URL')
  if (url !== undefined) {
    const problem = redisUrlProblem(url)
    if (problem) return new SettingError('REDIS_URL', problem)
  }
  if (sentinels !== undefined) {
    const nodes = hostPorts('REDIS_SENTINELS', sentinels)
    if (nodes instanceof SettingError) return nodes
    return { kind: 'sentinel', sentinels: nodes, name: get('REDIS_SENTINEL_NAME'), url }
  }
  if (cluster !== undefined) {
    const nodes = hostPorts('REDIS_CLUSTER', cluster)
    if (nodes instanceof SettingError) return nodes
    return { kind: 'cluster', nodes, url }
  }
  return { kind: 'url', url: get('REDIS_URL') }
}

function redisUrlProblem(url: string): string | undefined {
  if (url.startsWith('/')) return undefined
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return `${JSON.stringify(maskCredentials(url))} is not a URL (redis://host:6379) nor a socket path`
  }
  const shown = JSON.stringify(maskCredentials(url))
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:' && parsed.protocol !== 'unix:') return `${shown}: use redis://, rediss:// or a unix socket path`
  for (const part of [parsed.username, parsed.password]) {
    try {
      decodeURIComponent(part)
    } catch {
      return `${shown}: the user name or password has a "%" that is not followed by two hex digits (write % as %25)`
    }
  }
  if (parsed.pathname !== '' && parsed.pathname !== '/' && !/^\/\d{1,5}$/.test(parsed.pathname) && parsed.protocol !== 'unix:') return `${shown}: the path must be a database number (/0)`
  return undefined
}

/** A Redis URL for messages: the password never shown. */
export function maskCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, (_, scheme: string) => `${scheme}***@`)
}
