#!/usr/bin/env node
// `npm run mutate [-- FOLDER ...]`: builds, then runs StrykerJS over each product
// folder in turn (default: call, webhook, config, esl, steps) with the test files
// that exercise it (stryker.config.mjs), and prints the score per folder.
// Incremental: results of unchanged code and tests are reused from reports/mutation.
// The load-shaped tests place 100 calls instead of 1,000 (TEST_LOAD_CALLS): they count
// leaks exactly, so the smaller burst fails alike and each mutant runs seconds faster.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const folders = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['call', 'webhook', 'config', 'esl', 'steps']
if (spawnSync('npx', ['--no-install', 'tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' }).status !== 0) process.exit(1)

const rows = []
for (const folder of folders) {
  const started = Date.now()
  const run = spawnSync('npx', ['--no-install', 'stryker', 'run'], { cwd: root, stdio: 'inherit', env: { TEST_LOAD_CALLS: '100', ...process.env, MUTATE_FOLDER: folder } })
  if (run.status !== 0) {
    console.error(`stryker failed on src/${folder} (exit ${run.status})`)
    process.exit(1)
  }
  const report = join(root, 'reports', 'mutation', `${folder}.json`)
  if (!existsSync(report)) continue
  const counts = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, CompileError: 0, RuntimeError: 0, Ignored: 0 }
  for (const file of Object.values(JSON.parse(readFileSync(report, 'utf8')).files)) {
    for (const mutant of file.mutants) counts[mutant.status] = (counts[mutant.status] ?? 0) + 1
  }
  const detected = counts.Killed + counts.Timeout
  const valid = detected + counts.Survived + counts.NoCoverage
  rows.push({ folder: `src/${folder}`, mutants: valid, killed: counts.Killed, timeout: counts.Timeout, survived: counts.Survived, noCoverage: counts.NoCoverage, score: valid === 0 ? '-' : `${((100 * detected) / valid).toFixed(1)} %`, minutes: ((Date.now() - started) / 60000).toFixed(1) })
}
console.table(rows)
