/**
 * An Event Socket server on a free port with a simulator pointed at it.
 *
 * The server catches what a session handler throws (in production that hands
 * the call back), so an assertion inside a handler would assert nothing. The
 * harness keeps each handler's failure: `settle(promise)` rejects with it at
 * once, in place of whatever the test was waiting for, and `close()` rethrows
 * it, so a failing handler fails the test that started it with its own message.
 * (A handler that fails because close() ended its call is not counted.)
 */
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
  /** What the handlers threw, in order (with `handlerErrors: 'expected'` a test checks these itself). */
  readonly handlerErrors: unknown[]
  /** `promise`'s value, unless a session handler fails first: then the handler's error, at once. */
  settle<T>(promise: Promise<T>): Promise<T>
  /** Stops the simulator and the server; then rethrows the first handler failure, if any. */
  close(): Promise<void>
}

export interface HarnessOptions {
  readonly session?: Partial<SessionOptions>
  readonly allow?: string[]
  readonly timeScale?: number
  /** `fail` (default): a handler that throws fails the test; `expected`: the test means it to. */
  readonly handlerErrors?: 'fail' | 'expected'
}

export async function startHarness(onSession: (session: EslSession) => Promise<void> | void, options: HarnessOptions = {}): Promise<Harness> {
  const allow = parseAllowList(options.allow ?? ['127.0.0.1', '::1'])
  if (allow instanceof Error) throw allow
  const failing = (options.handlerErrors ?? 'fail') === 'fail'
  const sessions: EslSession[] = []
  const handlerErrors: unknown[] = []
  // A handler failing because close() ended its call is the shutdown's doing, not a test failure.
  let closing = false
  let fail!: (error: unknown) => void
  const failure = new Promise<never>((_, reject) => {
    fail = reject
  })
  // Only ever observed through settle() and close().
  failure.catch(() => {})
  const server = new EslServer({
    host: '127.0.0.1',
    port: 0,
    allow,
    session: options.session ?? {},
    onSession: async (session) => {
      sessions.push(session)
      try {
        await onSession(session)
      } catch (error) {
        if (!closing) handlerErrors.push(error)
        if (failing && !closing) fail(error)
        // The server still sees it and hands the call back, as in production.
        throw error
      }
    },
  })
  const address = await server.listen()
  const sim = new FreeSwitchSimulator({ host: '127.0.0.1', port: address.port, timeScale: options.timeScale ?? 0.01, ...TEST_SWITCH })
  return {
    server,
    sim,
    port: address.port,
    sessions,
    handlerErrors,
    settle: (promise) => (failing ? Promise.race([promise, failure]) : promise),
    async close() {
      closing = true
      await sim.close()
      await server.close()
      if (failing && handlerErrors.length > 0) throw handlerErrors[0]
    },
  }
}

/** Resolves when `predicate` holds, checking after each turn of the event loop; rejects after `ms`. */
export async function until(predicate: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
}

/** Like `until`, for a condition that needs I/O (asking Redis or Sentinel); checks every few ms. */
export async function untilAsync(predicate: () => Promise<boolean>, ms = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
