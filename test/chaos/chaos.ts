/**
 * The chaos run: many calls mixed across the seed's use cases, with faults
 * (webhook timeouts, 5xx, garbage, resets, caller hang-ups at a random step,
 * bridge failures) and the redis-server killed and restarted in the middle.
 * Every call's final state is checked against what SPEC says it should be;
 * afterwards nothing may be left behind. Used by `npm test` (1,000 calls) and
 * `npm run chaos` (10,000).
 */
import { randomUUID } from 'node:crypto'
import type { CallSummary } from '../../src/call/flow.ts'
import type { HangupTrigger, SimCall, SimCallOptions, SimCallResult } from '../sim/simulator.ts'
import { RedisProcess } from '../support/redis-server.ts'
import { RouterHarness } from '../support/router-harness.ts'
import type { Reply } from '../support/webhook-server.ts'

export type UseCase = 'crm' | 'pin' | 'tracking' | 'missed' | 'vip'
export type Fault = 'none' | 'timeout' | 'http5xx' | 'garbage' | 'reset' | 'hangup' | 'bridge-failure'

/** Share of calls per fault (SPEC of the chaos run); the rest have none. */
const FAULT_WEIGHTS: ReadonlyArray<readonly [Fault, number]> = [
  ['timeout', 0.1],
  ['http5xx', 0.1],
  ['garbage', 0.05],
  ['reset', 0.05],
  ['hangup', 0.1],
  ['bridge-failure', 0.05],
]
const USE_CASES: readonly UseCase[] = ['crm', 'pin', 'tracking', 'missed', 'vip']
const HANGUP_STEPS = ['connect', 'webhook', 'ivr', 'bridge'] as const
type HangupStep = (typeof HANGUP_STEPS)[number]

const IVR: ReadonlySet<UseCase> = new Set(['pin', 'vip'])
const COMPANY = '+31502102544'
const TIMEOUT_MS = 300

export interface ChaosOptions {
  readonly calls: number
  readonly concurrency: number
  readonly seed: number
  /** Kill the redis-server (SIGKILL) at this share of the calls placed, restart it at the second. */
  readonly redisOutage?: readonly [number, number]
  readonly log?: (line: string) => void
}

interface PlannedCall {
  readonly index: number
  readonly uuid: string
  readonly useCase: UseCase
  readonly fault: Fault
  readonly hangupStep: HangupStep | undefined
}

export interface ChaosReport {
  readonly calls: number
  readonly byFault: Record<string, number>
  readonly byReason: Record<string, number>
  /** Calls whose end state is not what SPEC says: empty when all is well. */
  readonly mismatches: string[]
  readonly unhandledRejections: number
  readonly handlerFailures: number
  readonly leftovers: { sessions: number; handlers: number; simCalls: number }
  readonly redisKilledAt: number | undefined
  readonly redisRestartedAt: number | undefined
  readonly durationMs: number
}

/** A small seeded generator (mulberry32): the same seed plans the same run. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function plan(options: ChaosOptions): PlannedCall[] {
  const next = random(options.seed)
  return Array.from({ length: options.calls }, (_, index) => {
    const useCase = USE_CASES[Math.floor(next() * USE_CASES.length)] as UseCase
    let fault: Fault = 'none'
    let roll = next()
    for (const [candidate, weight] of FAULT_WEIGHTS) {
      if (roll < weight) {
        fault = candidate
        break
      }
      roll -= weight
    }
    // Only steps this use case goes through: the IVR for pin and vip, a bridge for all but missed.
    const steps = HANGUP_STEPS.filter((step) => (step !== 'ivr' || IVR.has(useCase)) && (step !== 'bridge' || useCase !== 'missed'))
    const hangupStep = fault === 'hangup' ? steps[Math.floor(next() * steps.length)] : undefined
    return { index, uuid: randomUUID(), useCase, fault, hangupStep }
  })
}

/** What the sim scripts for one planned call. */
function callOptions(call: PlannedCall): SimCallOptions {
  const hangups: HangupTrigger[] = []
  if (call.hangupStep === 'connect') hangups.push({ on: 'connect', cause: 'ORIGINATOR_CANCEL' })
  if (call.hangupStep === 'ivr') hangups.push({ on: 'execute', app: 'play_and_get_digits', nth: 1, afterMs: 100 })
  if (call.hangupStep === 'bridge') hangups.push({ on: 'execute', app: 'bridge', nth: 1, afterMs: 10 })
  return {
    uuid: call.uuid,
    variables: { webhook: `chaos-${call.useCase}` },
    callerIdNumber: '31612345678',
    callerIdName: 'Chaos Caller',
    dtmf: call.useCase === 'pin' ? ['1111#', '4242#'] : call.useCase === 'vip' ? ['777#'] : [],
    bridge: call.fault === 'bridge-failure' ? [{ fail: 'USER_BUSY' }] : [{ answer: true, talkMs: call.hangupStep === 'bridge' ? 10_000 : 50 }],
    hangups,
    dialplan: { fallback: [['hangup', 'NORMAL_CLEARING']] },
    afterSocket: [['hangup', 'NORMAL_CLEARING']],
  }
}

