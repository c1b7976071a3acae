/**
 * One call's simulated time: every duration is scaled (0.01 turns FreeSWITCH's
 * 5 s into 50 ms), every timer belongs to the call and is cleared with it, and
 * waits end early at notify() (a command, a hang-up, a release, a connect).
 */
export class SimClock {
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly wakers = new Set<() => void>()
  private stopped = false

  constructor(private readonly scale: number) {}

  /** Real ms for simulated ms. */
  real(ms: number): number {
    return ms * this.scale
  }

  /** Runs `action` after simulated ms. */
  schedule(ms: number, action: () => void): void {
    this.scheduleReal(this.real(ms), action)
  }

  /** Runs `action` after real ms (FreeSWITCH's own clocks, like the 25 s wait for `connect`). */
  scheduleReal(ms: number, action: () => void): void {
    if (this.stopped) return
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      action()
    }, Math.max(0, ms))
    this.timers.add(timer)
  }

  /** Simulated ms, not interrupted by anything (at least one real ms). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) resolve()
      else this.scheduleReal(Math.max(1, this.real(ms)), resolve)
    })
  }

  /** Resolves at the next notify(), or after `realMs` if given. */
  signal(realMs?: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined
      const wake = (): void => {
        this.wakers.delete(wake)
        if (timer) {
          clearTimeout(timer)
          this.timers.delete(timer)
        }
        resolve()
      }
      if (this.stopped) {
        resolve()
        return
      }
      if (realMs !== undefined) {
        timer = setTimeout(wake, Math.max(0, realMs))
        this.timers.add(timer)
      }
      this.wakers.add(wake)
    })
  }

  notify(): void {
    for (const wake of [...this.wakers]) wake()
  }

  /** The call ended: no timer survives it, no wait is left hanging. */
  stop(): void {
    this.stopped = true
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    this.notify()
  }
}
