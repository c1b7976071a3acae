/**
 * A webhook's `destinations` pattern, matched in linear time (RE2 semantics,
 * through re2js: no backtracking), so a hostile pattern can never stall the
 * event loop and with it every other call. The pattern must match the whole
 * destination (`^(?:...)$` is implied). Its size is capped: matching costs
 * input length times program size.
 */
import { RE2JS } from 're2js'

const MAX_PATTERN_CHARS = 256
const MAX_PROGRAM_SIZE = 1000

export interface DestinationPattern {
  readonly source: string
  /** True when the whole of `destination` matches. */
  test(destination: string): boolean
}

export function compileDestinations(pattern: string): DestinationPattern | Error {
  if (pattern.length > MAX_PATTERN_CHARS) return new Error(`is longer than ${MAX_PATTERN_CHARS} characters`)
  let compiled: RE2JS
  try {
    compiled = RE2JS.compile(pattern)
  } catch (error) {
    // RE2 has no backreferences or lookaround: those are what make a pattern slow.
    return new Error(`is not a valid pattern (RE2 syntax: no backreferences or lookaround): ${(error as Error).message}`)
  }
  if (compiled.programSize() > MAX_PROGRAM_SIZE) {
    return new Error(`is too complex (${compiled.programSize()} instructions, at most ${MAX_PROGRAM_SIZE}): use smaller repeat counts`)
  }
  return { source: pattern, test: (destination) => compiled.matches(destination) }
}
