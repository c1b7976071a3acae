/**
 * `webhook-router serve`: settings from the environment and flags, then the
 * router until SIGTERM/SIGINT, which stop it gracefully (a second signal, or
 * the drain time plus a grace period, forces the exit).
 */
import { pino } from 'pino'
import { createApp } from '../app.ts'
import { loadSettings, SettingError } from '../config/env.ts'

/** Beyond the drain time, how long closing connections may take before the exit is forced. */
const FORCE_EXIT_GRACE_MS = 10_000

export async function serve(argv: readonly string[]): Promise<number> {
  const settings = loadSettings(process.env, argv)
  if (settings instanceof SettingError) {
    process.stderr.write(`webhook-router: ${settings.message}\n`)
    return 2
  }
  const logger = pino({ level: settings.logLevel, base: { service: 'webhook-router' } })
  // A bug must not go unnoticed; a rejected promise nobody awaited is logged, not fatal.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason instanceof Error ? reason.stack : String(reason) }, 'unhandled rejection'))
  const app = createApp({ settings, logger })
  // Signals are handled from the start: one that arrives while the router is
  // still starting (waiting for Redis, binding ports) stops it once started.
  let started = false
  let stopRequested: string | undefined
  let stopping = false
  let exitCode: (code: number) => void = () => {}
  const exited = new Promise<number>((resolve) => {
    exitCode = resolve
  })
  const stop = (signal: string): void => {
    if (stopping || (stopRequested !== undefined && !started)) {
      logger.warn({ signal }, 'second signal: exiting now')
      logger.flush()
      process.exit(1)
    }
    stopRequested = signal
    if (!started) return
    stopping = true
    logger.info({ signal, drainMs: settings.shutdownDrainMs, activeCalls: app.esl.activeSessions }, 'shutting down: no new calls; calls in progress finish or go back to the dialplan')
    const force = setTimeout(() => {
      logger.error({}, 'shutdown took too long: exiting now')
      logger.flush()
      process.exit(1)
    }, settings.shutdownDrainMs + FORCE_EXIT_GRACE_MS)
    force.unref()
    void app.close({ drainMs: settings.shutdownDrainMs }).then(
      () => {
        logger.info({}, 'stopped')
        logger.flush()
        exitCode(0)
      },
      (error: unknown) => {
        logger.error({ err: String(error) }, 'shutdown failed')
        logger.flush()
        exitCode(1)
      },
    )
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  try {
    await app.listen()
  } catch (error) {
    process.stderr.write(`webhook-router: cannot listen: ${(error as Error).message}\n`)
    await app.close()
    return 1
  }
  started = true
  if (stopRequested !== undefined) stop(stopRequested)
  return exited
}
