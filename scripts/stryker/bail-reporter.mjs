// node:test reporter for mutation runs (stryker.config.mjs): the built-in TAP
// output, except that the first failing test ends the file at once with one
// top-level `not ok` line, and so does a file in which no test event happens
// for MUTATE_STALL_MS (set per folder in stryker.config.mjs, a few times the
// slowest test: a mutant that makes a wait hang). The
// tap runner then counts the mutant killed after one failure instead of
// running the rest of the file, or timing the whole file out.
// Runs in the test process (node runs the file without --test), so
// process.exit runs Stryker's exit hook, which saves the coverage file.
import { writeSync } from 'node:fs'
import { tap } from 'node:test/reporters'

const stallMs = Number(process.env.MUTATE_STALL_MS ?? 8_000)

function stop(why) {
  writeSync(1, `\nnot ok 1 - ${why.replace(/[\r\n#]/g, ' ')}\n1..1\n`)
  process.exit(1)
}

export default async function* bailReporter(source) {
  let watchdog
  const rearm = (name) => {
    clearTimeout(watchdog)
    watchdog = setTimeout(() => stop(`nothing happened for ${stallMs} ms after ${JSON.stringify(name)}`), stallMs)
    watchdog.unref()
  }
  async function* watched() {
    for await (const event of source) {
      rearm(event.data?.name ?? event.type)
      // A suite fails because a test in it did: the test's own event came first.
      if (event.type === 'test:fail') stop(`stopped at the first failure: ${JSON.stringify(event.data.name)}`)
      yield event
    }
    clearTimeout(watchdog)
  }
  yield* tap(watched())
}
