/**
 * The benchmark's load generator, in its own process (forked by bench.ts and
 * driven over IPC): the FreeSWITCH simulator placing no-IVR calls at a
 * controller (events as large as the recorded ones), and the loopback webhook
 * with a fixed latency, which records how long it kept each call waiting.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { FreeSwitchSimulator, type SimCall, type SimCallOptions } from '../test/sim/simulator.ts'
import { TEST_SWITCH } from '../test/support/test-switch.ts'

export type LoadCommand =
  | { readonly type: 'closed'; readonly port: number; readonly latencyMs: number; readonly concurrency: number; readonly durationMs: number }
  | { readonly type: 'open'; readonly port: number; readonly latencyMs: number; readonly rate: number; readonly durationMs: number }
  | { readonly type: 'hold'; readonly port: number; readonly count: number }
  | { readonly type: 'release' }
  | { readonly type: 'round-trips'; readonly port: number; readonly calls: number }
  | { readonly type: 'probe'; readonly port: number }
  | { readonly type: 'exit' }

export interface RunResult {
  readonly calls: number
  readonly errors: number
  readonly elapsedMs: number
  /** Router-added latency per call (ms): connection accepted to bridge written, minus the webhook's time. */
  readonly added: readonly number[]
  /** Bytes FreeSWITCH (the simulator) sent per call, on average. */
  readonly bytesPerCall: number
  /** Largest event the simulator sent, in headers, for the record. */
  readonly largestEventHeaders: number
}

export type LoadReply =
  | { readonly type: 'ready'; readonly webhookPort: number }
  | { readonly type: 'result'; readonly result: RunResult }
  | { readonly type: 'held'; readonly count: number; readonly failed: number }
  | { readonly type: 'probed'; readonly calls: number }
  | { readonly type: 'released' }
  | { readonly type: 'round-trips'; readonly rounds: readonly number[] }

const send = (reply: LoadReply): void => void process.send?.(reply)

/** How long the webhook kept each call (by UUID) waiting, in ms. */
const webhookTime = new Map<string, number>()

function startWebhook(): Promise<Server> {
  const server = createServer((request, response) => {
    const started = performance.now()
    const url = new URL(request.url ?? '/', 'http://bench')
    const latency = Number(url.searchParams.get('latency') ?? 0)
    const uuid = url.searchParams.get('uuid') ?? ''
    const answer = (): void => {
      response.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' }).end('status=ACK&destination=%2B31502102544&callername=ACME')
      webhookTime.set(uuid, performance.now() - started)
    }
    request.resume()
    request.on('end', () => (latency > 0 ? setTimeout(answer, latency) : answer()))
  })
  server.keepAliveTimeout = 60_000
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

function simulator(port: number): FreeSwitchSimulator {
  // Scaled time: the simulated channel thread and the conversation take about a millisecond.
  return new FreeSwitchSimulator({ host: '127.0.0.1', port, timeScale: 0.001, ...TEST_SWITCH })
}

function callOptions(latencyMs: number, talkMs = 0): SimCallOptions {
  return {
    variables: { webhook: latencyMs > 0 ? 'bench-20ms' : 'bench-0ms' },
    callerIdNumber: '31612345678',
    callerIdName: 'Bench Caller',
    destinationNumber: '31201234567',
    bridge: [{ answer: true, talkMs }],
  }
}

/** Measures one finished call; undefined when it did not reach its bridge. */
function measure(call: SimCall): { added: number; bytes: number; headers: number } | undefined {
  const tcp = call.marks.get('tcp')
  const bridge = call.marks.get('execute:bridge')
  if (tcp === undefined || bridge === undefined || call.bridges.length === 0) return undefined
  const waited = webhookTime.get(call.uuid) ?? 0
  webhookTime.delete(call.uuid)
  let bytes = 0
  let headers = 0
  for (const frame of call.sent) {
    bytes += frame.length
    if (frame.includes('"Event-Name":"CHANNEL_EXECUTE_COMPLETE"')) headers = Math.max(headers, (frame.toString('latin1').match(/":/g) ?? []).length)
  }
  return { added: bridge - tcp - waited, bytes, headers }
}

class Tally {
  calls = 0
  errors = 0
  bytes = 0
  headers = 0
  readonly added: number[] = []

  record(call: SimCall): void {
    this.calls++
    const measured = measure(call)
    if (!measured) {
      this.errors++
      return
    }
    this.added.push(measured.added)
    this.bytes += measured.bytes
    this.headers = Math.max(this.headers, measured.headers)
  }

  result(elapsedMs: number): RunResult {
    return { calls: this.calls, errors: this.errors, elapsedMs, added: this.added, bytesPerCall: this.bytes / Math.max(1, this.calls - this.errors), largestEventHeaders: this.headers }
  }
}

async function closedLoop(command: Extract<LoadCommand, { type: 'closed' }>): Promise<RunResult> {
  const sim = simulator(command.port)
  const tally = new Tally()
  const started = performance.now()
  const end = started + command.durationMs
  await Promise.all(
    Array.from({ length: command.concurrency }, async () => {
      while (performance.now() < end) {
        const call = sim.placeCall(callOptions(command.latencyMs))
        await call.done
        tally.record(call)
      }
    }),
  )
  await sim.close()
  return tally.result(performance.now() - started)
}

async function openLoop(command: Extract<LoadCommand, { type: 'open' }>): Promise<RunResult> {
  const sim = simulator(command.port)
  const tally = new Tally()
  const pending = new Set<Promise<void>>()
  const started = performance.now()
  const total = Math.round((command.rate * command.durationMs) / 1000)
  let placed = 0
  // Starts calls on schedule whatever the controller does with them (no back-off: an open loop).
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * command.rate))
      for (; placed < due; placed++) {
        const call = sim.placeCall(callOptions(command.latencyMs))
        const done = call.done.then(() => tally.record(call))
        pending.add(done)
        void done.then(() => pending.delete(done))
      }
      if (placed >= total) {
        clearInterval(tick)
        resolve()
      }
    }, 2)
  })
  await Promise.all([...pending])
  await sim.close()
  return tally.result(performance.now() - started)
}

