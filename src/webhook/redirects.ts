/**
 * Following a webhook's redirect, one hop at a time, as browsers and undici
 * do: a 303 (or a 301/302 answering a POST) continues as a GET without body;
 * 307 and 308 repeat the method and body. The client walks the hops itself so
 * a failure on a later hop is retried (or not) on that hop alone, never by
 * sending the first request again.
 */

export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([300, 301, 302, 303, 307, 308])

export interface Hop {
  readonly origin: string
  /** The request target: path and query. */
  readonly path: string
  readonly method: 'GET' | 'POST'
  readonly body: string
}

/** The next hop, or the reason the redirect cannot be followed. */
export function nextHop(current: Hop, status: number, location: string | undefined): Hop | string {
  if (location === undefined || location === '') return `HTTP ${status} redirect without a Location`
  let target: URL
  try {
    target = new URL(location, `${current.origin}${current.path}`)
  } catch {
    return `HTTP ${status} redirect to an invalid Location`
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return `HTTP ${status} redirect to a ${target.protocol} URL`
  const asGet = status === 303 || ((status === 301 || status === 302) && current.method === 'POST')
  return {
    origin: target.origin,
    path: `${target.pathname}${target.search}`,
    method: asGet ? 'GET' : current.method,
    body: asGet ? '' : current.body,
  }
}

/** The headers for a hop: a hop turned into a GET carries no body headers. */
export function hopHeaders(headers: Readonly<Record<string, string>>, hop: Hop): Record<string, string> {
  if (hop.method === 'POST') return { ...headers }
  const { 'content-type': _dropped, ...rest } = headers
  return rest
}
