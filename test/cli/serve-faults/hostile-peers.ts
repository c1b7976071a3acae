/**
 * Hostile Event Socket peers against a real `webhook-router serve` process
 * (SPEC 10: "a frame larger than a sane cap or a connection that never sends
 * a valid reply is closed, and it harms no other call"): each peer is cut
 * off, calls in flight beside it finish as they should, the process keeps
 * serving.
 */
import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { FreeSwitchSimulator, type SimCall } from '../../sim/simulator.ts'
import { eventually, within } from '../../support/deadline.ts'
import { RedisProcess, testClient } from '../../support/redis-server.ts'
import { ServeProcess } from '../../support/serve-process.ts'
import { WebhookServer } from '../../support/webhook-server.ts'

const DESTINATION = '+31502102544'
const MiB = 1024 * 1024

interface Peer {
  /** Resolves with the ms from the abuse to the router closing the connection. */
  readonly closed: Promise<number>
  /** Everything the router sent. */
  readonly received: () => string
  destroy(): void
}

/** Connects like FreeSWITCH, waits for the router's `connect`, then misbehaves. */
function hostilePeer(port: number, abuse: (socket: Socket) => void): Peer {
  const socket = connect({ host: '127.0.0.1', port })
  let received = ''
  let abusedAt = 0
  socket.on('error', () => {})
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1')
    if (abusedAt === 0 && received.includes('connect\n\n')) {
      abusedAt = performance.now()
      abuse(socket)
    }
  })
  return {
    closed: new Promise((resolve) => socket.once('close', () => resolve(performance.now() - abusedAt))),
    received: () => received,
    destroy: () => socket.destroy(),
  }
}

/** A connect reply as FreeSWITCH sends it, trimmed to what the router reads. */
function connectReply(webhook: string): string {
  return [
    'Event-Name: CHANNEL_DATA',
    `Unique-ID: ${randomUUID()}`,
    'Channel-Name: sofia/external/1000@192.0.2.10',
    'Answer-State: ringing',
    'Caller-Caller-ID-Number: 1000',
    'Caller-Caller-ID-Name: Hostile',
    'Caller-Destination-Number: 2000',
    `variable_webhook: ${webhook}`,
    'Content-Type: command/reply',
    'Reply-Text: +OK',
    'Socket-Mode: async',
    'Control: full',
    '',
    '',
  ].join('\n')
}

