/**
 * `npm run bench`: the router (a real `webhook-router serve` process) and a
 * modesl peer controller doing the same flow, both driven by the same load
 * generator process (the FreeSWITCH simulator and a loopback webhook with a
 * fixed latency), with a real redis-server. Prints a table and writes JSON to
 * bench/results/ (git-ignored). BENCH_SECONDS sets each phase's length.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { ConfigAdmin } from '../src/config/admin.ts'
import { DEFAULT_STEP_POLICY } from '../src/steps/grammar.ts'
import { untilAsync } from '../test/support/esl-harness.ts'
import { freePort, RedisProcess, testClient } from '../test/support/redis-server.ts'
import type { LoadCommand, LoadReply, RunResult } from './loadgen.ts'

const DIST = join(import.meta.dirname, '..')
const PHASE_MS = Number(process.env['BENCH_SECONDS'] ?? 5) * 1000
const HOLD_SIZES = (process.env['BENCH_HOLD'] ?? '1000,5000,10000').split(',').map(Number)
const RATES = [100, 500, 1000, 2000]
const CLK_TCK = 100

interface Controller {
  readonly name: 'router' | 'modesl' | 'floor'
  readonly child: ChildProcess
  readonly port: number
}

/** user + system CPU seconds of a process, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK
}

function rssKiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(match?.[1] ?? 0)
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}

class LoadGenerator {
  private readonly replies: LoadReply[] = []
  private waiter: ((reply: LoadReply) => void) | undefined

  constructor(readonly child: ChildProcess) {
    child.on('message', (reply: LoadReply) => {
      if (this.waiter) {
        const wake = this.waiter
        this.waiter = undefined
        wake(reply)
      } else this.replies.push(reply)
    })
  }

  next(): Promise<LoadReply> {
    const queued = this.replies.shift()
    return queued ? Promise.resolve(queued) : new Promise((resolve) => (this.waiter = resolve))
  }

  async ask<T extends LoadReply['type']>(command: LoadCommand, type: T): Promise<Extract<LoadReply, { type: T }>> {
    this.child.send(command)
    const reply = await this.next()
    if (reply.type !== type) throw new Error(`load generator answered ${reply.type}, expected ${type}`)
    return reply as Extract<LoadReply, { type: T }>
  }
}

async function startRouter(redisUrl: string): Promise<Controller> {
  const port = await freePort()
  const httpPort = await freePort()
  // An overload phase (2,000 CPS on two shared cores) can time the webhook out and open its
  // circuit; a 1 s cooldown (instead of 30 s) lets the probe before the next phase close it.
  const child = spawn(process.execPath, [join(DIST, 'src', 'cli', 'main.js'), 'serve'], {
    env: { PATH: process.env['PATH'] ?? '', ESL_PORT: String(port), HTTP_PORT: String(httpPort), HTTP_HOST: '127.0.0.1', REDIS_URL: redisUrl, WEBHOOK_ALLOW_NETS: '127.0.0.0/8', LOG_LEVEL: 'info', CIRCUIT_COOLDOWN_MS: '1000' },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  await untilAsync(async () => {
    const ready = await request(`http://127.0.0.1:${httpPort}/readyz`).catch(() => undefined)
    await ready?.body.dump()
    return ready?.statusCode === 200
  })
  return { name: 'router', child, port }
}

/** A controller in bench/peers/ (modesl, or the bare-Node floor) answering on a free port. */
async function startPeer(name: 'modesl' | 'floor', webhookPort: number): Promise<Controller> {
  const port = await freePort()
  const child = spawn(process.execPath, [join(DIST, 'bench', 'peers', `${name}-peer.js`)], {
    env: { PATH: process.env['PATH'] ?? '', PORT: String(port), WEBHOOK_URL: `http://127.0.0.1:${webhookPort}/route?uuid={uuid}&latency=0`, DIAL: 'sofia/gateway/default/{number}' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await once(child.stdout as NodeJS.ReadableStream, 'data')
  return { name, child, port }
}

export interface Row {
  readonly controller: string
  readonly run: string
  readonly calls: number
  readonly errors: number
  readonly cps: number
  readonly addedP50: number
  readonly addedP99: number
  readonly addedP999: number
  readonly cpuMsPerCall: number
}

async function runPhase(load: LoadGenerator, controller: Controller, run: string, command: LoadCommand): Promise<Row & { result: RunResult }> {
  await load.ask({ type: 'probe', port: controller.port }, 'probed')
  const cpuBefore = cpuSeconds(controller.child.pid as number)
  const { result } = await load.ask(command, 'result')
  const cpu = cpuSeconds(controller.child.pid as number) - cpuBefore
  const ok = result.calls - result.errors
  return {
    controller: controller.name,
    run,
    calls: result.calls,
    errors: result.errors,
    cps: ok / (result.elapsedMs / 1000),
    addedP50: percentile(result.added, 50),
    addedP99: percentile(result.added, 99),
    addedP999: percentile(result.added, 99.9),
    cpuMsPerCall: ok === 0 ? Number.NaN : (cpu * 1000) / ok,
    result,
  }
}

export interface MemoryRow {
  readonly controller: string
  /** Calls placed (the hold size), and below those bridged and held. */
  readonly size: number
  readonly calls: number
  /** Calls that did not reach their bridge (and so are not held). */
  readonly failed: number
  readonly bytesPerCall: number
}

/**
 * RSS growth over the idle baseline divided by the calls held, at each size
 * in turn (the calls accumulate: 1,000, then 5,000, then 10,000 at once).
 * Run right after the warm-up, before the load phases leave garbage behind.
 */
async function memoryPerCall(load: LoadGenerator, controller: Controller): Promise<MemoryRow[]> {
  const pid = controller.child.pid as number
  await load.ask({ type: 'probe', port: controller.port }, 'probed')
  const before = rssKiB(pid)
  const rows: MemoryRow[] = []
  for (const size of HOLD_SIZES) {
    const held = await load.ask({ type: 'hold', port: controller.port, count: size }, 'held')
    rows.push({ controller: controller.name, size, calls: held.count, failed: held.failed, bytesPerCall: ((rssKiB(pid) - before) * 1024) / Math.max(1, held.count) })
  }
  await load.ask({ type: 'release' }, 'released')
  return rows
}

const fixed = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : '-')

function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)))
  const line = (cells: readonly string[]): string => cells.map((cell, column) => cell.padStart(widths[column] ?? 0)).join('  ')
  return [line(headers), ...rows.map(line)].join('\n')
}

