/**
 * Browser sessions: signing in with a token creates a random session id,
 * sent as an HttpOnly, SameSite=Strict cookie. Redis keeps, under the
 * digest of that id, only the token's hash (never the token), for 8 hours;
 * a token removed from ADMIN_TOKENS ends its sessions at once.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { RedisClient } from '../config/redis-connection.ts'
import type { RecordKeys } from '../records/keys.ts'
import type { Principal, TokenSet } from './tokens.ts'

export const SESSION_COOKIE = 'wr_session'
export const SESSION_TTL_MS = 8 * 3600 * 1000

const digest = (id: string): string => createHash('sha256').update(id).digest('hex')

export class SessionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RecordKeys,
    private readonly tokens: TokenSet,
  ) {}

  /** A new session for a token (by its hash); the cookie value. */
  async create(tokenHash: string): Promise<string> {
    const id = randomBytes(32).toString('base64url')
    await this.redis.set(this.keys.session(digest(id)), JSON.stringify({ tokenHash, created: Date.now() }), 'PX', SESSION_TTL_MS)
    return id
  }

  async principal(id: string | undefined): Promise<Principal | undefined> {
    if (id === undefined || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined
    const stored = await this.redis.get(this.keys.session(digest(id)))
    if (stored === null) return undefined
    try {
      const { tokenHash } = JSON.parse(stored) as { tokenHash?: unknown }
      return typeof tokenHash === 'string' ? this.tokens.byTokenHash(tokenHash) : undefined
    } catch {
      return undefined
    }
  }

  async destroy(id: string | undefined): Promise<void> {
    if (id === undefined || !/^[A-Za-z0-9_-]{43}$/.test(id)) return
    await this.redis.del(this.keys.session(digest(id)))
  }
}