/** What SPEC says the call must end as; undefined when it matches. */
function check(call: PlannedCall, result: SimCallResult, summary: CallSummary | undefined): string | undefined {
  const got = `${summary?.outcome.result}/${summary?.outcome.reason}/${summary?.disposition} (sim: ${result.disposition}, bridged ${result.bridged})`
  const expect = (condition: boolean, what: string): string | undefined => (condition ? undefined : `#${call.index} ${call.useCase}/${call.fault}${call.hangupStep ? `@${call.hangupStep}` : ''}: expected ${what}, got ${got}`)
  if (!summary) return expect(false, 'a summary line')
  const { outcome, disposition } = summary
  if (call.fault === 'hangup') {
    // Whatever the step, the call ends and the router lets go of it. When the hang-up crosses the
    // router's own hand-back, or lands before the router subscribed to the channel's events (so
    // only the disconnect notice tells), the summary says handed-back or lost: both released it.
    return expect(result.disposition === 'hungup' && ['hung-up', 'bridged', 'handed-back', 'lost'].includes(disposition), 'the caller hanging up to end the call')
  }
  const failureReason: Partial<Record<Fault, string>> = { timeout: 'http_timeout', http5xx: 'http_error', garbage: 'bad_response', reset: 'http_error' }
  const webhookFailure = failureReason[call.fault]
  if (webhookFailure) {
    if (outcome.result !== 'failure' || outcome.reason !== webhookFailure) return expect(false, `failure/${webhookFailure}`)
    // The fallback: crm, pin, vip transfer; tracking bridges the company; missed has no list and is handed back.
    if (call.useCase === 'tracking') return expect(result.bridged && disposition === 'bridged', 'the on_failure bridge')
    if (call.useCase === 'missed') return expect(disposition === 'handed-back', 'a hand-back')
    return expect(disposition === 'transferred' && result.disposition === 'transferred', 'the on_failure transfer')
  }
  if (call.fault === 'bridge-failure') {
    if (call.useCase === 'missed') return expect(outcome.reason === 'ok' && disposition === 'handed-back', 'ok and a hand-back')
    // tracking's bridge is in on_success: the list ends with the call up, so it is handed back.
    if (call.useCase === 'tracking') return expect(outcome.reason === 'ok' && disposition === 'handed-back', 'ok, then a hand-back after the failed list bridge')
    return expect(outcome.reason === 'bridge_failed' && outcome.bridgeCause === 'USER_BUSY' && disposition === 'transferred', 'bridge_failed and the on_failure transfer')
  }
  if (outcome.result !== 'success' || outcome.reason !== 'ok') return expect(false, 'success/ok')
  if (call.useCase === 'missed') return expect(disposition === 'handed-back', 'a hand-back')
  if (IVR.has(call.useCase) && outcome.attempts !== (call.useCase === 'pin' ? 2 : 1)) return expect(false, 'the right number of IVR attempts')
  return expect(result.bridged && disposition === 'bridged', 'a bridged call')
}

