/**
 * The logging surface the modules depend on: pino's `(fields, message)` calls.
 * A pino logger satisfies it; tests pass a silent or capturing one.
 */
export type LogFields = Record<string, unknown>

export interface Logger {
  debug(fields: LogFields, message?: string): void
  info(fields: LogFields, message?: string): void
  warn(fields: LogFields, message?: string): void
  error(fields: LogFields, message?: string): void
  child(bindings: LogFields): Logger
}

const noop = (): void => {}

export const silentLogger: Logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
}
