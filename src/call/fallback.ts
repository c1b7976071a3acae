/**
 * Runs an on_success / on_failure list, one application at a time (queued
 * applications would still run after a transfer), and hands the call back to
 * the dialplan when the list is done with the call still up and ours: it did
 * not bridge, transfer or hang up.
 */
import { EslError } from '../errors.ts'
import type { EslSession } from '../esl/session.ts'
import type { Logger } from '../logger.ts'
import type { Step } from '../steps/grammar.ts'
import { stepArgument, type RenderContext } from '../steps/render.ts'

/** How the call left our hands. */
export type Disposition = 'bridged' | 'handed-back' | 'transferred' | 'hung-up' | 'lost'

export async function runSteps(session: EslSession, steps: readonly Step[], render: RenderContext, log: Logger): Promise<Disposition> {
  for (const step of steps) {
    const result = await session.execute(step.app, stepArgument(step, render))
    if (result instanceof EslError) {
      if (result.code === 'hangup') return session.bridged ? 'bridged' : 'hung-up'
      if (result.code === 'control_lost') return 'transferred'
      log.warn({ app: step.app, err: result.message }, 'fallback step failed')
      return session.isActive ? handBack(session) : 'lost'
    }
    if (step.app === 'transfer') {
      // The channel is leaving the socket application: nothing more for us to do.
      await session.close()
      return 'transferred'
    }
    if (step.app === 'bridge' && result.variable('originate_disposition') === 'SUCCESS') {
      return session.isActive ? handBack(session) : 'bridged'
    }
    if (!session.isActive) return session.hungUp ? 'hung-up' : 'lost'
  }
  return session.isActive ? handBack(session) : session.hungUp ? 'hung-up' : 'lost'
}

export async function handBack(session: EslSession): Promise<Disposition> {
  await session.handBack()
  return session.hungUp ? 'hung-up' : 'handed-back'
}
