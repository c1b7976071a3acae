/** `webhook-router serve`: settings from the environment and flags, then the router until SIGTERM/SIGINT. */
import { pino } from 'pino'
import { createApp } from '../app.ts'
import { loadSettings, SettingError } from '../config/env.ts'

export async function serve(argv: readonly string[]): Promise<number> {
  const settings = loadSettings(process.env, argv)
  if (settings instanceof SettingError) {
    process.stderr.write(`webhook-router: ${settings.message}\n`)
    return 2
  }
  const logger = pino({ level: settings.logLevel, base: { service: 'webhook-router' } })
  const app = createApp({ settings, logger })
  try {
    await app.listen()
  } catch (error) {
    process.stderr.write(`webhook-router: cannot listen on ${settings.eslHost}:${settings.eslPort}: ${(error as Error).message}\n`)
    await app.close()
    return 1
  }
  return new Promise<number>((resolve) => {
    let stopping = false
    const stop = (signal: string): void => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting now')
        process.exit(1)
      }
      stopping = true
      logger.info({ signal, drainMs: settings.shutdownDrainMs }, 'shutting down: no new calls, calls in progress may finish')
      void app.close({ drainMs: settings.shutdownDrainMs }).then(
        () => {
          logger.info({}, 'stopped')
          logger.flush()
          resolve(0)
        },
        (error: unknown) => {
          logger.error({ err: String(error) }, 'shutdown failed')
          resolve(1)
        },
      )
    }
    process.on('SIGTERM', () => stop('SIGTERM'))
    process.on('SIGINT', () => stop('SIGINT'))
  })
}
