/**
 * The whole router as `serve` builds it (real Redis, real webhook HTTP server,
 * real TCP Event Socket), with the FreeSWITCH simulator placing calls at it.
 */
import { createApp, type App } from '../../src/app.ts'
import type { CallSummary } from '../../src/call/flow.ts'
import { loadSettings, SettingError, type Settings } from '../../src/config/env.ts'
import type { RedisClient } from '../../src/config/redis-connection.ts'
import type { SessionOptions } from '../../src/esl/session.ts'
import { FreeSwitchSimulator, type SimCall, type SimCallOptions, type SimCallResult, type SwitchDirectory } from '../sim/simulator.ts'
import { captureLogs, type CapturedLogs } from './log-capture.ts'
import { RedisProcess, testClient } from './redis-server.ts'
import { TEST_SWITCH } from './test-switch.ts'
import { WebhookServer } from './webhook-server.ts'

export interface RouterHarnessOptions {
  /** Extra settings, as environment variables. */
  readonly env?: Readonly<Record<string, string>>
  /** Simulated FreeSWITCH time scale (0.01: a 5 s IVR timeout lasts 50 ms). */
  readonly timeScale?: number
  /** A Redis the caller manages; otherwise the harness starts its own. */
  readonly redis?: RedisProcess
  readonly webhookCa?: string
  readonly webhookTls?: { key: string; cert: string }
  /** How long the router waits for Redis before accepting calls (its default: 5 s). */
  readonly redisStartWaitMs?: number
  /** Event Socket session tuning passed to the router. */
  readonly session?: Partial<SessionOptions>
  /** The simulated switch's gateways, profiles and users (default: TEST_SWITCH). */
  readonly directory?: SwitchDirectory
}

export interface PlacedCall {
  readonly call: SimCall
  readonly result: SimCallResult
  readonly summary: CallSummary
}

export class RouterHarness {
  private readonly summaries = new Map<string, CallSummary>()
  private readonly summaryWaiters = new Map<string, (summary: CallSummary) => void>()

  private constructor(
    readonly app: App,
    readonly settings: Settings,
    readonly sim: FreeSwitchSimulator,
    readonly redis: RedisProcess,
    private readonly ownsRedis: boolean,
    /** A separate client, as an operator's redis-cli would be. */
    readonly admin: RedisClient,
    readonly webhook: WebhookServer,
    readonly logs: CapturedLogs,
    /** Where the operations endpoints answer. */
    readonly opsUrl: string,
    /** The router's Event Socket port (for tests that play FreeSWITCH by hand). */
    readonly eslPort: number,
  ) {}

  static async start(options: RouterHarnessOptions = {}): Promise<RouterHarness> {
    const redis = options.redis ?? (await RedisProcess.start())
    const webhook = await WebhookServer.start(options.webhookTls ? { tls: options.webhookTls } : {})
    const settings = loadSettings({
      ESL_PORT: '0',
      REDIS_URL: redis.url,
      WEBHOOK_ALLOW_NETS: '127.0.0.0/8',
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
      ...options.env,
    })
    if (settings instanceof SettingError) throw settings
    const logs = captureLogs()
    let harness: RouterHarness | undefined
    const app = createApp({
      settings,
      logger: logs.logger,
      ...(options.webhookCa ? { webhookCa: options.webhookCa } : {}),
      ...(options.redisStartWaitMs !== undefined ? { redisStartWaitMs: options.redisStartWaitMs } : {}),
      ...(options.session ? { session: options.session } : {}),
      onCallDone: (summary) => harness?.recordSummary(summary),
    })
    const { esl, http } = await app.listen()
    const sim = new FreeSwitchSimulator({ host: '127.0.0.1', port: esl.port, timeScale: options.timeScale ?? 0.01, ...(options.directory ?? TEST_SWITCH) })
    const admin = testClient({ kind: 'url', url: redis.url })
    admin.on('error', () => {})
    harness = new RouterHarness(app, settings, sim, redis, options.redis === undefined, admin, webhook, logs, http ? `http://127.0.0.1:${http.port}` : '', esl.port)
    return harness
  }

  /** Replaces the webhook's hash, as `redis-cli DEL` + `HSET` would. */
  async configure(name: string, fields: Readonly<Record<string, string>>): Promise<void> {
    const key = `${this.settings.redisPrefix}${name}`
    await this.admin.multi().del(key).hset(key, fields).exec()
  }

  /** Places a call and waits until both FreeSWITCH and the router are done with it. */
  async call(options: SimCallOptions): Promise<PlacedCall> {
    const call = this.sim.placeCall(options)
    const [result, summary] = await Promise.all([call.done, this.summaryFor(call.uuid)])
    return { call, result, summary }
  }

  summaryFor(uuid: string): Promise<CallSummary> {
    const known = this.summaries.get(uuid)
    if (known) return Promise.resolve(known)
    return new Promise((resolve) => this.summaryWaiters.set(uuid, resolve))
  }

  async close(): Promise<void> {
    await this.sim.close()
    await this.app.close()
    await this.webhook.close()
    this.admin.disconnect()
    if (this.ownsRedis) await this.redis.stop()
  }

  private recordSummary(summary: CallSummary): void {
    this.summaries.set(summary.uuid, summary)
    const waiter = this.summaryWaiters.get(summary.uuid)
    this.summaryWaiters.delete(summary.uuid)
    waiter?.(summary)
  }
}
