/** A real pino logger writing JSON lines into memory, for tests that check what operators will read. */
import { pino } from 'pino'
import type { Logger } from '../../src/logger.ts'

export interface LogLine {
  readonly level: number
  readonly msg: string
  readonly [field: string]: unknown
}

export interface CapturedLogs {
  readonly logger: Logger
  readonly lines: LogLine[]
  /** Every line as the raw JSON text pino wrote. */
  readonly raw: string[]
  /** Lines with this message. */
  find(message: string): LogLine[]
  /** Resolves with the first line from now on whose message starts with `prefix` and that `match` accepts. */
  next(prefix: string, match?: (line: LogLine) => boolean): Promise<LogLine>
}

export function captureLogs(level: pino.Level = 'debug'): CapturedLogs {
  const lines: LogLine[] = []
  const raw: string[] = []
  const waiters = new Set<{ prefix: string; match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>()
  const logger = pino(
    { level, base: null },
    {
      write(text: string) {
        raw.push(text)
        const line = JSON.parse(text) as LogLine
        lines.push(line)
        for (const waiter of waiters) {
          if (!line.msg.startsWith(waiter.prefix) || !waiter.match(line)) continue
          waiters.delete(waiter)
          waiter.resolve(line)
        }
      },
    },
  )
  return {
    logger,
    lines,
    raw,
    find: (message) => lines.filter((line) => line.msg === message),
    next: (prefix, match = () => true) => new Promise((resolve) => waiters.add({ prefix, match, resolve })),
  }
}
