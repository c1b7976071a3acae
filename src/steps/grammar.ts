/**
 * The step grammar: what each application of an `on_success` / `on_failure`
 * list or `DEFAULT_ON_FAILURE` may take as its arguments. One table, read by
 * the config validator (CLI, router, console) and the docs. A config may only
 * choose among what the operator allowed: routing applications with their
 * own argument grammars, variables from an allow-list, the transfer contexts,
 * bridge endpoints and sound directories the operator listed. Pure.
 */
import { classifyDestination, type Destination } from '../call/routing.ts'
import { soundValue, textProblem, wholeNumberProblem, type ValuePolicy } from './values.ts'
import { variableRule } from './variables.ts'

/** The operator's choices (settings); configs can never reach beyond them. */
export interface StepPolicy extends ValuePolicy {
  /** Applications beyond the table below (EXTRA_FALLBACK_APPS); their arguments are plain text. */
  readonly extraApps: ReadonlySet<string>
  /** Variables beyond the allow-list (EXTRA_STEP_VARIABLES). */
  readonly extraVariables: ReadonlySet<string>
  /** Contexts `transfer ... XML <context>` may name (TRANSFER_CONTEXTS). */
  readonly transferContexts: ReadonlySet<string>
  /** Endpoint templates with `{number}` a `bridge` may dial as written (EXTRA_BRIDGE_ENDPOINTS). */
  readonly bridgeEndpoints: readonly string[]
}

export const DEFAULT_STEP_POLICY: StepPolicy = Object.freeze({
  extraApps: new Set<string>(),
  extraVariables: new Set<string>(),
  transferContexts: new Set(['default']),
  bridgeEndpoints: [],
  soundDirs: [],
})

export type BridgeTarget = Destination | { readonly kind: 'endpoint'; readonly endpoint: string }

/** A bridge step, dialled at run time through DIAL_E164 / DIAL_EXTENSION or an allowed endpoint. */
export interface BridgePlan {
  /** From the step's `{...}` block, every name on the allow-list. */
  readonly variables: ReadonlyArray<readonly [name: string, value: string]>
  readonly target: BridgeTarget
}

/** One validated `"app args"` entry. */
export interface Step {
  readonly app: string
  /** The arguments as written (sent as they are, except a bridge's, which is built from `bridge`). */
  readonly args: string
  readonly bridge?: BridgePlan
}

type Check = (args: string, policy: StepPolicy) => string | undefined

export interface Application {
  /** The accepted form, for messages, the README and the console. */
  readonly syntax: string
  readonly check: Check
}

