/**
 * What a listener writes to its controller, in order: replies, events,
 * notices. Like mod_event_socket's listener thread it stops writing while the
 * socket is full (a controller that does not read), and it can misbehave on
 * purpose (frames split at hostile points, a reset mid-frame, output withheld
 * to count a controller's blocking round trips).
 */
import type { Socket } from 'node:net'
import type { SimFaults } from './options.ts'

interface Entry {
  readonly frame: string
  readonly event: boolean
}

export class Outbox {
  private socket: Socket | undefined
  private readonly entries: Entry[] = []
  private flushing = false
  /** The socket is full: FreeSWITCH's write blocks until it drains. */
  private blocked = false
  private ending = false
  private framesSent = 0
  /** Events queued, not yet written. */
  queuedEvents = 0
  /** The most events ever queued at once. */
  peakQueuedEvents = 0
  private withholdUntil: string | undefined
  /** While withholding, frames up to this count may go out (the connect reply, then stall releases). */
  private releasedUpTo = 1
  private stallTimer: NodeJS.Timeout | undefined
  /** Times the controller went quiet while frames were withheld (faults.stallReleaseMs). */
  blockingRounds = 0

  constructor(
    private readonly faults: SimFaults | undefined,
    private readonly onSent: (frame: Buffer) => void,
  ) {
    this.withholdUntil = faults?.withholdUntilExecute
  }

  attach(socket: Socket): void {
    this.socket = socket
    socket.on('drain', () => {
      this.blocked = false
      this.kick()
    })
  }

  get length(): number {
    return this.entries.length
  }

  push(frame: string, event: boolean): void {
    if (this.ending || !this.socket) return
    this.entries.push({ frame, event })
    if (event) this.peakQueuedEvents = Math.max(this.peakQueuedEvents, ++this.queuedEvents)
    if (this.holding()) this.armStall()
    this.kick()
  }

  /** Events not written yet are dropped; replies and notices stay. */
  dropEvents(): void {
    const kept = this.entries.filter((entry) => !entry.event)
    this.entries.splice(0, this.entries.length, ...kept)
    this.queuedEvents = 0
  }

  clear(): void {
    this.entries.length = 0
    this.queuedEvents = 0
    clearTimeout(this.stallTimer)
  }

  /** What is queued still goes out, then the socket is ended (a full one is dropped). */
  end(): void {
    this.ending = true
    const socket = this.socket
    if (!socket || socket.destroyed) return
    if (this.entries.length === 0 && !this.flushing) socket.end()
    else if (this.blocked) socket.destroy()
    else this.kick()
  }

  /** The controller sent an execute: frames withheld until it are released. */
  executed(app: string): void {
    if (app !== this.withholdUntil) return
    this.withholdUntil = undefined
    clearTimeout(this.stallTimer)
    this.kick()
  }

  /** Output is being withheld (faults.withholdUntilExecute) beyond what was released. */
  private holding(): boolean {
    return this.withholdUntil !== undefined && this.framesSent >= this.releasedUpTo
  }

  /**
   * With faults.stallReleaseMs: when the controller sends nothing for that long while
   * frames are held, it is waiting for them: release them and count a blocking round trip.
   */
  armStall(): void {
    const stallMs = this.faults?.stallReleaseMs
    if (stallMs === undefined || this.withholdUntil === undefined) return
    clearTimeout(this.stallTimer)
    this.stallTimer = setTimeout(() => {
      if (this.withholdUntil === undefined || this.entries.length === 0) return
      this.blockingRounds++
      this.releasedUpTo = this.framesSent + this.entries.length
      this.kick()
    }, stallMs)
  }

  private kick(): void {
    if (this.flushing || this.blocked) return
    this.flushing = true
    setImmediate(() => void this.flush())
  }

  private async flush(): Promise<void> {
    const socket = this.socket
    while (this.entries.length > 0 && socket && !socket.destroyed && !this.blocked) {
      if (this.holding()) break
      const entry = this.entries.shift() as Entry
      if (entry.event) this.queuedEvents--
      const frame = Buffer.from(entry.frame, 'latin1')
      this.onSent(frame)
      this.framesSent++
      if (this.faults?.resetAfterFrames !== undefined && this.framesSent > this.faults.resetAfterFrames) {
        socket.write(frame.subarray(0, Math.max(1, Math.floor(frame.length / 2))))
        socket.resetAndDestroy()
        break
      }
      const split = this.faults?.split ?? 'none'
      if (split === 'none') {
        // A full socket blocks FreeSWITCH's listener thread: nothing more is written until it drains.
        if (!socket.write(frame)) this.blocked = true
        continue
      }
      for (const piece of splitFrame(frame, split)) {
        socket.write(piece)
        // Give the event loop a turn so the controller gets a chance to read each piece separately.
        await new Promise((resolve) => setImmediate(resolve))
        if (socket.destroyed) break
      }
    }
    this.flushing = false
    if (this.entries.length > 0 && !this.holding() && !this.blocked) this.kick()
    else if (this.ending && this.entries.length === 0 && socket && !socket.destroyed) socket.end()
  }
}

/** Hostile split points: single bytes, around every line break, or random. */
function splitFrame(frame: Buffer, mode: 'bytes' | 'lines' | 'random'): Buffer[] {
  if (mode === 'bytes') return Array.from({ length: frame.length }, (_, i) => frame.subarray(i, i + 1))
  const cuts = new Set<number>()
  if (mode === 'lines') {
    for (let i = frame.indexOf(10); i !== -1; i = frame.indexOf(10, i + 1)) cuts.add(i + 1)
  } else {
    for (let n = 0; n < 4; n++) cuts.add(1 + Math.floor(Math.random() * Math.max(1, frame.length - 1)))
  }
  const points = [...cuts].filter((cut) => cut > 0 && cut < frame.length).sort((a, b) => a - b)
  const pieces: Buffer[] = []
  let previous = 0
  for (const point of points) {
    pieces.push(frame.subarray(previous, point))
    previous = point
  }
  pieces.push(frame.subarray(previous))
  return pieces
}
