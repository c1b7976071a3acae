/**
 * Reads a webhook's hash from Redis on every lookup. The cached store
 * (store.ts) replaces it in service; this plain form serves tools and tests.
 */
import type { RedisClient } from './redis-connection.ts'
import type { ConfigLookup, ConfigSource } from './source.ts'
import { ConfigError, parseWebhookConfig, type ConfigRules } from './webhook-config.ts'

/** Webhook names the router looks up: what `set webhook=NAME` may reasonably hold. */
export const WEBHOOK_NAME = /^[A-Za-z0-9_.:@-]{1,128}$/

export class RedisConfigSource implements ConfigSource {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly rules: ConfigRules,
  ) {}

  async lookup(name: string): Promise<ConfigLookup> {
    if (!WEBHOOK_NAME.test(name)) return { kind: 'missing' }
    const key = `${this.prefix}${name}`
    let hash: Record<string, string>
    try {
      hash = await this.redis.hgetall(key)
    } catch (error) {
      return { kind: 'unavailable', reason: `Redis: ${(error as Error).message}` }
    }
    if (Object.keys(hash).length === 0) return { kind: 'missing' }
    const config = parseWebhookConfig(key, name, hash, this.rules)
    return config instanceof ConfigError ? { kind: 'invalid', error: config } : { kind: 'found', config }
  }
}
