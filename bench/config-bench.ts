/**
 * `npm run bench:config`: how fast an edit made with a separate Redis client
 * reaches the router (HSET reply to the router's store returning the new
 * version; p50/p99), and how many Redis commands a call costs in the steady
 * state (INFO commandstats around a run of calls). Real redis-server, real
 * webhook server, the simulator placing calls.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { commandStats } from '../test/support/redis-server.ts'
import { RouterHarness } from '../test/support/router-harness.ts'

const EDITS = Number(process.env['BENCH_EDITS'] ?? 1000)
const CALLS = Number(process.env['BENCH_CALLS'] ?? 5000)
const CONCURRENCY = 50

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
}

const h = await RouterHarness.start({ env: { LOG_LEVEL: 'warn' } })
try {
  const store = h.app.store
  if (!store) throw new Error('no store')
  await h.configure('bench', { url: h.webhook.url('/v0'), on_success: '["hangup"]' })
  h.webhook.reply({ body: 'status=ACK' })
  await h.call({ variables: { webhook: 'bench' } })

  const delays: number[] = []
  for (let version = 1; version <= EDITS; version++) {
    const suffix = `/v${version}`
    const started = performance.now()
    await h.admin.hset('webhook:bench', 'url', h.webhook.url(suffix))
    for (;;) {
      const lookup = await store.lookup('bench')
      if (lookup.kind === 'found' && lookup.config.url.source.endsWith(suffix)) break
      await new Promise((resolve) => setImmediate(resolve))
    }
    delays.push(performance.now() - started)
  }
  delays.sort((a, b) => a - b)

  const before = await commandStats(h.admin)
  let placed = 0
  const callsStarted = performance.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (placed < CALLS) {
        placed++
        await h.call({ variables: { webhook: 'bench' } })
      }
    }),
  )
  const callsMs = performance.now() - callsStarted
  const after = await commandStats(h.admin)
  let commands = 0
  for (const [name, count] of after) if (name !== 'info') commands += count - (before.get(name) ?? 0)

  const result = {
    edits: EDITS,
    editToEffectMs: { p50: percentile(delays, 50), p99: percentile(delays, 99), max: delays.at(-1) ?? 0 },
    calls: CALLS,
    redisCommandsPerCall: commands / CALLS,
    callsPerSecond: CALLS / (callsMs / 1000),
  }
  console.log(`edit to effect over ${EDITS} edits: p50 ${result.editToEffectMs.p50.toFixed(2)} ms, p99 ${result.editToEffectMs.p99.toFixed(2)} ms, max ${result.editToEffectMs.max.toFixed(2)} ms`)
  console.log(`Redis commands per call over ${CALLS} calls: ${result.redisCommandsPerCall} (${commands} in all)`)
  console.log(`(${result.callsPerSecond.toFixed(0)} calls/s through the simulator at concurrency ${CONCURRENCY})`)
  const dir = join(import.meta.dirname, '..', '..', 'bench', 'results')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(result, null, 2)}\n`)
} finally {
  await h.close()
}