let holding: { sim: FreeSwitchSimulator; calls: SimCall[]; ended: Set<SimCall> } | undefined

/**
 * Brings the calls held (bridged, in a conversation that lasts until released)
 * up to `count`, 200 at a time, each batch settled before the next: a burst of
 * thousands would only measure how the webhook copes with it.
 */
async function hold(command: Extract<LoadCommand, { type: 'hold' }>): Promise<{ count: number; failed: number }> {
  holding ??= { sim: simulator(command.port), calls: [], ended: new Set() }
  const held = holding
  const isHeld = (call: SimCall): boolean => call.bridges[0]?.outcome === 'answered' && !held.ended.has(call)
  while (held.calls.length < command.count) {
    const batch: SimCall[] = []
    for (let i = held.calls.length; i < Math.min(command.count, held.calls.length + 200); i++) {
      const call = held.sim.placeCall(callOptions(0, 3_600_000_000))
      void call.done.then(() => held.ended.add(call))
      batch.push(call)
    }
    held.calls.push(...batch)
    // Settled when every call is bridged (the simulator answered its bridge) or already over.
    while (!batch.every((call) => isHeld(call) || held.ended.has(call))) await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const bridged = held.calls.filter(isHeld).length
  return { count: bridged, failed: held.calls.length - bridged }
}

/**
 * Places single calls until one is bridged: after an overload phase the
 * router's circuit for the webhook may be open, and the next phase must not
 * start failing fast.
 */
async function probe(command: Extract<LoadCommand, { type: 'probe' }>): Promise<number> {
  const sim = simulator(command.port)
  let calls = 0
  for (;;) {
    const call = sim.placeCall(callOptions(0))
    await call.done
    calls++
    if (call.bridges.length > 0) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  await sim.close()
  return calls
}

async function roundTrips(command: Extract<LoadCommand, { type: 'round-trips' }>): Promise<number[]> {
  const sim = simulator(command.port)
  const rounds: number[] = []
  for (let i = 0; i < command.calls; i++) {
    const call = sim.placeCall({ ...callOptions(0), faults: { withholdUntilExecute: 'bridge', stallReleaseMs: 100 } })
    await call.done
    rounds.push(call.blockingRounds)
  }
  await sim.close()
  return rounds
}

const webhook = await startWebhook()
send({ type: 'ready', webhookPort: (webhook.address() as AddressInfo).port })
process.on('message', (command: LoadCommand) => {
  void (async () => {
    switch (command.type) {
      case 'closed':
        send({ type: 'result', result: await closedLoop(command) })
        break
      case 'open':
        send({ type: 'result', result: await openLoop(command) })
        break
      case 'hold':
        send({ type: 'held', ...(await hold(command)) })
        break
      case 'probe':
        send({ type: 'probed', calls: await probe(command) })
        break
      case 'release':
        await holding?.sim.close()
        holding = undefined
        send({ type: 'released' })
        break
      case 'round-trips':
        send({ type: 'round-trips', rounds: await roundTrips(command) })
        break
      case 'exit':
        webhook.closeAllConnections()
        webhook.close()
        process.exit(0)
    }
  })()
})