const say = (text: string): void => void process.stdout.write(`${text}\n`)

const redis = await RedisProcess.start()
const load = new LoadGenerator(fork(join(DIST, 'bench', 'loadgen.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))
const ready = await load.next()
if (ready.type !== 'ready') throw new Error('load generator did not start')
const admin = testClient({ kind: 'url', url: redis.url })
const configs = new ConfigAdmin(admin, 'webhook:', DEFAULT_STEP_POLICY)
for (const latency of [0, 20]) await configs.replace(`bench-${latency}ms`, { url: `http://127.0.0.1:${ready.webhookPort}/route?uuid={uuid}&latency=${latency}`, callername_mode: 'webhook' })
admin.disconnect()

const router = await startRouter(redis.url)
const peer = await startPeer('modesl', ready.webhookPort)
const floor = await startPeer('floor', ready.webhookPort)
const rows: Array<Row & { result: RunResult }> = []
const memory: MemoryRow[] = []
const roundTrips: Record<string, number> = {}
try {
  say(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; phases of ${PHASE_MS / 1000} s`)
  for (const controller of [router, peer, floor]) {
    // Warm-up: JIT, connection pools, the config cache.
    await load.ask({ type: 'closed', port: controller.port, latencyMs: 0, concurrency: 20, durationMs: 1000 }, 'result')
    if (controller.name !== 'floor') memory.push(...(await memoryPerCall(load, controller)))
    rows.push(await runPhase(load, controller, 'closed loop, 0 ms webhook, 100 in flight', { type: 'closed', port: controller.port, latencyMs: 0, concurrency: 100, durationMs: PHASE_MS }))
    if (controller.name === 'router') {
      rows.push(await runPhase(load, controller, 'closed loop, 20 ms webhook, 100 in flight', { type: 'closed', port: controller.port, latencyMs: 20, concurrency: 100, durationMs: PHASE_MS }))
    }
    // The floor is a yardstick for CPU and latency, not a product: no overload or memory runs.
    for (const rate of controller.name === 'floor' ? RATES.slice(0, 2) : RATES) {
      rows.push(await runPhase(load, controller, `open loop ${rate} CPS, 0 ms webhook`, { type: 'open', port: controller.port, latencyMs: 0, rate, durationMs: PHASE_MS }))
    }
    if (controller.name === 'router') {
      rows.push(await runPhase(load, controller, 'open loop 500 CPS, 20 ms webhook', { type: 'open', port: controller.port, latencyMs: 20, rate: 500, durationMs: PHASE_MS }))
    }
    if (controller.name === 'floor') continue
    const trips = await load.ask({ type: 'round-trips', port: controller.port, calls: 20 }, 'round-trips')
    roundTrips[controller.name] = Math.max(...trips.rounds)
  }
} finally {
  load.child.send({ type: 'exit' } satisfies LoadCommand)
  const controllers = [router, peer, floor]
  for (const controller of controllers) controller.child.kill('SIGTERM')
  await Promise.all(controllers.map((controller) => once(controller.child, 'exit')))
  await redis.stop()
}

say('')
say(
  table(
    ['controller', 'run', 'calls', 'errors', 'calls/s', 'added p50 ms', 'p99 ms', 'p99.9 ms', 'CPU ms/call'],
    rows.map((row) => [row.controller, row.run, String(row.calls), String(row.errors), fixed(row.cps, 0), fixed(row.addedP50), fixed(row.addedP99), fixed(row.addedP999), fixed(row.cpuMsPerCall, 3)]),
  ),
)
say('')
say(table(['controller', 'held calls', 'not bridged', 'bytes per held call'], memory.map((entry) => [entry.controller, String(entry.calls), String(entry.failed), fixed(entry.bytesPerCall, 0)])))
say('')
const routerClosed = rows.find((row) => row.controller === 'router' && row.run.startsWith('closed loop, 0 ms'))
const peerClosed = rows.find((row) => row.controller === 'modesl' && row.run.startsWith('closed loop, 0 ms'))
const floorClosed = rows.find((row) => row.controller === 'floor' && row.run.startsWith('closed loop, 0 ms'))
const floorAt500 = rows.find((row) => row.controller === 'floor' && row.run === 'open loop 500 CPS, 0 ms webhook')
const routerAt500 = rows.find((row) => row.controller === 'router' && row.run === 'open loop 500 CPS, 0 ms webhook')
const peerAt500 = rows.find((row) => row.controller === 'modesl' && row.run === 'open loop 500 CPS, 0 ms webhook')
const memoryAt = (controller: string, size: number): number => memory.find((entry) => entry.controller === controller && entry.size === size)?.bytesPerCall ?? Number.NaN
const biggest = Math.max(...HOLD_SIZES)
say(`blocking round trips after connect, before the bridge (simulator-counted, worst of 20 calls): router ${roundTrips['router']}, modesl ${roundTrips['modesl']}; plus the bridge's own completion`)
say(`events: up to ${routerClosed?.result.largestEventHeaders ?? 0} headers in a CHANNEL_EXECUTE_COMPLETE; ${fixed(routerClosed?.result.bytesPerCall ?? 0, 0)} bytes from FreeSWITCH per call`)
say('')
say('targets:')
say(`  router CPU per call ${fixed(routerClosed?.cpuMsPerCall ?? Number.NaN, 3)} ms (target <= 0.3), ${fixed((peerClosed?.cpuMsPerCall ?? Number.NaN) / (routerClosed?.cpuMsPerCall ?? Number.NaN), 1)}x less than modesl's ${fixed(peerClosed?.cpuMsPerCall ?? Number.NaN, 3)} ms (target >= 5x)`)
say(`  at 500 CPS: router ${fixed(routerAt500?.cpuMsPerCall ?? Number.NaN, 3)} ms, modesl ${fixed(peerAt500?.cpuMsPerCall ?? Number.NaN, 3)} ms (${fixed((peerAt500?.cpuMsPerCall ?? Number.NaN) / (routerAt500?.cpuMsPerCall ?? Number.NaN), 1)}x), floor ${fixed(floorAt500?.cpuMsPerCall ?? Number.NaN, 3)} ms`)
say(`  the bare-Node floor (bench/peers/floor-peer.ts) costs ${fixed(floorClosed?.cpuMsPerCall ?? Number.NaN, 3)} ms per call: the router adds ${fixed((routerClosed?.cpuMsPerCall ?? Number.NaN) - (floorClosed?.cpuMsPerCall ?? Number.NaN), 3)} ms of its own`)
say(`  calls per second, closed loop: router ${fixed(routerClosed?.cps ?? 0, 0)}, modesl ${fixed(peerClosed?.cps ?? 0, 0)} (ratio ${fixed((routerClosed?.cps ?? 0) / (peerClosed?.cps ?? 1), 1)}; target >= 2,000 where the generator is not the limit)`)
say(`  p99 router-added latency at 500 CPS: ${fixed(routerAt500?.addedP99 ?? Number.NaN)} ms (target <= 2; the floor's: ${fixed(floorAt500?.addedP99 ?? Number.NaN)} ms)`)
say(`  blocking round trips on the no-IVR path: connect + ${roundTrips['router']} + bridge = ${(roundTrips['router'] ?? 0) + 2} (target <= 2)`)
say(`  memory per held call at ${biggest}: router ${fixed(memoryAt('router', biggest) / 1024, 1)} KB, modesl ${fixed(memoryAt('modesl', biggest) / 1024, 1)} KB (target <= 30 KB)`)

const dir = join(DIST, '..', 'bench', 'results')
mkdirSync(dir, { recursive: true })
writeFileSync(
  join(dir, 'bench.json'),
  `${JSON.stringify({ machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: totalmem() / 2 ** 30, node: process.version }, phaseMs: PHASE_MS, rows: rows.map(({ result, ...row }) => ({ ...row, bytesPerCall: result.bytesPerCall })), memory, roundTrips }, null, 2)}\n`,
)
say(`\nresults: ${join(dir, 'bench.json')}`)
