/**
 * Loaded into a `webhook-router serve` child with `--import` by the shutdown
 * test: closing the webhook HTTP agent never finishes, a shutdown step that
 * hangs, so only the forced exit can end the process.
 */
import { Agent } from 'undici'

Agent.prototype.close = function close(): Promise<void> {
  process.stderr.write('stuck-agent-close: the webhook agent will never finish closing\n')
  return new Promise<void>(() => {})
} as typeof Agent.prototype.close
