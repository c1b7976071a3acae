/**
 * Access tokens of the console and the API. A token is 32 random bytes
 * (base64url, prefixed `wrt_`); ADMIN_TOKENS holds only their SHA-256, with a
 * role and an optional webhook-name prefix (a tenant):
 *
 *   ADMIN_TOKENS=<sha256 hex>:admin:,<sha256 hex>:read:acme-
 *
 * A token is long and random, so one fast hash is enough (no password
 * stretching needed), and knowing ADMIN_TOKENS gives no way in.
 */
import { createHash, randomBytes } from 'node:crypto'

export type Role = 'admin' | 'read'

/** Who is asking: the token's role and the webhook names it may see. */
export interface Principal {
  /** The first 8 hex digits of the token's hash: names it in the audit trail without revealing it. */
  readonly id: string
  readonly role: Role
  /** Webhook-name prefix it is limited to; '' = every webhook. */
  readonly prefix: string
}

const PREFIX_PATTERN = /^[A-Za-z0-9_.:@-]{0,64}$/

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** A new token and its ADMIN_TOKENS entry. */
export function newToken(role: Role, prefix: string): { token: string; entry: string } {
  const token = `wrt_${randomBytes(32).toString('base64url')}`
  return { token, entry: `${hashToken(token)}:${role}:${prefix}` }
}

export function isRole(text: string): text is Role {
  return text === 'admin' || text === 'read'
}

/** Why a prefix cannot limit a token (the characters of webhook names only), or undefined. */
export function prefixProblem(prefix: string): string | undefined {
  return PREFIX_PATTERN.test(prefix) ? undefined : 'a prefix is at most 64 of A-Z a-z 0-9 _ . : @ -'
}

/** The tokens ADMIN_TOKENS lists, by hash. */
export class TokenSet {
  private constructor(private readonly byHash: ReadonlyMap<string, Principal>) {}

  /** Parses `hash:role:prefix` entries joined by commas; the error names the entry. */
  static parse(text: string): TokenSet | Error {
    const entries = new Map<string, Principal>()
    for (const [index, raw] of text.split(',').entries()) {
      const entry = raw.trim()
      if (entry === '') continue
      const match = /^([0-9a-f]{64}):([a-z]+):(.*)$/.exec(entry)
      const where = `entry ${index + 1}`
      if (!match) return new Error(`${where} is not <sha256 hex>:<role>:<prefix> (webhook-router admin token prints one)`)
      const [, hash, role, prefix] = match as unknown as [string, string, string, string]
      if (!isRole(role)) return new Error(`${where}: role must be admin or read`)
      const problem = prefixProblem(prefix)
      if (problem) return new Error(`${where}: ${problem}`)
      entries.set(hash, { id: hash.slice(0, 8), role, prefix })
    }
    return new TokenSet(entries)
  }

  get size(): number {
    return this.byHash.size
  }

  /** The principal of a presented token, or undefined. */
  verify(token: string): Principal | undefined {
    if (!/^wrt_[A-Za-z0-9_-]{20,100}$/.test(token)) return undefined
    return this.byHash.get(hashToken(token))
  }

  /** The principal of a token hash (a session holds the hash, never the token). */
  byTokenHash(hash: string): Principal | undefined {
    return this.byHash.get(hash)
  }
}

/** Whether a principal may see a webhook name. */
export function mayView(principal: Principal, webhook: string): boolean {
  return webhook.startsWith(principal.prefix)
}

/** How the audit trail names a console user. */
export function describePrincipal(principal: Principal): string {
  return `console: token ${principal.id} (${principal.role}${principal.prefix === '' ? '' : `, ${principal.prefix}*`})`
}
