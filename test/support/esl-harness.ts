/** An Event Socket server on a free port with a simulator pointed at it. */
import { EslServer } from '../../src/esl/server.ts'
import type { EslSession, SessionOptions } from '../../src/esl/session.ts'
import { parseAllowList } from '../../src/net/allow-list.ts'
import { FreeSwitchSimulator } from '../sim/simulator.ts'
import { TEST_SWITCH } from './test-switch.ts'

export interface Harness {
  readonly server: EslServer
  readonly sim: FreeSwitchSimulator
  readonly port: number
  /** Sessions the server handed to the handler, in order. */
  readonly sessions: EslSession[]
  close(): Promise<void>
}

export async function startHarness(
  onSession: (session: EslSession) => Promise<void> | void,
  options: { session?: Partial<SessionOptions>; allow?: string[]; timeScale?: number } = {},
): Promise<Harness> {
  const allow = parseAllowList(options.allow ?? ['127.0.0.1', '::1'])
  if (allow instanceof Error) throw allow
  const sessions: EslSession[] = []
  const server = new EslServer({
    host: '127.0.0.1',
    port: 0,
    allow,
    session: options.session ?? {},
    onSession: (session) => {
      sessions.push(session)
      return onSession(session)
    },
  })
  const address = await server.listen()
  const sim = new FreeSwitchSimulator({ host: '127.0.0.1', port: address.port, timeScale: options.timeScale ?? 0.01, ...TEST_SWITCH })
  return {
    server,
    sim,
    port: address.port,
    sessions,
    async close() {
      await sim.close()
      await server.close()
    },
  }
}

/** Resolves when `predicate` holds, checking after each turn of the event loop; rejects after `ms`. */
export async function until(predicate: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
}

/** Like `until`, for a condition that needs I/O (asking Redis or Sentinel); checks every few ms. */
export async function untilAsync(predicate: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