const noArguments: Check = (args) => (args === '' ? undefined : 'takes no arguments')
const HANGUP_CAUSE = /^[A-Z][A-Z0-9_]{2,40}$/
const EXTENSION = /^[A-Za-z0-9_+*#.][A-Za-z0-9_+*#.-]{0,63}$/
const LOG_LEVELS = new Set(['DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERR', 'CRIT', 'ALERT', 'CONSOLE'])

function words(args: string): string[] {
  return args === '' ? [] : args.split(/ +/)
}

/** `name=value`: the name on the allow-list and the value in its grammar. */
function assignmentProblem(assignment: string, policy: StepPolicy): string | undefined {
  const equals = assignment.indexOf('=')
  if (equals <= 0) return `${JSON.stringify(assignment)} is not name=value`
  const name = assignment.slice(0, equals)
  const rule = variableRule(name, policy.extraVariables)
  if (typeof rule === 'string') return rule
  const value = assignment.slice(equals + 1)
  if (value === '') return undefined // unsets
  const problem = rule.value(value, policy)
  return problem ? `value of ${name} ${problem}` : undefined
}

export const APPLICATIONS: Readonly<Record<string, Application>> = {
  answer: { syntax: 'answer', check: noArguments },
  pre_answer: { syntax: 'pre_answer', check: noArguments },
  ring_ready: { syntax: 'ring_ready', check: noArguments },
  playback: { syntax: 'playback <sound>', check: (args, policy) => (args === '' ? 'needs a sound' : soundValue(args, policy)) },
  gentones: { syntax: 'gentones <%(on,off,hz...)>[|loops]', check: (args) => (/^[0-9%(),.;]{1,256}(?:\|\d{1,3})?$/.test(args) ? undefined : 'must be a tone like %(500,0,800), optionally |loops') },
  say: {
    syntax: 'say <language> <type> <method> [<gender>] <text>',
    check: (args) => {
      const [language, type, method, ...rest] = words(args)
      if (!language || !type || !method || rest.length === 0) return 'needs language, type, method and text (say en number pronounced 42)'
      if (!/^[A-Za-z0-9_:-]{1,16}$/.test(language) || !/^[A-Za-z_]{1,32}$/.test(type) || !/^[A-Za-z_]{1,32}$/.test(method)) return 'language, type and method must be plain words'
      return textProblem(rest.join(' '), 128)
    },
  },
  phrase: {
    syntax: 'phrase <macro>[,<data>]',
    check: (args) => {
      const comma = args.indexOf(',')
      const macro = comma === -1 ? args : args.slice(0, comma)
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(macro)) return 'the macro name must be letters, digits, _ and -'
      return comma === -1 ? undefined : textProblem(args.slice(comma + 1), 128)
    },
  },
  sleep: { syntax: 'sleep <milliseconds>', check: (args) => wholeNumberProblem(args, 1, 60_000, 'milliseconds') },
  set: { syntax: 'set <variable>=<value>', check: (args, policy) => assignmentProblem(args, policy) },
  export: { syntax: 'export [nolocal:]<variable>=<value>', check: (args, policy) => assignmentProblem(args.replace(/^nolocal:/, ''), policy) },
  multiset: {
    syntax: 'multiset <variable>=<value> [<variable>=<value> ...]',
    check: (args, policy) => {
      const assignments = words(args)
      if (assignments.length === 0) return 'needs at least one name=value'
      for (const assignment of assignments) {
        const problem = assignmentProblem(assignment, policy)
        if (problem) return problem
      }
      return undefined
    },
  },
  unset: {
    syntax: 'unset <variable>',
    check: (args, policy) => {
      const rule = variableRule(args, policy.extraVariables)
      return typeof rule === 'string' ? rule : undefined
    },
  },
  hangup: { syntax: 'hangup [<CAUSE>]', check: (args) => (args === '' || HANGUP_CAUSE.test(args) ? undefined : 'the cause must be a name like NORMAL_CLEARING or USER_BUSY') },
  transfer: {
    syntax: 'transfer <extension> [XML <context>]',
    check: (args, policy) => {
      const [extension, dialplan, context, ...rest] = words(args)
      if (extension === undefined || !EXTENSION.test(extension)) return 'needs an extension (letters, digits, _ + * # . -)'
      if (dialplan === undefined) return undefined
      if (dialplan !== 'XML' || context === undefined || rest.length > 0) return 'must be <extension> or <extension> XML <context>'
      if (!policy.transferContexts.has(context)) {
        return `context ${JSON.stringify(context)} is not allowed (allowed: ${[...policy.transferContexts].join(', ') || 'none'}; the operator lists contexts in TRANSFER_CONTEXTS)`
      }
      return undefined
    },
  },
  bridge: {
    syntax: 'bridge [{<variable>=<value>,...}]<E.164 number | extension | allowed endpoint>',
    check: (args, policy) => {
      const plan = parseBridge(args, policy)
      return typeof plan === 'string' ? plan : undefined
    },
  },
  log: {
    syntax: 'log [<LEVEL>] <text>',
    check: (args) => {
      const [first] = words(args)
      const text = first !== undefined && LOG_LEVELS.has(first) ? args.slice(first.length).trim() : args
      return text === '' ? 'needs a text' : textProblem(text)
    },
  },
  privacy: { syntax: 'privacy <no|yes|name|number|full>', check: (args) => (['no', 'yes', 'name', 'number', 'full'].includes(args) ? undefined : 'must be no, yes, name, number or full') },
  sched_hangup: {
    syntax: 'sched_hangup +<seconds> [<CAUSE>]',
    check: (args) => {
      const [when, cause, ...rest] = words(args)
      if (when === undefined || !/^\+\d{1,6}$/.test(when) || rest.length > 0) return 'must be +<seconds> [<CAUSE>]'
      return cause === undefined || HANGUP_CAUSE.test(cause) ? undefined : 'the cause must be a name like NORMAL_CLEARING'
    },
  },
  respond: {
    syntax: 'respond <1xx|4xx|5xx|6xx> [<reason>]',
    check: (args) => (/^(?:1\d\d|[4-6]\d\d)(?: [A-Za-z][A-Za-z ]{0,63})?$/.test(args) ? undefined : 'must be a SIP status (1xx, 4xx, 5xx or 6xx) and an optional reason in words'),
  },
}

/** The rule for applications the operator added by name: the arguments are plain text. */
export const EXTRA_APPLICATION: Application = { syntax: '<application> <text>', check: (args) => (args === '' ? undefined : textProblem(args, 1024)) }

const BLOCK_HINT = 'use one {name=value,...} block before the target: it applies to every leg'

