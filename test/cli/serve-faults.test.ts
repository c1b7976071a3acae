/**
 * `webhook-router serve` as real child processes facing faults: a router
 * SIGKILLed mid-call with FreeSWITCH failing over to the second router,
 * hostile Event Socket peers, and the forced-exit paths of a shutdown.
 *
 * The suites wait mostly on timers of the processes under test (connect
 * deadlines, a drain's grace period), not on CPU, so they run side by side:
 * the file takes as long as its slowest suite, not their sum.
 */
import { describe } from 'node:test'
import { failoverSuite } from './serve-faults/failover.ts'
import { forcedExitSuite } from './serve-faults/forced-exit.ts'
import { hostilePeersSuite } from './serve-faults/hostile-peers.ts'

describe('webhook-router serve under faults', { concurrency: true }, () => {
  failoverSuite()
  hostilePeersSuite()
  forcedExitSuite()
})
