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
}

export function captureLogs(level: pino.Level = 'debug'): CapturedLogs {
  const lines: LogLine[] = []
  const raw: string[] = []
  const logger = pino(
    { level, base: null },
    {
      write(text: string) {
        raw.push(text)
        lines.push(JSON.parse(text) as LogLine)
      },
    },
  )
  return { logger, lines, raw, find: (message) => lines.filter((line) => line.msg === message) }
}
