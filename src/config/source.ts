/** Where the call flow gets a webhook's config from (the cached Redis store implements it). */
import type { ConfigError, WebhookConfig } from './webhook-config.ts'

export type ConfigLookup =
  | { readonly kind: 'found'; readonly config: WebhookConfig }
  | { readonly kind: 'missing' }
  /** The stored hash does not validate and no earlier valid version is known. */
  | { readonly kind: 'invalid'; readonly error: ConfigError }
  /** Redis cannot be reached and the config is not cached. */
  | { readonly kind: 'unavailable'; readonly reason: string }

export interface ConfigSource {
  lookup(name: string): Promise<ConfigLookup>
}