/** A bridge argument: an optional `{...}` block of allowed variables, then a destination or an allowed endpoint. */
export function parseBridge(args: string, policy: StepPolicy): BridgePlan | string {
  let rest = args
  const variables: Array<readonly [string, string]> = []
  if (rest.startsWith('{')) {
    const close = rest.indexOf('}')
    if (close === -1) return 'the {...} block is not closed'
    for (const assignment of rest.slice(1, close).split(',')) {
      const problem = assignmentProblem(assignment, policy)
      if (problem) return `in the {...} block: ${problem}`
      const equals = assignment.indexOf('=')
      variables.push([assignment.slice(0, equals), assignment.slice(equals + 1)])
    }
    rest = rest.slice(close + 1)
  }
  if (rest.startsWith('[') || rest.startsWith('<') || rest.startsWith('{')) return BLOCK_HINT
  if (rest === '') return 'needs a destination: an E.164 number (+31201234567) or an extension (1-8 digits)'
  const destination = classifyDestination(rest, undefined)
  if (!('refused' in destination)) return { variables, target: destination }
  if (policy.bridgeEndpoints.some((template) => endpointMatches(template, rest))) return { variables, target: { kind: 'endpoint', endpoint: rest } }
  return `${JSON.stringify(rest.slice(0, 80))} is not an E.164 number (+ and 2-15 digits) nor an extension (1-8 digits), dialled through DIAL_E164 / DIAL_EXTENSION${
    policy.bridgeEndpoints.length === 0 ? '; other endpoints only as the operator lists them in EXTRA_BRIDGE_ENDPOINTS' : `, nor one of ${policy.bridgeEndpoints.join(', ')} (EXTRA_BRIDGE_ENDPOINTS)`
  }`
}

/** `sofia/gateway/backup/{number}` matches `sofia/gateway/backup/+31201234567`: the number is digits only. */
export function endpointMatches(template: string, endpoint: string): boolean {
  const at = template.indexOf('{number}')
  if (at === -1) return false
  const prefix = template.slice(0, at)
  const suffix = template.slice(at + '{number}'.length)
  if (!endpoint.startsWith(prefix) || !endpoint.endsWith(suffix) || endpoint.length <= prefix.length + suffix.length) return false
  return /^\+?[0-9*#]{1,32}$/.test(endpoint.slice(prefix.length, endpoint.length - suffix.length))
}

/** Splits and checks one `"app args"` entry; the string says why it is refused. */
export function parseStep(entry: string, policy: StepPolicy): Step | string {
  if (/[\p{Cc}\p{Cf}\u2028\u2029]/u.test(entry)) return 'contains a control character (line break, tab, NUL...)'
  if (entry.length > 2048) return 'is longer than 2048 characters'
  const trimmed = entry.trim()
  const space = trimmed.indexOf(' ')
  const app = space === -1 ? trimmed : trimmed.slice(0, space)
  const args = space === -1 ? '' : trimmed.slice(space + 1).trim()
  if (!/^[a-z][a-z0-9_]{0,63}$/.test(app)) return `${JSON.stringify(app.slice(0, 40))} is not an application name`
  const known = Object.hasOwn(APPLICATIONS, app) ? APPLICATIONS[app] : undefined
  const application = known ?? (policy.extraApps.has(app) ? EXTRA_APPLICATION : undefined)
  if (!application) {
    return `application ${app} is not allowed (allowed: ${[...Object.keys(APPLICATIONS), ...policy.extraApps].sort().join(', ')}; the operator may add others to EXTRA_FALLBACK_APPS)`
  }
  if (app === 'bridge') {
    const bridge = parseBridge(args, policy)
    return typeof bridge === 'string' ? `${app}: ${bridge}` : { app, args, bridge }
  }
  const problem = application.check(args, policy)
  return problem ? `${app}: ${problem} (${application.syntax})` : { app, args }
}

export interface StepProblem {
  /** 0-based position in the list; -1 for the list as a whole. */
  readonly index: number
  readonly reason: string
}

/** A JSON array of `"app args"` strings, every entry checked; all problems are reported. */
export function parseStepList(raw: string | undefined, policy: StepPolicy): Step[] | StepProblem[] {
  if (raw === undefined || raw.trim() === '') return []
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    return [{ index: -1, reason: 'is not valid JSON (expected an array like ["transfer 200 XML default"])' }]
  }
  if (!Array.isArray(parsed)) return [{ index: -1, reason: 'must be a JSON array of "app args" strings' }]
  if (parsed.length > 32) return [{ index: -1, reason: 'has more than 32 steps' }]
  const steps: Step[] = []
  const problems: StepProblem[] = []
  for (const [index, entry] of parsed.entries()) {
    const step = typeof entry === 'string' ? parseStep(entry, policy) : `${JSON.stringify(entry)?.slice(0, 40)} is not a string`
    if (typeof step === 'string') problems.push({ index, reason: `step ${index + 1}${typeof entry === 'string' ? ` ${JSON.stringify(entry.slice(0, 60))}` : ''}: ${step}` })
    else steps.push(step)
  }
  return problems.length > 0 ? problems : steps
}

/** True when `parseStepList` refused the list. */
export function isStepProblems(result: Step[] | StepProblem[]): result is StepProblem[] {
  return result.length > 0 && 'reason' in (result[0] as object)
}
