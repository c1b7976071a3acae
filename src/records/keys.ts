/**
 * Redis keys of records, alerts, the audit trail and console sessions, all
 * under RECORDS_PREFIX (never under REDIS_PREFIX, where every key is taken for
 * a config). Every command touches one key, so each works on a Redis Cluster.
 */
import { WEBHOOK_NAME } from '../config/webhook-config.ts'

export type StreamKind = 'calls' | 'alerts' | 'audit'

export class RecordKeys {
  constructor(readonly prefix: string) {}

  /** The stream of every webhook's records of a kind. */
  all(kind: StreamKind): string {
    return `${this.prefix}${kind}`
  }

  /** One webhook's stream of a kind. */
  of(kind: StreamKind, webhook: string): string {
    return `${this.prefix}${kind}:${webhook}`
  }

  /** Sorted set (all scores 0) of webhook names that have records: a tenant's names are one ZRANGEBYLEX away. */
  get names(): string {
    return `${this.prefix}names`
  }

  /** Hash: webhook name -> the config as last recorded in the audit trail (secret as a digest). */
  get snapshots(): string {
    return `${this.prefix}snapshots`
  }

  /** A console session, by the digest of its cookie value. */
  session(digest: string): string {
    return `${this.prefix}session:${digest}`
  }
}

/** Only real webhook names get their own streams (a dialplan may pass anything as the name). */
export function hasOwnStream(webhook: string): boolean {
  return WEBHOOK_NAME.test(webhook)
}
