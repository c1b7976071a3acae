/**
 * The test runner ends a file that overruns its timeout with SIGTERM, which
 * by default skips the process's 'exit' hooks: the redis-server and router
 * processes a test started would be left running. This turns SIGTERM and
 * SIGINT into an ordinary exit, so those hooks run and kill them.
 */
const INSTALLED = Symbol.for('webhook-router.test.exit-on-signal')

export function exitOnSignal(): void {
  const state = globalThis as unknown as Record<symbol, boolean | undefined>
  if (state[INSTALLED]) return
  state[INSTALLED] = true
  process.once('SIGTERM', () => process.exit(143))
  process.once('SIGINT', () => process.exit(130))
}
