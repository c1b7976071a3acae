/**
 * The write side of one Event Socket connection: frames written in the same
 * tick leave together (the socket is corked until the next tick: linger +
 * myevents, variables + bridge), and `socket.write()`'s back-pressure is
 * respected: while the kernel buffer is full, frames wait in a queue, and a
 * peer that stops reading for more than `maxPendingBytes` is reported once.
 */
import type { Socket } from 'node:net'

export class FrameWriter {
  private blocked = false
  private corked = false
  private readonly queue: Buffer[] = []
  private queued = 0
  private overflowed = false

  constructor(
    private readonly socket: Socket,
    private readonly maxPendingBytes: number,
    /** Called once when the queue passes its cap: the peer stopped reading. */
    private readonly onOverflow: (queuedBytes: number) => void,
  ) {
    socket.on('drain', this.onDrain)
  }

  /** Bytes waiting for the peer to read. */
  get queuedBytes(): number {
    return this.queued
  }

  write(frame: Buffer): void {
    if (this.socket.destroyed || this.socket.writableEnded) return
    if (this.blocked) {
      this.queue.push(frame)
      this.queued += frame.length
      if (this.queued > this.maxPendingBytes && !this.overflowed) {
        this.overflowed = true
        this.onOverflow(this.queued)
      }
      return
    }
    if (!this.corked) {
      this.corked = true
      this.socket.cork()
      process.nextTick(this.uncork)
    }
    if (!this.socket.write(frame)) this.blocked = true
  }

  /** Drops what is queued and stops listening (the socket is closing). */
  release(): void {
    this.queue.length = 0
    this.queued = 0
    this.socket.off('drain', this.onDrain)
  }

  private readonly uncork = (): void => {
    this.corked = false
    this.socket.uncork()
  }

  private readonly onDrain = (): void => {
    this.blocked = false
    while (this.queue.length > 0 && !this.blocked) {
      const frame = this.queue.shift() as Buffer
      this.queued -= frame.length
      if (!this.socket.write(frame)) this.blocked = true
    }
  }
}
