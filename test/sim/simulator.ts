/**
 * A FreeSWITCH stand-in for tests and benchmarks: each `placeCall` connects
 * to the router exactly as the `socket` dialplan application does, then
 * behaves like the recorded FreeSWITCH 1.10/1.11 (see test/fixtures/transcripts).
 */
import { randomUUID } from 'node:crypto'
import type { SwitchIdentity } from './channel.ts'
import type { SimCallOptions, SimulatorOptions } from './options.ts'
import { SimCall } from './sim-call.ts'

export class FreeSwitchSimulator {
  private readonly calls = new Set<SimCall>()
  private readonly identity: SwitchIdentity

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
    const call = new SimCall(
      { identity: this.identity, timeScale: this.options.timeScale ?? 1, host: this.options.host, port: this.options.port },
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

  /** Ends every call still running (hang-up, socket closed). */
  async close(): Promise<void> {
    const pending = [...this.calls]
    for (const call of pending) call.abort()
    await Promise.all(pending.map((call) => call.done))
  }
}

export { SimCall } from './sim-call.ts'
export type { SimCallResult, Disposition, ExecutedApp } from './sim-call.ts'
export type { SimCallOptions, SimulatorOptions, DtmfInput, BridgeOutcome, HangupTrigger } from './options.ts'
