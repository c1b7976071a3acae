/**
 * Request signing: `X-Webhook-Signature: v1=HEX`, HEX being
 * HMAC-SHA256(secret, "TIMESTAMP.METHOD.URL.BODY") with the URL exactly as
 * requested and an empty BODY for GET; `X-Webhook-Timestamp` carries the unix
 * seconds so a receiver can refuse replays.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

export function signature(secret: string, timestamp: string, method: string, url: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${method}.${url}.${body}`).digest('hex')}`
}

/** For receivers (the example server, tests): true when the signature matches and is fresh. */
export function verifySignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  method: string,
  url: string,
  body: string,
  options: { now?: number; toleranceSeconds?: number } = {},
): boolean {
  const { timestamp, signature: received } = headers
  if (timestamp === undefined || received === undefined || !/^\d+$/.test(timestamp)) return false
  const now = options.now ?? Math.floor(Date.now() / 1000)
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? 300)) return false
  const expected = Buffer.from(signature(secret, timestamp, method, url, body))
  const actual = Buffer.from(received)
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}
