/**
 * The outbound Event Socket server on its own, with scripted FreeSWITCH
 * connections: refused peers, a port already taken, the handler's safety
 * net, and shutdown (drain, hand-back of bridged calls at once or when they
 * bridge, every handler awaited).
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect, createServer, type AddressInfo } from 'node:net'
import { describe, it } from 'node:test'
import type { EslSession } from '../../src/esl/session.ts'
import { EslServer, type EslServerOptions } from '../../src/esl/server.ts'
import { parseAllowList } from '../../src/net/allow-list.ts'
import { within } from '../support/deadline.ts'
import { until } from '../support/esl-harness.ts'
import { captureLogs } from '../support/log-capture.ts'
import { ScriptedSwitch, UUID, WAIT_MS } from '../support/scripted-switch.ts'

function allowList(entries: string[]): EslServerOptions['allow'] {
  const allow = parseAllowList(entries)
  if (allow instanceof Error) throw allow
  return allow
}

async function startServer(onSession: EslServerOptions['onSession'], allow = ['127.0.0.1']) {
  const logs = captureLogs('debug')
  const server = new EslServer({ host: '127.0.0.1', port: 0, allow: allowList(allow), onSession, logger: logs.logger })
  assert.equal(server.listening, false)
  const address = await server.listen()
  assert.equal(server.listening, true)
  const dial = (): ScriptedSwitch => new ScriptedSwitch(connect({ host: '127.0.0.1', port: address.port }))
  return { server, logs, dial, port: address.port }
}

/** A server whose calls each run one bridge; `sessions` holds them in the order they came. */
async function startBridgingServer() {
  const sessions: EslSession[] = []
  const started = await startServer(async (session) => {
    sessions.push(session)
    await session.ready()
    await session.execute('bridge', 'sofia/gateway/gw/1000')
  })
  /** A call whose bridge is running: the execute acknowledged, optionally CHANNEL_BRIDGE sent. */
  const bridgeCall = async (options: { bridged: boolean }): Promise<ScriptedSwitch> => {
    const peer = started.dial()
    await peer.handshake()
    await peer.expect('sendmsg')
    peer.reply('+OK')
    if (options.bridged) peer.event({ 'Event-Name': 'CHANNEL_BRIDGE', 'Unique-ID': UUID })
    return peer
  }
  return { ...started, sessions, bridgeCall }
}

