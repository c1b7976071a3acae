/**
 * The two pieces under every Event Socket session, on their own: the reply
 * queue (replies matched first in, first out; a wait that ends early keeps its
 * slot; one watchdog on the oldest unanswered command) and the frame writer
 * (frames of one tick leave together; a peer that stops reading is queued
 * for, in order, and reported once), the latter over a real TCP connection.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, connect, type Socket } from 'node:net'
import { describe, it } from 'node:test'
import { EslError } from '../../src/errors.ts'
import { FrameWriter } from '../../src/esl/frame-writer.ts'
import { ReplyQueue, type ReplyMessage } from '../../src/esl/reply-queue.ts'
import { eventually, within } from '../support/deadline.ts'

const reply = (body: string): ReplyMessage => ({ kind: 'api', body })
const never = (): EslError => new EslError('deadline', 'unused')

describe('reply queue', () => {
  it('matches replies first in, first out; an answer with nothing waiting is refused', () => {
    const queue = new ReplyQueue(60_000, () => assert.fail('no watchdog expected'))
    const got: string[] = []
    queue.add('api one', undefined, (result) => got.push(`one:${(result as { body: string }).body}`), never)
    queue.add('api two', undefined, (result) => got.push(`two:${(result as { body: string }).body}`), never)
    assert.equal(queue.size, 2)
    assert.equal(queue.answer(reply('a')), true)
    assert.equal(queue.answer(reply('b')), true)
    assert.equal(queue.answer(reply('c')), false)
    assert.deepEqual(got, ['one:a', 'two:b'])
    assert.equal(queue.size, 0)
    assert.equal(queue.watching, false, 'nothing waits: no watchdog')
  })

  it('a deadline ends the wait, not the slot: the late reply is still consumed, the next lines up', async () => {
    const queue = new ReplyQueue(60_000, () => assert.fail('no watchdog expected'))
    const results: Array<string> = []
    let ended!: () => void
    const deadlinePassed = new Promise<void>((resolve) => (ended = resolve))
    queue.add('sendmsg slow', Date.now() + 20, (result) => {
      results.push(result instanceof EslError ? `error:${result.code}` : 'reply')
      ended()
    }, () => new EslError('deadline', 'the slow command had no reply in time'))
    queue.add('api next', undefined, (result) => results.push(result instanceof EslError ? 'error' : `next:${(result as { body: string }).body}`), never)
    await within(deadlinePassed, 2000, 'the deadline of the first wait')
    assert.equal(queue.size, 2, 'the slot stays')
    queue.answer(reply('late'))
    queue.answer(reply('mine'))
    assert.deepEqual(results, ['error:deadline', 'next:mine'])
    queue.clear()
  })

  it('endAll settles every wait once with the error; the slots stay until clear', () => {
    const queue = new ReplyQueue(60_000, () => {})
    const results: string[] = []
    for (const name of ['a', 'b']) queue.add(`api ${name}`, Date.now() + 60_000, (result) => results.push(`${name}:${result instanceof EslError ? result.code : 'reply'}`), never)
    const error = new EslError('hangup', 'the channel hung up')
    queue.endAll(error)
    queue.endAll(error)
    queue.answer(reply('x'))
    assert.deepEqual(results, ['a:hangup', 'b:hangup'])
    assert.equal(queue.size, 1)
    assert.equal(queue.watching, true)
    queue.clear()
    assert.equal(queue.size, 0)
    assert.equal(queue.watching, false)
  })

  it('the watchdog names the oldest unanswered command once it is timeoutMs old, then follows the next one', async () => {
    const unanswered: string[] = []
    const queue = new ReplyQueue(40, (command) => unanswered.push(command))
    queue.add('sendmsg first', undefined, () => {}, never)
    queue.add('api second', undefined, () => {}, never)
    assert.equal(queue.watching, true)
    await eventually(() => unanswered.length === 1, 2000, 'the watchdog for the first command')
    assert.deepEqual(unanswered, ['sendmsg first'])
    assert.equal(queue.watching, false, 'fired once, not re-armed by itself')
    queue.answer(reply('first, at last'))
    assert.equal(queue.watching, true, 're-armed for the second')
    await eventually(() => unanswered.length === 2, 2000, 'the watchdog for the second command')
    assert.deepEqual(unanswered, ['sendmsg first', 'api second'])
    queue.clear()
  })

  it('the next command\'s watchdog counts from when it was sent, not from the previous answer', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] })
    const unanswered: string[] = []
    const queue = new ReplyQueue(1000, (command) => unanswered.push(command))
    queue.add('api first', undefined, () => {}, never)
    t.mock.timers.tick(600)
    queue.add('api second', undefined, () => {}, never)
    t.mock.timers.tick(399)
    assert.deepEqual(unanswered, [])
    t.mock.timers.tick(1)
    assert.deepEqual(unanswered, ['api first'])
    queue.answer(reply('first'))
    // Sent 400 ms ago: 600 ms left.
    t.mock.timers.tick(599)
    assert.deepEqual(unanswered, ['api first'])
    t.mock.timers.tick(1)
    assert.deepEqual(unanswered, ['api first', 'api second'])
    queue.clear()
  })

  it('a deadline in the past ends the wait on the next timer turn', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] })
    const queue = new ReplyQueue(60_000, () => {})
    const results: string[] = []
    queue.add('api late', Date.now() - 5, (result) => results.push(result instanceof EslError ? result.code : 'reply'), () => new EslError('deadline', 'past'))
    assert.deepEqual(results, [])
    t.mock.timers.tick(0)
    assert.deepEqual(results, ['deadline'])
    queue.clear()
  })

  it('answered in time, the watchdog never fires', async () => {
    const unanswered: string[] = []
    const queue = new ReplyQueue(30, (command) => unanswered.push(command))
    queue.add('api quick', undefined, () => {}, never)
    queue.answer(reply('ok'))
    assert.equal(queue.watching, false)
    await new Promise((resolve) => setTimeout(resolve, 60))
    assert.deepEqual(unanswered, [])
  })
})

/** A connected pair of real sockets: `ours` writes, `peer` reads (paused until asked). */
async function socketPair(): Promise<{ ours: Socket; peer: Socket; close: () => void }> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  assert.ok(address && typeof address === 'object')
  const accepted = once(server, 'connection') as Promise<[Socket]>
  const ours = connect(address.port, '127.0.0.1')
  await once(ours, 'connect')
  const [peer] = await accepted
  peer.pause()
  return {
    ours,
    peer,
    close: () => {
      ours.destroy()
      peer.destroy()
      server.close()
    },
  }
}

