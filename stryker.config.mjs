// StrykerJS over the product code, one folder at a time (scripts/mutate.mjs sets
// MUTATE_FOLDER). Each folder is tested by the compiled test files that exercise
// it; with per-file coverage a mutant runs only the files that reach its code.
// The tap runner runs node:test files as they are (no other test framework).
// Within a folder the files go fastest and sharpest first: a mutant's run stops at the first file that fails.
const FOLDERS = {
  webhook: ['unit/address-guard', 'unit/webhook-client', 'unit/redirects', 'unit/webhook-hardening', 'unit/webhook-parts', 'unit/webhook-answer-exact', 'unit/webhook-config', 'flow/webhook-faults', 'flow/webhook-spec-gaps', 'flow/outcomes', 'flow/injection'],
  esl: ['unit/esl-exact', 'unit/esl-session-exact', 'unit/esl-server', 'unit/esl-plumbing', 'unit/esl-session-peer', 'unit/variables-and-allow-list', 'flow/use-cases', 'flow/round-trips', 'unit/esl-messages', 'flow/outcomes', 'sim/session', 'unit/frame-parser'],
  call: ['unit/dry-run', 'flow/use-cases', 'flow/dispositions', 'flow/ivr-arguments', 'flow/presentation', 'flow/round-trips', 'unit/routing', 'flow/injection', 'console/api', 'flow/attack-corpus', 'flow/webhook-faults', 'flow/outcomes', 'records/records'],
  config: ['unit/settings', 'unit/settings-exact', 'unit/lru-and-destinations', 'unit/webhook-config', 'unit/webhook-config-exact', 'unit/variables-and-allow-list', 'config/config-store', 'config/config-admin', 'config/redis-connection', 'console/api', 'flow/attack-corpus', 'flow/outcomes', 'config/live-config', 'config/cluster'],
  steps: ['unit/step-grammar', 'unit/webhook-config', 'flow/attack-corpus', 'flow/injection', 'flow/outcomes'],
}
const folder = process.env.MUTATE_FOLDER ?? 'webhook'
const tests = FOLDERS[folder]
if (!tests) throw new Error(`MUTATE_FOLDER: ${folder} is not one of ${Object.keys(FOLDERS).join(', ')}`)
// How long a test file may go without a test event before the bail reporter stops it: about three
// times its slowest test under mutation load (call: the CLI tests of records/records, about 3 s;
// config: the Redis restart in redis-connection, about 2.5 s). The test processes inherit it.
const STALL_MS = { esl: 8_000, webhook: 10_000, steps: 10_000, call: 20_000, config: 15_000 }
process.env.MUTATE_STALL_MS ??= String(STALL_MS[folder])

export default {
  plugins: ['@stryker-mutator/tap-runner', './scripts/stryker/ignore-logging.mjs'],
  ignorers: ['logging'],
  testRunner: 'tap',
  packageManager: 'npm',
  mutate: [`src/${folder}/**/*.ts`],
  // The sandbox compiles the mutated sources; Stryker adds @ts-nocheck so mutants that do not type-check still run.
  buildCommand: 'npx tsc -p tsconfig.json',
  ignorePatterns: ['dist', 'reports', 'docs', '.stryker-tmp*', 'bench', 'examples/**/*.md'],
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  tap: {
    testFiles: tests.map((name) => `dist/test/${name}.test.js`),
    // TAP, but the first failing test (or MUTATE_STALL_MS without any test event) ends the file with
    // one top-level `not ok` (scripts/stryker/bail-reporter.mjs), so a killed mutant costs one failure.
    nodeArgs: ['--test-reporter=./scripts/stryker/bail-reporter.mjs', '-r', '{{hookFile}}', '{{testFile}}'],
    // Not the tap runner's own bail: it loses a nested failure when it stops a file at the first one
    // (tap-parser reports no failed test then), which counted killed mutants as survivors.
    forceBail: false,
  },
  // Three test processes on two cores: a mutant that stalls a file leaves its core idle until the watchdog fires.
  concurrency: Number(process.env.MUTATE_CONCURRENCY ?? 3),
  timeoutMS: 3000,
  timeoutFactor: 1.5,
  incremental: true,
  incrementalFile: `reports/mutation/${folder}.incremental.json`,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: `reports/mutation/${folder}.json` },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  thresholds: { high: 85, low: 70, break: null },
  // One temporary folder per product folder, so two folders can be mutated at once.
  tempDirName: `.stryker-tmp-${folder}`,
  cleanTempDir: 'always',
}
