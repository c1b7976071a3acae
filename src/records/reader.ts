/**
 * Reads records back for the console, the API and `webhook-router calls`:
 * one webhook's stream, every webhook's, or a tenant's (the streams of the
 * webhook names under its prefix, merged), newest first.
 */
import type { RedisClient } from '../config/redis-connection.ts'
import type { RecordKeys, StreamKind } from './keys.ts'
import type { AlertRecord, AnyRecord, AuditRecord, CallRecord, Stored } from './types.ts'

/** Which records a reader may see: `prefix` '' = every webhook (and the router's own alerts). */
export interface Scope {
  readonly prefix: string
}

export interface Query {
  /** One webhook (already checked against the scope). */
  readonly webhook?: string | undefined
  readonly limit: number
}

type Entry = [id: string, fields: string[]]

/** A tenant's streams are merged from at most this many webhook names. */
const MAX_NAMES = 500

type RecordOf<K extends StreamKind> = K extends 'calls' ? CallRecord : K extends 'alerts' ? AlertRecord : AuditRecord

export class RecordReader {
  constructor(
    private readonly redis: RedisClient,
    readonly keys: RecordKeys,
  ) {}

  /** The newest records of a kind, newest first. */
  async recent<K extends StreamKind>(kind: K, scope: Scope, query: Query): Promise<Array<Stored<RecordOf<K>>>> {
    const limit = Math.max(1, Math.min(query.limit, 1000))
    if (query.webhook !== undefined) return this.read<K>(this.keys.of(kind, query.webhook), limit)
    if (scope.prefix === '') return this.read<K>(this.keys.all(kind), limit)
    const names = await this.namesUnder(scope.prefix)
    const lists = await Promise.all(names.map((name) => this.read<K>(this.keys.of(kind, name), limit)))
    return lists
      .flat()
      .sort((a, b) => b.t - a.t)
      .slice(0, limit)
  }

  /** One call's record by its UUID, searched in the streams the scope may see. */
  async call(uuid: string, scope: Scope, webhook?: string): Promise<Stored<CallRecord> | undefined> {
    const search = async (key: string): Promise<Stored<CallRecord> | undefined> => {
      let end = '+'
      // Pages of 1000: the overall stream may hold RECORDS_TOTAL.
      for (;;) {
        const entries = (await this.redis.xrevrange(key, end, '-', 'COUNT', 1000)) as Entry[]
        for (const entry of entries) {
          const record = parse<CallRecord>(entry)
          if (record?.uuid === uuid) return record
        }
        const last = entries.at(-1)
        if (entries.length < 1000 || !last) return undefined
        end = `(${last[0]}`
      }
    }
    if (webhook !== undefined) return search(this.keys.of('calls', webhook))
    if (scope.prefix === '') return search(this.keys.all('calls'))
    for (const name of await this.namesUnder(scope.prefix)) {
      const found = await search(this.keys.of('calls', name))
      if (found) return found
    }
    return undefined
  }

  /** Webhook names that have records, under a prefix (ZRANGEBYLEX on the index). */
  async namesUnder(prefix: string): Promise<string[]> {
    return this.redis.zrangebylex(this.keys.names, `[${prefix}`, `[${prefix}\u{10ffff}`, 'LIMIT', 0, MAX_NAMES)
  }

  /** The stream entries after `afterId` (XREAD BLOCK), for `calls --follow`; [] when none came in `blockMs`. */
  async follow<K extends StreamKind>(key: string, afterId: string, blockMs: number): Promise<Array<Stored<RecordOf<K>>>> {
    const reply = (await this.redis.xread('COUNT', 100, 'BLOCK', blockMs, 'STREAMS', key, afterId)) as Array<[string, Entry[]]> | null
    const entries = reply?.[0]?.[1] ?? []
    return entries.flatMap((entry) => parse<RecordOf<K>>(entry) ?? [])
  }

  /** The id of a stream's newest entry ('0' when it is empty). */
  async lastId(key: string): Promise<string> {
    const entries = (await this.redis.xrevrange(key, '+', '-', 'COUNT', 1)) as Entry[]
    return entries[0]?.[0] ?? '0'
  }

  private async read<K extends StreamKind>(key: string, limit: number): Promise<Array<Stored<RecordOf<K>>>> {
    const entries = (await this.redis.xrevrange(key, '+', '-', 'COUNT', limit)) as Entry[]
    return entries.flatMap((entry) => parse<RecordOf<K>>(entry) ?? [])
  }
}

function parse<T extends AnyRecord>([id, fields]: Entry): Stored<T> | undefined {
  const at = fields.indexOf('r')
  if (at === -1 || at % 2 !== 0) return undefined
  try {
    const value = JSON.parse(fields[at + 1] ?? '') as T
    return typeof value === 'object' && value !== null && typeof value.t === 'number' ? { ...value, id } : undefined
  } catch {
    return undefined
  }
}
