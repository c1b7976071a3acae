/**
 * A FreeSWITCH stand-in for tests and benchmarks: each `placeCall` connects
 * to the router exactly as the `socket` dialplan application does, then
 * behaves like the recorded FreeSWITCH 1.10/1.11 (see test/fixtures/transcripts).
 */
import { randomUUID } from 'node:crypto'
import type { SwitchIdentity } from './channel.ts'
import { DEFAULT_DIRECTORY, type LingerNotice, type ParkDelivery, type SimCallOptions, type SimulatorOptions } from './options.ts'
import { SimCall } from './sim-call.ts'

/** FreeSWITCH's per-listener event queue (MAX_QUEUE_LEN in mod_event_socket). */
const MAX_QUEUE_LEN = 100_000
// What the recordings show for races FreeSWITCH settles differently from call to call, cycled through
// call by call: CHANNEL_PARK reached 22 of 31 connections; the linger notice came last in most, right
// after CHANNEL_HANGUP in 06b and K2, before it in J4c.
const PARK_ORDERS: readonly ParkDelivery[] = ['after-myevents', 'after-myevents', 'none']
const NOTICE_ORDERS: readonly LingerNotice[] = ['last', 'after-hangup', 'last', 'before-hangup']

export class FreeSwitchSimulator {
  private readonly calls = new Set<SimCall>()
  private readonly identity: SwitchIdentity
  private readonly hashes = new Map<string, string>()
  private placed = 0

  constructor(private readonly options: SimulatorOptions) {
    let sequence = 1000
    let lastMicros = 0
    this.identity = {
      coreUuid: randomUUID(),
      hostname: options.hostname ?? 'vm',
      ipv4: '192.0.2.2',
      ipv6: 'fd00::2',
      nextSequence: () => ++sequence,
      now: () => {
        lastMicros = Math.max(lastMicros + 1, Date.now() * 1000)
        return lastMicros
      },
    }
  }

  /** Starts one call towards the router. */
  placeCall(options: SimCallOptions = {}): SimCall {
    const index = this.placed++
    const vary = (this.options.races ?? 'vary') === 'vary'
    const call = new SimCall(
      {
        identity: this.identity,
        timeScale: this.options.timeScale ?? 1,
        host: this.options.host,
        port: this.options.port,
        directory: {
          gateways: this.options.gateways ?? DEFAULT_DIRECTORY.gateways,
          profiles: this.options.profiles ?? DEFAULT_DIRECTORY.profiles,
          users: this.options.users ?? DEFAULT_DIRECTORY.users,
        },
        maxQueuedEvents: this.options.maxQueuedEvents ?? MAX_QUEUE_LEN,
        park: vary ? (PARK_ORDERS[index % PARK_ORDERS.length] as ParkDelivery) : 'after-myevents',
        lingerNotice: vary ? (NOTICE_ORDERS[index % NOTICE_ORDERS.length] as LingerNotice) : 'last',
        hashes: this.hashes,
      },
      options,
    )
    this.calls.add(call)
    void call.done.then(() => this.calls.delete(call))
    call.start()
    return call
  }

  /** Calls not finished yet. */
  get activeCalls(): number {
    return this.calls.size
  }

  /** What mod_hash holds (hook variables and `${hash ...}` write there). */
  hash(realm: string, key: string): string | undefined {
    return this.hashes.get(`${realm}/${key}`)
  }

  /** Ends every call still running (hang-up, socket closed). */
  async close(): Promise<void> {
    const pending = [...this.calls]
    for (const call of pending) call.abort()
    await Promise.all(pending.map((call) => call.done))
  }
}

export { SimCall } from './sim-call.ts'
export type { SimCallResult, Disposition, ExecutedApp, SocketAttempt } from './sim-call.ts'
export type { HookRun } from './hooks.ts'
export type { SimCallOptions, SimulatorOptions, DtmfInput, BridgeOutcome, HangupTrigger, SwitchDirectory } from './options.ts'
