/**
 * Commands waiting for their reply. FreeSWITCH answers commands strictly in
 * order, one `command/reply` or `api/response` each, so replies are matched
 * first in, first out. A wait may end early (its deadline, the hang-up), but
 * its slot stays until the reply arrives, so later replies still line up.
 * FreeSWITCH answers every command at once, so one watchdog follows the
 * oldest unanswered command: past `timeoutMs` the peer is broken.
 */
import type { EslError } from '../errors.ts'
import type { EslMessage } from './messages.ts'

export type ReplyMessage = Extract<EslMessage, { kind: 'reply' | 'api' }>

interface Waiter {
  readonly settle: (result: ReplyMessage | EslError) => void
  settled: boolean
  timer: NodeJS.Timeout | undefined
  readonly sentAt: number
  /** `sendmsg`, `api uuid_setvar_multi`...: for the log line when it is never answered. */
  readonly command: string
}

export class ReplyQueue {
  private readonly waiters: Waiter[] = []
  private watchdog: NodeJS.Timeout | undefined

  constructor(
    private readonly timeoutMs: number,
    /** The oldest command went unanswered for `timeoutMs`. */
    private readonly onUnanswered: (command: string) => void,
  ) {}

  get size(): number {
    return this.waiters.length
  }

  /** True while the watchdog runs (for leak checks). */
  get watching(): boolean {
    return this.watchdog !== undefined
  }

  /** Queues the wait for the reply to `command`, just written; `deadline` (ms since epoch) ends the wait, not the slot. */
  add(command: string, deadline: number | undefined, settle: Waiter['settle'], onDeadline: () => EslError): void {
    const waiter: Waiter = { settle, settled: false, timer: undefined, sentAt: Date.now(), command }
    if (deadline !== undefined) waiter.timer = setTimeout(() => this.settle(waiter, onDeadline()), Math.max(0, deadline - Date.now()))
    this.waiters.push(waiter)
    if (this.waiters.length === 1) this.arm()
  }

  /** Hands a reply to the oldest command; false when none was waiting. */
  answer(message: ReplyMessage): boolean {
    const waiter = this.waiters.shift()
    if (!waiter) return false
    this.settle(waiter, message)
    this.arm()
    return true
  }

  /** Ends every wait with `error`; the slots stay for the replies still due. */
  endAll(error: EslError): void {
    for (const waiter of this.waiters) this.settle(waiter, error)
  }

  /** Forgets everything (the socket closed): every wait must have ended already. */
  clear(): void {
    for (const waiter of this.waiters) clearTimeout(waiter.timer)
    this.waiters.length = 0
    clearTimeout(this.watchdog)
    this.watchdog = undefined
  }

  private settle(waiter: Waiter, result: ReplyMessage | EslError): void {
    if (waiter.settled) return
    waiter.settled = true
    clearTimeout(waiter.timer)
    waiter.timer = undefined
    waiter.settle(result)
  }

  private arm(): void {
    clearTimeout(this.watchdog)
    this.watchdog = undefined
    const oldest = this.waiters[0]
    if (!oldest) return
    this.watchdog = setTimeout(
      () => {
        this.watchdog = undefined
        this.onUnanswered(oldest.command)
      },
      Math.max(0, oldest.sentAt + this.timeoutMs - Date.now()),
    )
  }
}
