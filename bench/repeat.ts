/**
 * `npm run bench:repeat`: runs `npm run bench` BENCH_RUNS times (default 3),
 * one after the other, each a fresh set of processes, and prints every figure
 * as the median and the range over the runs: one run on a shared 2-core
 * machine moves by ±30 %, so a single figure says little. Each run's JSON is
 * kept as bench/results/run-N.json, the summary as bench/results/repeat.json.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { MemoryRow, Row } from './bench.ts'

// A type-only import: bench.ts is not run by it.
interface BenchResult {
  readonly rows: readonly Row[]
  readonly memory: readonly MemoryRow[]
}

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3)
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`BENCH_RUNS must be a whole number of at least 1, not ${process.env['BENCH_RUNS']}`)
const results = join(import.meta.dirname, '..', '..', 'bench', 'results')

const runs: BenchResult[] = []
for (let run = 1; run <= RUNS; run++) {
  process.stdout.write(`\n=== run ${run} of ${RUNS} ===\n`)
  const child = spawnSync(process.execPath, [join(import.meta.dirname, 'bench.js')], { stdio: 'inherit', env: process.env })
  if (child.status !== 0) throw new Error(`bench run ${run} failed (exit ${child.status ?? child.signal})`)
  const file = join(results, `run-${run}.json`)
  copyFileSync(join(results, 'bench.json'), file)
  runs.push(JSON.parse(readFileSync(file, 'utf8')) as BenchResult)
}

/** "median [min-max]" of finite values, or "-". */
function spread(values: readonly number[], digits: number): string {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b)
  if (finite.length === 0) return '-'
  const middle = finite.length % 2 === 1 ? (finite[(finite.length - 1) / 2] as number) : ((finite[finite.length / 2 - 1] as number) + (finite[finite.length / 2] as number)) / 2
  const at = (value: number): string => value.toFixed(digits)
  return finite.length === 1 ? at(middle) : `${at(middle)} [${at(finite[0] as number)}-${at(finite[finite.length - 1] as number)}]`
}

const first = runs[0] as BenchResult
const rows = first.rows.map(({ controller, run }) => {
  const same = runs.map((result) => result.rows.find((row) => row.controller === controller && row.run === run)).filter((row): row is Row => row !== undefined)
  const of = (pick: (row: Row) => number, digits: number): string => spread(same.map(pick), digits)
  return { controller, run, 'calls/s': of((row) => row.cps, 0), errors: of((row) => row.errors, 0), 'p50 ms': of((row) => row.addedP50, 1), 'p99 ms': of((row) => row.addedP99, 1), 'p99.9 ms': of((row) => row.addedP999, 1), 'CPU ms/call': of((row) => row.cpuMsPerCall, 2) }
})
const memory = first.memory.map(({ controller, size }) => ({
  controller,
  'held calls': size,
  'KB per held call': spread(runs.map((result) => (result.memory.find((entry) => entry.controller === controller && entry.size === size)?.bytesPerCall ?? Number.NaN) / 1024), 1),
}))

process.stdout.write(`\nmedian [min-max] over ${RUNS} runs:\n`)
console.table(rows)
console.table(memory)
writeFileSync(join(results, 'repeat.json'), `${JSON.stringify({ runs: RUNS, rows, memory }, null, 2)}\n`)
process.stdout.write(`results: ${join(results, 'repeat.json')}\n`)