describe('Event Socket server', () => {
  it('a port already taken rejects listen with the socket error', async () => {
    const blocker = createServer()
    blocker.listen(0, '127.0.0.1')
    await once(blocker, 'listening')
    try {
      const server = new EslServer({ host: '127.0.0.1', port: (blocker.address() as AddressInfo).port, allow: allowList(['127.0.0.1']), onSession: () => {} })
      await assert.rejects(server.listen(), { code: 'EADDRINUSE' })
      assert.equal(server.listening, false)
      await within(server.close(), WAIT_MS, 'closing a server that never listened')
    } finally {
      blocker.close()
    }
  })

  it('a peer outside the allow list is closed unanswered and never reaches the handler', async () => {
    let sessions = 0
    const { server, logs, dial } = await startServer(() => {
      sessions++
    }, ['10.0.0.1'])
    try {
      const peer = dial()
      await within(peer.closed, WAIT_MS, 'the refused connection closing')
      assert.equal(peer.commands.length, 0)
      assert.equal(sessions, 0)
      assert.equal(server.activeSessions, 0)
      assert.deepEqual(logs.find('refused an event socket connection from a peer not in ESL_ALLOW').map((line) => line['peer']), ['127.0.0.1'])
    } finally {
      await server.close()
    }
  })

  it('a handler that returns or throws with the call still held hands it back; the failure is logged', async () => {
    let calls = 0
    const { server, logs, dial } = await startServer(async (session: EslSession) => {
      await session.ready()
      calls++
      if (calls === 2) throw new Error('handler broke')
    })
    try {
      for (let i = 0; i < 2; i++) {
        const peer = dial()
        await peer.handshake()
        await peer.expect('exit')
        peer.reply('+OK bye')
        peer.socket.end()
        await within(peer.closed, WAIT_MS, `call ${i + 1} closing`)
      }
      await until(() => server.runningHandlers === 0 && server.activeSessions === 0, WAIT_MS, 'both handlers finishing')
      assert.equal(logs.find('call handler failed').length, 1)
    } finally {
      await server.close()
    }
  })

  it('close with drainMs lets a call that ends in time end on its own: no exit is sent', async () => {
    let release!: () => void
    const released = new Promise<void>((resolve) => (release = resolve))
    const { server, logs, dial } = await startServer(async (session) => {
      await session.ready()
      await released
      await session.hangup('NORMAL_CLEARING')
    })
    const peer = dial()
    await peer.handshake()
    await until(() => server.activeSessions === 1, WAIT_MS, 'the call being held')
    const closing = server.close({ drainMs: 5000 })
    assert.equal(server.listening, false)
    assert.deepEqual(logs.find('event socket server closed: no new calls').map((line) => line['activeCalls']), [1])
    release()
    await peer.expect(`api uuid_kill ${UUID} NORMAL_CLEARING`)
    peer.apiResponse('+OK')
    peer.hangupEvents('NORMAL_CLEARING')
    peer.socket.end()
    await within(closing, WAIT_MS, 'close after the call ended')
    peer.assertNoMoreCommands()
    assert.equal(server.runningHandlers, 0)
  })

  it('close without drainMs hands a call in progress back at once and waits for its handler', async () => {
    let handlerDone = false
    const { server, dial } = await startServer(async (session) => {
      await session.ready()
      await session.execute('park')
      handlerDone = true
    })
    const peer = dial()
    await peer.handshake()
    await peer.expect('sendmsg')
    peer.reply('+OK')
    const closing = server.close()
    await peer.expect('exit')
    peer.reply('+OK bye')
    peer.disconnectNotice('disconnect')
    peer.socket.end()
    await within(closing, WAIT_MS, 'close after the hand-back')
    assert.equal(handlerDone, true)
    assert.equal(server.activeSessions, 0)
  })

  it('handBackBridged: a bridged call is handed back at once, one that bridges during the drain when it does', async () => {
    const { server, sessions, bridgeCall } = await startBridgingServer()
    const bridged = await bridgeCall({ bridged: true })
    const ringing = await bridgeCall({ bridged: false })
    await until(() => server.activeSessions === 2 && sessions[0]?.bridged === true, WAIT_MS, 'both calls held, the first bridged')
    const closing = server.close({ handBackBridged: true, drainMs: 10_000 })
    await bridged.expect('exit')
    bridged.reply('+OK bye')
    bridged.socket.end()
    // The other call is still ours until it bridges: a command sent now reaches it, and no exit before it.
    const ringingSession = sessions[1]
    assert.ok(ringingSession)
    const probe = ringingSession.api('status')
    await ringing.expect('api status')
    ringing.apiResponse('UP')
    assert.equal(await within(probe, WAIT_MS, 'the ringing call still answering'), 'UP')
    ringing.event({ 'Event-Name': 'CHANNEL_BRIDGE', 'Unique-ID': UUID })
    await ringing.expect('exit')
    ringing.reply('+OK bye')
    ringing.socket.end()
    await within(closing, WAIT_MS, 'close after both hand-backs')
    bridged.assertNoMoreCommands()
    ringing.assertNoMoreCommands()
  })

  it('without handBackBridged a bridged call is left to drain: it ends on its own, no exit sent', async () => {
    const { server, sessions, bridgeCall } = await startBridgingServer()
    const peer = await bridgeCall({ bridged: true })
    await until(() => sessions[0]?.bridged === true, WAIT_MS, 'the call bridged')
    const closing = server.close({ drainMs: 10_000 })
    peer.hangupEvents('NORMAL_CLEARING')
    await within(closing, WAIT_MS, 'close after the call ended')
    peer.assertNoMoreCommands()
  })
})
