/**
 * What applications, the API and hook variables reach of a call: variable
 * expansion (recording every `${api ...}` it would run), hook variables
 * (recording and running them), the API's view of the channel, sound file
 * lengths.
 */
import { isKnownApi, runApi, type ApiContext } from './api.ts'
import { withUndef, type SimChannel } from './channel.ts'
import { bytes, expandVariables, text } from './fs-strings.ts'
import { hooksAt, type HookMoment, type HookRun } from './hooks.ts'
import type { SimCallOptions } from './options.ts'
import type { VariableValue } from './variable-store.ts'

const GLOBALS: Readonly<Record<string, string>> = {
  domain: '192.0.2.2',
  domain_name: '192.0.2.2',
  hostname: 'vm',
  sound_prefix: '/usr/share/freeswitch/sounds/en/us/callie',
  sounds_dir: '/usr/share/freeswitch/sounds',
}

export class CallServices {
  /** `${api ...}` expansions FreeSWITCH would have run: any entry is an injection. */
  readonly apiExpansions: string[] = []
  /** Hook variables FreeSWITCH would have run later: any the router did not mean is an injection. */
  readonly hookRuns: HookRun[] = []

  constructor(
    private readonly channel: SimChannel,
    private readonly options: SimCallOptions,
    private readonly hashes: Map<string, string>,
    private readonly hangup: (cause: string) => void,
  ) {}

  /** switch_channel_expand_variables on this channel. */
  expand(value: string): string {
    return expandVariables(value, {
      variable: (name) => this.channel.variable(name),
      global: (name) => (GLOBALS[name] === undefined ? undefined : bytes(GLOBALS[name])),
      api: (command, args) => {
        this.apiExpansions.push(text(`${command} ${args}`))
        return isKnownApi(command) ? runApi(this.api(), command, args) : ''
      },
    })
  }

  /** Runs (and records) the hook variables among `variables` due at `moment`; API hooks really run. */
  runHooks(variables: Iterable<readonly [string, VariableValue]>, moment: HookMoment, leg: 'caller' | 'callee'): void {
    for (const hook of hooksAt(variables, moment)) {
      const command = this.expand(hook.value)
      this.hookRuns.push({ leg, variable: text(hook.variable), moment, kind: hook.kind, command: text(command) })
      if (hook.kind !== 'api') continue
      const space = command.indexOf(' ')
      runApi(this.api(), space === -1 ? command : command.slice(0, space), space === -1 ? '' : command.slice(space + 1))
    }
  }

  api(): ApiContext {
    return {
      channel: this.channel,
      // The API answers at once; the hang-up reaches the listener through the event system, after the reply (K2).
      hangup: (cause) => setImmediate(() => this.hangup(cause)),
      dump: () => withUndef(this.channel.render('CHANNEL_DATA', { site: ['mod_commands.c', 'uuid_dump_function', '6495'], profileBlock: false })),
      hashes: this.hashes,
    }
  }

  /** Simulated ms a sound plays: as scripted, a tone's on+off, a silence's length, else 500. */
  fileDuration(file: string): number {
    const known = this.options.fileDurations?.[text(file)]
    if (known !== undefined) return known
    const tone = /^tone_stream:\/\/%\((\d+),(\d+)/.exec(file)
    if (tone) return Number(tone[1]) + Number(tone[2])
    const silence = /^silence_stream:\/\/(-?\d+)/.exec(file)
    if (silence) return Number(silence[1]) < 0 ? 3_600_000 : Number(silence[1])
    return 500
  }
}
