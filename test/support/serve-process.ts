/**
 * `webhook-router serve` as a real child process: its JSON log lines, waits
 * for a line or for its exit with deadlines that name what did not happen,
 * and a SIGKILL of every child left when the test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { within } from './deadline.ts'
import { exitOnSignal } from './exit-on-signal.ts'

export const SERVE_BIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.js')

export type LogRecord = Readonly<Record<string, unknown>>

exitOnSignal()
const children = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

export interface ServeOptions {
  /** The environment (PATH is added). */
  readonly env: Readonly<Record<string, string>>
  readonly args?: readonly string[]
  /** Options for node itself, before the script (e.g. `--import` of a fault-injecting module). */
  readonly nodeArgs?: readonly string[]
}

export class ServeProcess {
  readonly lines: LogRecord[] = []
  /** Resolves with the exit code and signal, however the process ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  private readonly waiters = new Set<{ match: (line: LogRecord) => boolean; resolve: (line: LogRecord) => void }>()
  private stderrText = ''

  private constructor(readonly child: ChildProcess) {
    children.add(child)
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        children.delete(child)
        resolve({ code, signal })
      })
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrText += chunk.toString()
    })
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
      let line: LogRecord
      try {
        line = JSON.parse(text) as LogRecord
      } catch {
        line = { msg: text, unparsed: true }
      }
      this.lines.push(line)
      for (const waiter of [...this.waiters]) {
        if (!waiter.match(line)) continue
        this.waiters.delete(waiter)
        waiter.resolve(line)
      }
    })
  }

  static start(options: ServeOptions): ServeProcess {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), SERVE_BIN, 'serve', ...(options.args ?? [])], {
      env: { PATH: process.env['PATH'] ?? '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    return new ServeProcess(child)
  }

  /** What the process wrote on stderr so far. */
  get stderr(): string {
    return this.stderrText
  }

  /** The first line (seen already or to come) with this message (or one it matches) that `match` accepts; rejects after `ms`. */
  line(message: string | RegExp, ms = 15_000, match: (line: LogRecord) => boolean = () => true, cancel?: AbortSignal): Promise<LogRecord> {
    const accepts = (line: LogRecord): boolean => (typeof message === 'string' ? line['msg'] === message : message.test(String(line['msg']))) && match(line)
    const seen = this.lines.find(accepts)
    if (seen) return Promise.resolve(seen)
    let waiter: { match: (line: LogRecord) => boolean; resolve: (line: LogRecord) => void } | undefined
    const found = new Promise<LogRecord>((resolve) => {
      waiter = { match: accepts, resolve }
      this.waiters.add(waiter)
    })
    return within(found, ms, `the router's log line ${String(message)}`, cancel).finally(() => {
      if (waiter) this.waiters.delete(waiter)
    })
  }

  /** Waits for the event socket server and returns its port. */
  async eslPort(ms = 15_000): Promise<number> {
    const settled = new AbortController()
    try {
      const listening = await Promise.race([
        this.line('event socket server listening', ms, () => true, settled.signal),
        this.exited.then(({ code }) => {
          throw new Error(`webhook-router serve exited (${code}) before listening: ${this.stderrText.slice(-400)}`)
        }),
      ])
      return Number(listening['port'])
    } finally {
      // The losing wait must not keep its deadline (and the test process) alive.
      settled.abort()
    }
  }

  /** Resolves with the exit once the process ended; rejects naming `what` after `ms`. */
  waitExit(ms: number, what = 'the router exiting'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return within(this.exited, ms, what)
  }

  /** SIGKILL if still running, then wait for the exit. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
    await this.exited
  }
}
