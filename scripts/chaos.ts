/**
 * `npm run chaos`: 10,000 mixed calls with faults and a Redis outage (see
 * test/chaos/chaos.ts), then the parsers fuzzed for a longer budget than
 * `npm test` gives them. Exit code 1 on any mismatch, leak or failure.
 * CHAOS_CALLS and CHAOS_FUZZ_SECONDS change the sizes.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runChaos } from '../test/chaos/chaos.ts'
import { checkChunking, checkMutatedStreams, checkRandomBytes, checkResponseParser, type Budget } from '../test/fuzz/properties.ts'

const calls = Number(process.env['CHAOS_CALLS'] ?? 10_000)
const fuzzSeconds = Number(process.env['CHAOS_FUZZ_SECONDS'] ?? 30)
const say = (line: string): void => void process.stdout.write(`${line}\n`)

const seed = Number(process.env['CHAOS_SEED'] ?? Date.now() % 2 ** 31)
say(`chaos: seed ${seed} (CHAOS_SEED=${seed} replays the same plan)`)
const report = await runChaos({ calls, concurrency: 100, seed, redisOutage: [0.4, 0.6], log: say })
say(`calls: ${report.calls} in ${(report.durationMs / 1000).toFixed(1)} s`)
say(`faults: ${JSON.stringify(report.byFault)}`)
say(`outcome reasons: ${JSON.stringify(report.byReason)}`)
say(`redis-server killed after ${report.redisKilledAt} calls placed, restarted after ${report.redisRestartedAt}`)
say(`mismatches: ${report.mismatches.length}${report.mismatches.length > 0 ? `\n  ${report.mismatches.slice(0, 20).join('\n  ')}` : ''}`)
say(`unhandled rejections: ${report.unhandledRejections}; handler failures: ${report.handlerFailures}; left over: ${JSON.stringify(report.leftovers)}`)

const fuzz: Array<[string, (budget: Budget) => void]> = [
  ['frame parser: chunking invariance', checkChunking],
  ['frame parser: random bytes', checkRandomBytes],
  ['frame parser: mutated recorded streams', checkMutatedStreams],
  ['webhook answer parser', checkResponseParser],
]
let fuzzFailures = 0
for (const [name, check] of fuzz) {
  const started = performance.now()
  try {
    check({ numRuns: 10_000_000, timeLimitMs: fuzzSeconds * 1000 })
    say(`fuzz ${name}: ok (${((performance.now() - started) / 1000).toFixed(0)} s)`)
  } catch (error) {
    fuzzFailures++
    say(`fuzz ${name}: FAILED\n${(error as Error).message}`)
  }
}

const dir = join(import.meta.dirname, '..', '..', 'bench', 'results')
mkdirSync(dir, { recursive: true })
writeFileSync(join(dir, 'chaos.json'), `${JSON.stringify({ ...report, mismatches: report.mismatches.slice(0, 100), fuzzSeconds, fuzzFailures }, null, 2)}\n`)
const clean = report.mismatches.length === 0 && report.unhandledRejections === 0 && report.handlerFailures === 0 && Object.values(report.leftovers).every((n) => n === 0) && fuzzFailures === 0
say(clean ? 'chaos: all calls ended as SPEC says; nothing left behind' : 'chaos: FAILED')
process.exitCode = clean ? 0 : 1