describe('frame writer', () => {
  it('frames written in one tick arrive together and in order', async () => {
    const { ours, peer, close } = await socketPair()
    try {
      const writer = new FrameWriter(ours, 1 << 20, () => assert.fail('no overflow expected'))
      const received: Buffer[] = []
      peer.on('data', (chunk: Buffer) => received.push(chunk))
      peer.resume()
      writer.write(Buffer.from('linger\n\n'))
      writer.write(Buffer.from('myevents\n\n'))
      assert.equal(ours.writableCorked, 1, 'corked for the rest of the tick')
      await new Promise((resolve) => process.nextTick(resolve))
      assert.equal(ours.writableCorked, 0, 'uncorked on the next tick')
      await eventually(() => Buffer.concat(received).length === 18, 2000, 'both frames read')
      assert.deepEqual(received.map(String), ['linger\n\nmyevents\n\n'], 'one segment: corked until the next tick')
      writer.write(Buffer.from('exit\n\n'))
      await eventually(() => Buffer.concat(received).length === 24, 2000, 'the next frame read')
      assert.equal(Buffer.concat(received).toString(), 'linger\n\nmyevents\n\nexit\n\n')
      assert.equal(writer.queuedBytes, 0)
    } finally {
      close()
    }
  })

  it('a peer that stops reading: frames queue in order, the overflow is reported once, all arrive once it reads', async () => {
    const { ours, peer, close } = await socketPair()
    try {
      const overflows: number[] = []
      const writer = new FrameWriter(ours, 256 * 1024, (bytes) => overflows.push(bytes))
      const frame = (index: number): Buffer => Buffer.alloc(64 * 1024, String.fromCharCode(97 + (index % 26)))
      let index = 0
      // Until the kernel buffers are full and the writer queues.
      while (writer.queuedBytes === 0 && index < 10_000) {
        writer.write(frame(index++))
        await new Promise((resolve) => setImmediate(resolve))
      }
      assert.ok(writer.queuedBytes > 0, 'the writer never had to queue')
      const firstQueued = writer.queuedBytes
      for (let more = 0; more < 6; more++) writer.write(frame(index++))
      assert.equal(writer.queuedBytes, firstQueued + 6 * 64 * 1024)
      assert.equal(overflows.length, 1, 'reported once')
      assert.ok((overflows[0] ?? 0) > 256 * 1024)
      writer.write(frame(index++))
      assert.equal(overflows.length, 1, 'still once')
      const total = index * 64 * 1024
      const received: Buffer[] = []
      let length = 0
      peer.on('data', (chunk: Buffer) => {
        received.push(chunk)
        length += chunk.length
      })
      peer.resume()
      await eventually(() => length === total, 10_000, 'every queued frame delivered')
      const all = Buffer.concat(received)
      for (let at = 0; at < index; at++) assert.equal(all[at * 64 * 1024], 97 + (at % 26), `frame ${at} in order`)
      assert.equal(writer.queuedBytes, 0)
    } finally {
      close()
    }
  })

  it('release drops the queue; a destroyed or ended socket takes no more frames', async () => {
    const { ours, close } = await socketPair()
    try {
      const writer = new FrameWriter(ours, 1 << 30, () => {})
      let index = 0
      while (writer.queuedBytes === 0 && index < 10_000) {
        writer.write(Buffer.alloc(64 * 1024))
        index++
        await new Promise((resolve) => setImmediate(resolve))
      }
      assert.ok(writer.queuedBytes > 0)
      writer.release()
      assert.equal(writer.queuedBytes, 0)
      assert.equal(ours.listenerCount('drain'), 0, 'no drain listener left')
      ours.destroy()
      writer.write(Buffer.from('exit\n\n'))
      assert.equal(writer.queuedBytes, 0)
    } finally {
      close()
    }
  })
})