/** Registers the suite: hostile Event Socket peers against one serve process. */
export function hostilePeersSuite(): void {
  describe('hostile Event Socket peers through a real router', { concurrency: true }, () => {
    let redis: RedisProcess
    let webhook: WebhookServer
    let router: ServeProcess
    let sim: FreeSwitchSimulator
    let port: number
    /** Webhook requests held until a test releases them, by caller number. */
    const held = new Map<string, () => void>()
    before(async () => {
      redis = await RedisProcess.start()
      webhook = await WebhookServer.start()
      webhook.reply(async (request) => {
        const caller = request.query.get('c') ?? ''
        if (caller.startsWith('held')) await new Promise<void>((resolve) => held.set(caller, resolve))
        return { body: `status=ACK&destination=${encodeURIComponent(DESTINATION)}&callername=Safe%20${caller}` }
      })
      const admin = testClient({ kind: 'url', url: redis.url })
      await admin.hset('wh:calm', { url: webhook.url('/calm?c={callerid}'), timeout_ms: '60000', on_failure: '["transfer fallback XML default"]' })
      admin.disconnect()
      router = ServeProcess.start({ env: { REDIS_URL: redis.url, REDIS_PREFIX: 'wh:', WEBHOOK_ALLOW_NETS: '127.0.0.0/8', HTTP_PORT: 'off', ESL_PORT: '0', SHUTDOWN_DRAIN_MS: '2000' } })
      port = await router.eslPort()
      sim = new FreeSwitchSimulator({ host: '127.0.0.1', port, timeScale: 0.01 })
    })
    after(async () => {
      for (const release of held.values()) release()
      await sim.close()
      router.child.kill('SIGTERM')
      const exit = await router.waitExit(20_000, 'the router stopping on SIGTERM after the hostile peers')
      await webhook.close()
      await redis.stop()
      assert.equal(exit.code, 0, 'the process was still serving and stopped cleanly')
      assert.ok(!router.lines.some((line) => line['msg'] === 'unhandled rejection' || line['msg'] === 'call handler failed'), 'no unhandled failure')
    })

    /** Places calls held at the webhook, so they are in flight while peers misbehave. */
    async function callsInFlight(tag: string, count: number): Promise<SimCall[]> {
      const callers = Array.from({ length: count }, (_, i) => `held-${tag}-${i}`)
      const calls = callers.map((caller) => sim.placeCall({ variables: { webhook: 'calm' }, callerIdNumber: caller, bridge: [{ answer: true, talkMs: 100 }] }))
      await eventually(() => callers.every((caller) => held.has(caller)), 15_000, `${count} calls (${tag}) waiting at the webhook`)
      return calls
    }

    /** Releases the held calls and checks each was routed in full. */
    async function releaseAndCheck(tag: string, calls: readonly SimCall[]): Promise<void> {
      for (const [index] of calls.entries()) held.get(`held-${tag}-${index}`)?.()
      for (const [index, call] of calls.entries()) {
        const result = await within(call.done, 15_000, `the call in flight ${tag}-${index} finishing`)
        assert.equal(result.bridged, true, `${tag}-${index} bridged`)
        assert.equal(result.disposition, 'hungup')
        assert.equal(call.bridges[0]?.dialString, `sofia/gateway/default/${DESTINATION}`)
        assert.equal(call.bridges[0]?.callee.callerIdName, `Safe held-${tag}-${index}`)
        assert.equal(call.bridges[0]?.variables.get('webhook_reason'), 'ok')
      }
      const fresh = sim.placeCall({ variables: { webhook: 'calm' }, callerIdNumber: `after-${tag}` })
      assert.equal((await within(fresh.done, 15_000, `a new call after the ${tag} peers`)).bridged, true, 'the router still serves new calls')
    }

    it('oversized frames (2 MiB declared, a header block that never ends, 2 MiB mid-call) are cut off at once', async () => {
      const calls = await callsInFlight('oversized', 3)
      const peers = {
        'Content-Length of 2 MiB before the connect reply': hostilePeer(port, (socket) => {
          socket.write('Content-Type: command/reply\nContent-Length: 2097152\n\n')
          socket.write(Buffer.alloc(2 * MiB, 'a'))
        }),
        'a 2 MiB header block with no end': hostilePeer(port, (socket) => socket.write(Buffer.alloc(2 * MiB, 'a'))),
        'a 2 MiB event after a valid connect reply': hostilePeer(port, (socket) => {
          socket.write(connectReply('calm'))
          socket.write(`Content-Type: text/event-json\nContent-Length: ${2 * MiB}\n\n`)
          socket.write(Buffer.alloc(2 * MiB, '{'))
        }),
      }
      try {
        for (const [name, peer] of Object.entries(peers)) {
          // The cap is 1 MiB; the cut needs no timer, so 5 s is only a bound for a loaded machine.
          await within(peer.closed, 5000, `the router closing the peer that sent ${name}`)
        }
      } finally {
        for (const peer of Object.values(peers)) peer.destroy()
      }
      await releaseAndCheck('oversized', calls)
    })

    it('random bytes instead of the connect reply: closed by the connect deadline', async () => {
      const calls = await callsInFlight('garbage-first', 3)
      const peer = hostilePeer(port, (socket) => socket.write(randomBytes(64 * 1024)))
      try {
        // The router waits 5 s for a connect reply (its default); a margin for a loaded machine.
        await within(peer.closed, 12_000, 'the router closing a peer that answered connect with random bytes')
        assert.equal(peer.received(), 'connect\n\n', 'nothing but connect was sent to it')
      } finally {
        peer.destroy()
      }
      await releaseAndCheck('garbage-first', calls)
    })

    it('random bytes after a valid connect reply: the peer never sends a valid reply, so it is closed', async () => {
      const calls = await callsInFlight('garbage-after', 3)
      const peer = hostilePeer(port, (socket) => {
        socket.write(connectReply('calm'))
        socket.write(randomBytes(64 * 1024))
      })
      try {
        // However the router notices (a frame FreeSWITCH never sends, or no reply to its commands
        // within their deadline of up to 10 s), it must not hold the connection open.
        await within(peer.closed, 13_000, 'the router closing a peer that sends only random bytes after its connect reply')
      } finally {
        peer.destroy()
      }
      await releaseAndCheck('garbage-after', calls)
    })
  })
}
