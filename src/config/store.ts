/**
 * The router's webhook configs: an in-process LRU cache over Redis, kept
 * fresh by server-assisted invalidation (invalidation.ts), so a call costs no
 * Redis round trip in the steady state and an edit applies to the next call.
 *
 * - Unknown names are cached too ("missing"), and dropped when the key appears.
 * - An edit that does not validate is refused with one log line, and the last
 *   valid version keeps serving; with no valid version the lookup says invalid.
 * - Redis unreachable: whatever is cached keeps serving; anything else is
 *   "unavailable" at once (no offline queue), never a wait.
 * - Tracking lost: entries are served but not trusted; once it is armed again
 *   every cached name is read again (edits made meanwhile apply).
 */
import type { Logger } from '../logger.ts'
import type { RedisTarget } from './env.ts'
import { InvalidationListener } from './invalidation.ts'
import { LruMap } from './lru.ts'
import type { RedisClient } from './redis-connection.ts'
import type { ConfigLookup, ConfigSource } from './source.ts'
import { ConfigError, describeProblem, parseWebhookConfig, shownValue, WEBHOOK_NAME, type ConfigRules, type WebhookConfig } from './webhook-config.ts'

type Entry =
  | { readonly kind: 'found'; readonly config: WebhookConfig; readonly source: string; readonly refusedSource?: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'invalid'; readonly error: ConfigError; readonly source: string }

interface Slot {
  readonly entry: Entry
  /** Not known to match Redis (changed, or read while invalidation was not armed): read again before trusting. */
  stale: boolean
}

interface Fetch {
  readonly promise: Promise<ConfigLookup>
  /** An invalidation arrived while reading: the result may predate the edit. */
  invalidated: boolean
}

export interface ConfigStoreOptions {
  readonly redis: RedisClient
  readonly target: RedisTarget
  readonly prefix: string
  readonly rules: ConfigRules
  readonly maxEntries: number
  readonly logger: Logger
  /** Told when a cached webhook's config is deleted (metrics forget its series). */
  readonly onRemoved?: (name: string) => void
}

export interface ConfigStoreStats {
  /** Lookups answered from memory. */
  hits: number
  /** Lookups that read Redis. */
  reads: number
  /** Reads that failed (Redis unreachable). */
  readErrors: number
  /** Invalidation messages received. */
  invalidations: number
  /** Edits refused because they did not validate. */
  refused: number
}

export class ConfigStore implements ConfigSource {
  readonly stats: ConfigStoreStats = { hits: 0, reads: 0, readErrors: 0, invalidations: 0, refused: 0 }
  private readonly cache: LruMap<string, Slot>
  private readonly fetches = new Map<string, Fetch>()
  private readonly listener: InvalidationListener
  private readonly log: Logger
  private closed = false
  private readonly armedWaiters = new Set<() => void>()

  constructor(private readonly options: ConfigStoreOptions) {
    this.cache = new LruMap(options.maxEntries)
    this.log = options.logger
    this.listener = new InvalidationListener(
      options.target,
      options.prefix,
      {
        onInvalidate: (keys) => this.invalidate(keys),
        onArmed: () => {
          for (const wake of [...this.armedWaiters]) wake()
          this.revalidateAll()
        },
        onDisarmed: () => this.log.warn({}, 'Redis cache invalidation lost: cached configs keep serving until it is re-armed'),
      },
      options.logger,
      options.redis,
    )
  }

  start(): void {
    this.listener.start()
  }

  /** True while Redis pushes invalidations: cached entries are trusted. */
  get tracking(): boolean {
    return this.listener.armed
  }

  get size(): number {
    return this.cache.size
  }

  /** True when Redis answers and pushes invalidations: a lookup is a read at worst, a hit usually. */
  get ready(): boolean {
    return this.listener.armed && this.options.redis.status === 'ready'
  }

