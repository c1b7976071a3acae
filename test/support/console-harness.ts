/**
 * The console as `webhook-router admin` runs it, beside a whole router
 * (RouterHarness: real Redis, webhook server, simulator), with tokens for
 * an operator, a read-only viewer and two tenants.
 */
import { pino } from 'pino'
import { request } from 'undici'
import { loadConsoleSettings } from '../../src/console/settings.ts'
import { createConsole, type ConsoleServer } from '../../src/console/server.ts'
import { newToken } from '../../src/console/tokens.ts'
import { SettingError } from '../../src/config/env.ts'
import { RouterHarness, type RouterHarnessOptions } from './router-harness.ts'

export interface ApiResponse {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: unknown
  readonly text: string
}

export class ConsoleHarness {
  private constructor(
    readonly router: RouterHarness,
    readonly console: ConsoleServer,
    readonly url: string,
    readonly tokens: { readonly admin: string; readonly read: string; readonly acme: string; readonly acmeRead: string; readonly globex: string },
  ) {}

  static async start(options: RouterHarnessOptions & { loginAttemptsPerMinute?: number } = {}): Promise<ConsoleHarness> {
    const router = await RouterHarness.start(options)
    const admin = newToken('admin', '')
    const read = newToken('read', '')
    const acme = newToken('admin', 'acme-')
    const acmeRead = newToken('read', 'acme-')
    const globex = newToken('admin', 'globex-')
    const settings = loadConsoleSettings(
      {
        REDIS_URL: router.redis.url,
        WEBHOOK_ALLOW_NETS: '127.0.0.0/8',
        ADMIN_PORT: '0',
        ADMIN_TOKENS: [admin, read, acme, acmeRead, globex].map((token) => token.entry).join(','),
        LOG_LEVEL: 'silent',
        ...options.env,
      },
      [],
    )
    if (settings instanceof SettingError) throw settings
    const server = await createConsole({ settings, logger: pino({ level: 'silent' }), ...(options.loginAttemptsPerMinute !== undefined ? { loginAttemptsPerMinute: options.loginAttemptsPerMinute } : {}) })
    const address = await server.listen()
    return new ConsoleHarness(router, server, `http://127.0.0.1:${address.port}`, { admin: admin.token, read: read.token, acme: acme.token, acmeRead: acmeRead.token, globex: globex.token })
  }

  /** An API call with a bearer token. */
  async api(token: string | undefined, method: 'GET' | 'PUT' | 'DELETE' | 'POST', path: string, body?: unknown): Promise<ApiResponse> {
    const response = await request(`${this.url}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    const text = await response.body.text()
    let parsed: unknown
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch {
      parsed = undefined
    }
    return { status: response.statusCode, headers: response.headers, body: parsed, text }
  }

  /** Waits until the routers' queued records reach Redis. */
  async flushRecords(): Promise<void> {
    await this.router.app.recorder?.writer.flush()
  }

  async close(): Promise<void> {
    await this.console.close()
    await this.router.close()
  }
}
