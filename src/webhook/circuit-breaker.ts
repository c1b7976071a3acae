/**
 * A circuit breaker per webhook origin: after `threshold` consecutive
 * failures the origin is not called for `cooldownMs` (calls take the failure
 * path at once with reason circuit_open, instead of each waiting out the
 * timeout); then one trial request is let through, and its success closes the
 * circuit again.
 */

export type CircuitState = 'closed' | 'open' | 'half-open'

interface Circuit {
  failures: number
  openedAt: number
  trialInFlight: boolean
  state: CircuitState
}

export interface CircuitBreakerOptions {
  readonly threshold: number
  readonly cooldownMs: number
  readonly now?: () => number
  /** Told when an origin's state changes, for logs and metrics. */
  readonly onChange?: (origin: string, state: CircuitState) => void
}

export class CircuitBreaker {
  private readonly circuits = new Map<string, Circuit>()
  private readonly now: () => number

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now
  }

  /** Whether a request to `origin` may go out now (reserves the trial when half-open). */
  allow(origin: string): boolean {
    const circuit = this.circuits.get(origin)
    if (!circuit || circuit.state === 'closed') return true
    if (circuit.state === 'open') {
      if (this.now() - circuit.openedAt < this.options.cooldownMs) return false
      this.transition(origin, circuit, 'half-open')
    }
    if (circuit.trialInFlight) return false
    circuit.trialInFlight = true
    return true
  }

  success(origin: string): void {
    const circuit = this.circuits.get(origin)
    if (!circuit) return
    // Closed and healthy again: forget the origin so the map only holds troubled ones.
    this.circuits.delete(origin)
    if (circuit.state !== 'closed') this.options.onChange?.(origin, 'closed')
  }

  failure(origin: string): void {
    let circuit = this.circuits.get(origin)
    if (!circuit) {
      circuit = { failures: 0, openedAt: 0, trialInFlight: false, state: 'closed' }
      this.circuits.set(origin, circuit)
    }
    circuit.failures++
    circuit.trialInFlight = false
    if (circuit.state === 'half-open' || (circuit.state === 'closed' && circuit.failures >= this.options.threshold)) {
      circuit.openedAt = this.now()
      this.transition(origin, circuit, 'open')
    }
  }

  /** A request that ended without a verdict (the caller hung up): free the trial slot. */
  release(origin: string): void {
    const circuit = this.circuits.get(origin)
    if (circuit) circuit.trialInFlight = false
  }

  state(origin: string): CircuitState {
    return this.circuits.get(origin)?.state ?? 'closed'
  }

  /** Origins not closed, for metrics. */
  openOrigins(): Array<[string, CircuitState]> {
    return [...this.circuits].filter(([, circuit]) => circuit.state !== 'closed').map(([origin, circuit]) => [origin, circuit.state])
  }

  private transition(origin: string, circuit: Circuit, state: CircuitState): void {
    if (circuit.state === state) return
    circuit.state = state
    this.options.onChange?.(origin, state)
  }
}