  /** Resolves true once `ready`, or false after `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<boolean> {
    if (this.ready) return Promise.resolve(true)
    const redis = this.options.redis
    return new Promise((resolve) => {
      const finish = (result: boolean): void => {
        clearTimeout(timer)
        this.armedWaiters.delete(check)
        redis.off('ready', check)
        resolve(result)
      }
      const check = (): void => {
        if (this.ready) finish(true)
      }
      const timer = setTimeout(() => finish(false), timeoutMs)
      this.armedWaiters.add(check)
      redis.on('ready', check)
    })
  }

  async close(): Promise<void> {
    this.closed = true
    await this.listener.close()
  }

  lookup(name: string): Promise<ConfigLookup> {
    if (!WEBHOOK_NAME.test(name)) return Promise.resolve({ kind: 'missing' })
    const slot = this.cache.get(name)
    if (slot && !slot.stale && this.listener.armed) {
      this.stats.hits++
      return Promise.resolve(toLookup(slot.entry))
    }
    return this.fetch(name)
  }

  /** Reads one webhook from Redis (one read per name at a time) and caches the result. */
  private fetch(name: string): Promise<ConfigLookup> {
    const running = this.fetches.get(name)
    if (running) return running.promise
    const key = `${this.options.prefix}${name}`
    this.stats.reads++
    const fetch: Fetch = {
      invalidated: false,
      promise: this.options.redis.hgetall(key).then(
        (hash) => {
          this.fetches.delete(name)
          const entry = this.toEntry(name, key, hash, this.cache.peek(name)?.entry)
          const trusted = this.listener.armed && !fetch.invalidated
          this.cache.set(name, { entry, stale: !trusted })
          // Changed while we read: read again so the cache settles on what Redis holds now.
          if (fetch.invalidated && this.listener.armed && !this.closed) void this.fetch(name)
          return toLookup(entry)
        },
        (error: unknown) => {
          this.fetches.delete(name)
          if ((error as Error).message.startsWith('WRONGTYPE')) {
            // A key under the prefix that is not a hash: a broken config, not an outage.
            const entry: Entry = { kind: 'invalid', error: new ConfigError(key, [{ field: '(key)', value: undefined, reason: 'is not a hash (use HSET)' }]), source: 'WRONGTYPE' }
            this.cache.set(name, { entry, stale: !(this.listener.armed && !fetch.invalidated) })
            return toLookup(entry)
          }
          this.stats.readErrors++
          const known = this.cache.peek(name)
          // Redis unreachable: the last version we know is better than no answer.
          if (known) return toLookup(known.entry)
          return { kind: 'unavailable', reason: `Redis: ${(error as Error).message}` } as const
        },
      ),
    }
    this.fetches.set(name, fetch)
    return fetch.promise
  }

  /** The cache entry for what Redis holds now, given what was cached before (the last valid version). */
  private toEntry(name: string, key: string, hash: Record<string, string>, previous: Entry | undefined): Entry {
    if (Object.keys(hash).length === 0) {
      if (previous && previous.kind !== 'missing') {
        this.log.info({ key }, 'webhook config removed')
        this.options.onRemoved?.(name)
      }
      return { kind: 'missing' }
    }
    const source = fingerprint(hash)
    if (previous?.kind === 'found' && previous.source === source) {
      if (previous.refusedSource === undefined) return previous
      // The refused edit was undone: the valid version is what Redis holds again.
      this.log.info({ key }, 'webhook config updated')
      return { kind: 'found', config: previous.config, source }
    }
    if (previous?.kind === 'invalid' && previous.source === source) return previous
    const parsed = parseWebhookConfig(key, name, hash, this.options.rules)
    if (!(parsed instanceof ConfigError)) {
      this.log.info({ key }, previous?.kind === 'found' ? 'webhook config updated' : 'webhook config loaded')
      return { kind: 'found', config: parsed, source }
    }
    // The first problem as fields (what an alert rule reads), every problem in `problems`, values masked.
    const problem = {
      key,
      field: parsed.field,
      value: parsed.value === undefined ? undefined : shownValue(parsed.field, parsed.value),
      reason: parsed.reason,
      problems: parsed.problems.map((each) => describeProblem(key, each)),
    }
    if (previous?.kind === 'found') {
      if (previous.refusedSource !== source) {
        this.stats.refused++
        this.log.warn(problem, 'webhook config edit refused, the last valid version keeps serving')
      }
      return { ...previous, refusedSource: source }
    }
    this.stats.refused++
    this.log.warn(problem, 'webhook config invalid, calls take the failure path (config_invalid)')
    return { kind: 'invalid', error: parsed, source }
  }

  private invalidate(keys: readonly string[] | null): void {
    this.stats.invalidations++
    if (keys === null) {
      for (const fetch of this.fetches.values()) fetch.invalidated = true
      this.revalidateAll()
      return
    }
    for (const key of keys) {
      if (!key.startsWith(this.options.prefix)) continue
      const name = key.slice(this.options.prefix.length)
      const fetch = this.fetches.get(name)
      if (fetch) fetch.invalidated = true
      const slot = this.cache.peek(name)
      if (!slot) continue
      slot.stale = true
      // Read it now rather than on the next call: the call finds it fresh, and a refused edit is logged at once.
      void this.fetch(name)
    }
  }

  /** Everything cached may have changed unseen: read it all again (served meanwhile). */
  private revalidateAll(): void {
    if (this.closed) return
    for (const fetch of this.fetches.values()) fetch.invalidated = true
    for (const name of [...this.cache.keys()]) {
      const slot = this.cache.peek(name)
      if (slot) slot.stale = true
      void this.fetch(name)
    }
  }
}

function toLookup(entry: Entry): ConfigLookup {
  switch (entry.kind) {
    case 'found':
      return { kind: 'found', config: entry.config }
    case 'missing':
      return { kind: 'missing' }
    case 'invalid':
      return { kind: 'invalid', error: entry.error }
  }
}

/** The hash's content, order-independent, to tell a real change from a rewrite of the same values. */
function fingerprint(hash: Record<string, string>): string {
  return JSON.stringify(Object.entries(hash).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}
