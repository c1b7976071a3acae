/**
 * How many calls the load-shaped tests place (1,000 by default). `npm run mutate`
 * sets TEST_LOAD_CALLS=100: the leak and zero-command checks count exactly, so a
 * smaller burst still fails on one leaked timer or one Redis command per call,
 * and each mutant's run is seconds shorter.
 */
export const loadCalls = readLoadCalls(process.env['TEST_LOAD_CALLS'])

function readLoadCalls(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 1000
  const count = Number(raw)
  if (!Number.isInteger(count) || count < 10) throw new Error(`TEST_LOAD_CALLS: expected a whole number of calls, at least 10, got ${JSON.stringify(raw)}`)
  return count
}