function webhookReply(call: PlannedCall | undefined, code: string, simCall: SimCall | undefined): Reply {
  switch (call?.fault) {
    case 'timeout':
      return { hang: true }
    case 'http5xx':
      return { status: 503, body: 'down' }
    case 'garbage':
      return { body: Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x3d]) }
    case 'reset':
      return { resetMidBody: true }
  }
  if (call?.hangupStep === 'webhook') {
    simCall?.hangup('ORIGINATOR_CANCEL')
    return { hang: true }
  }
  switch (call?.useCase) {
    case 'pin':
      return { body: code === '4242' ? `status=ACK&destination=${encodeURIComponent(COMPANY)}` : 'status=NAK' }
    case 'vip':
      return { body: code === '777' ? 'status=ACK&destination=1001' : 'status=NAK' }
    case 'crm':
      return { body: `status=ACK&destination=${encodeURIComponent(COMPANY)}&callername=ACME` }
    default:
      return { body: 'status=ACK' }
  }
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const started = performance.now()
  const log = options.log ?? (() => {})
  const calls = plan(options)
  const byUuid = new Map(calls.map((call) => [call.uuid, call]))
  const simCalls = new Map<string, SimCall>()
  let unhandledRejections = 0
  const onRejection = (): void => {
    unhandledRejections++
  }
  process.on('unhandledRejection', onRejection)

  const redis = await RedisProcess.start(['--appendonly', 'yes', '--appendfsync', 'everysec'])
  const h = await RouterHarness.start({
    redis,
    env: { CIRCUIT_FAILURES: '1000', DIAL_EXTENSION: 'user/{number}@example.com', LOG_LEVEL: 'info' },
  })
  const mismatches: string[] = []
  const byFault: Record<string, number> = {}
  const byReason: Record<string, number> = {}
  let redisKilledAt: number | undefined
  let redisRestartedAt: number | undefined
  try {
    const onFailure = '["transfer fallback XML default"]'
    const url = (path: string): string => h.webhook.url(`/${path}?uuid={uuid}&code={code}`)
    const common = { timeout_ms: String(TIMEOUT_MS) }
    await h.configure('chaos-crm', { ...common, url: url('crm'), callername_mode: 'webhook', on_failure: onFailure })
    await h.configure('chaos-pin', { ...common, url: url('pin'), ivr: '1', ivr_timeout: '2', ivr_min_digits: '4', on_failure: onFailure })
    await h.configure('chaos-tracking', { ...common, url: url('tracking'), on_success: `["bridge ${COMPANY}"]`, on_failure: `["bridge ${COMPANY}"]` })
    await h.configure('chaos-missed', { ...common, url: url('missed'), method: 'POST' })
    await h.configure('chaos-vip', { ...common, url: url('vip'), ivr: '1', destinations: '1[0-9]{3}', on_failure: onFailure })
    h.webhook.reply((request) => {
      const uuid = request.query.get('uuid') ?? new URLSearchParams(request.body).get('uuid') ?? ''
      return webhookReply(byUuid.get(uuid), request.query.get('code') ?? '', simCalls.get(uuid))
    })
    // Warm the cache: every webhook's config is held before Redis goes away.
    for (const useCase of USE_CASES) await h.app.store?.lookup(`chaos-${useCase}`)

    let next = 0
    let finished = 0
    const [killShare, restartShare] = options.redisOutage ?? [Number.NaN, Number.NaN]
    const outage = async (): Promise<void> => {
      if (redisKilledAt === undefined && next >= killShare * calls.length) {
        redisKilledAt = next
        log(`chaos: killing redis-server (SIGKILL) after ${next} calls placed`)
        await redis.kill()
      } else if (redisKilledAt !== undefined && redisRestartedAt === undefined && next >= restartShare * calls.length) {
        redisRestartedAt = next
        log(`chaos: restarting redis-server after ${next} calls placed`)
        await redis.restart()
      }
    }
    // A call that never ends would hang the run silently: name the stuck calls instead.
    const waiting = new Map<string, string>()
    let seen = -1
    const watchdog = setInterval(() => {
      if (finished === seen && waiting.size > 0) {
        const stuck = [...waiting].slice(0, 10).map(([uuid, stage]) => {
          const call = byUuid.get(uuid) as PlannedCall
          return `#${call.index} ${call.useCase}/${call.fault}${call.hangupStep ? `@${call.hangupStep}` : ''} ${uuid} waiting for ${stage}`
        })
        log(`chaos: no call finished for 15 s; ${waiting.size} waiting:\n  ${stuck.join('\n  ')}`)
      }
      seen = finished
    }, 15_000)
    watchdog.unref()
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (next < calls.length) {
          const call = calls[next++] as PlannedCall
          await outage()
          const simCall = h.sim.placeCall(callOptions(call))
          simCalls.set(call.uuid, simCall)
          waiting.set(call.uuid, 'the simulated call to end')
          const result = await simCall.done
          waiting.set(call.uuid, `the router's summary (sim: ${result.disposition})`)
          const summary = await h.summaryFor(call.uuid)
          waiting.delete(call.uuid)
          simCalls.delete(call.uuid)
          byFault[call.fault] = (byFault[call.fault] ?? 0) + 1
          byReason[summary.outcome.reason] = (byReason[summary.outcome.reason] ?? 0) + 1
          const problem = check(call, result, summary)
          if (problem) mismatches.push(problem)
          finished++
          if (finished % 1000 === 0) log(`chaos: ${finished}/${calls.length} calls done, ${mismatches.length} mismatches`)
        }
      }),
    )
    clearInterval(watchdog)
    const leftovers = { sessions: h.app.esl.activeSessions, handlers: h.app.esl.runningHandlers, simCalls: h.sim.activeCalls }
    return {
      calls: calls.length,
      byFault,
      byReason,
      mismatches,
      unhandledRejections,
      handlerFailures: h.logs.find('call handler failed').length,
      leftovers,
      redisKilledAt,
      redisRestartedAt,
      durationMs: performance.now() - started,
    }
  } finally {
    process.off('unhandledRejection', onRejection)
    await h.close()
    await redis.stop()
  }
}
