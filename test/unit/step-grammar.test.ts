/**
 * The step grammar (src/steps): every application's accepted forms, the
 * variable allow-list, references, and what a bridge step dials. The attack
 * corpus at this level: whatever could run a command, reach another context,
 * gateway, endpoint, file or URL is refused with a reason naming it.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { presentationFor } from '../../src/call/routing.ts'
import { parseWebhookConfig, ConfigError, type WebhookConfig } from '../../src/config/webhook-config.ts'
import { APPLICATIONS, DEFAULT_STEP_POLICY, endpointMatches, isStepProblems, parseStep, parseStepList, type Step, type StepPolicy } from '../../src/steps/grammar.ts'
import { stepArgument } from '../../src/steps/render.ts'
import { referenceProblem, soundValue, textProblem } from '../../src/steps/values.ts'
import { STEP_VARIABLES, variableRule } from '../../src/steps/variables.ts'

const DIAL = { dialE164: 'sofia/gateway/default/{number}', dialExtension: 'user/{number}@${domain_name}' }

function accepted(entry: string, policy: StepPolicy = DEFAULT_STEP_POLICY): Step {
  const step = parseStep(entry, policy)
  assert.ok(typeof step !== 'string', `${entry} should be accepted: ${String(step)}`)
  return step
}

function refused(entry: string, reason: RegExp, policy: StepPolicy = DEFAULT_STEP_POLICY): void {
  const step = parseStep(entry, policy)
  assert.equal(typeof step, 'string', `${entry} should be refused`)
  assert.match(step as string, reason, entry)
}

describe('step grammar: what each application accepts', () => {
  const good = [
    'answer',
    'pre_answer',
    'ring_ready',
    'playback ivr/ivr-thank_you.wav',
    'playback tone_stream://%(250,50,440);loops=2',
    'playback silence_stream://500',
    'playback say:thank you for calling',
    'gentones %(500,0,800)|2',
    'say en number pronounced 42',
    'say en number pronounced ${webhook_code}',
    'phrase voicemail_goodbye',
    'phrase spell,${webhook_code}',
    'sleep 1000',
    'set effective_caller_id_name=ACME Sales',
    'set effective_caller_id_name=VIP ${webhook_callername}',
    'set effective_caller_id_number=+31201234567',
    'set call_timeout=30',
    'set continue_on_fail=USER_BUSY,NO_ANSWER',
    'set ringback=tone_stream://%(2000,4000,440,480)',
    'set origination_privacy=screen+hide_name+hide_number',
    'set webhook_reason=',
    'export nolocal:hangup_after_bridge=true',
    'multiset call_timeout=20 leg_timeout=15',
    'unset ringback',
    'hangup',
    'hangup USER_BUSY',
    'transfer 200',
    'transfer 200 XML default',
    'transfer *98 XML default',
    'bridge 200',
    'bridge +31201234567',
    'bridge {leg_timeout=20,ignore_early_media=true}+31201234567',
    'log INFO failed: ${webhook_reason} after ${webhook_attempts} attempts',
    'log no level given',
    'privacy full',
    'sched_hangup +60 ALLOTTED_TIMEOUT',
    'respond 486 Busy Here',
  ]
  for (const entry of good) it(`accepts ${entry}`, () => void accepted(entry))

  it('keeps the arguments as written (the bridge is built later)', () => {
    assert.deepEqual(accepted('  transfer   200 XML default  '), { app: 'transfer', args: '200 XML default' })
    assert.deepEqual(accepted('bridge {leg_timeout=20}1001').bridge, { variables: [['leg_timeout', '20']], target: { kind: 'extension', number: '1001' } })
  })

  it('documents a syntax for every application', () => {
    for (const [name, application] of Object.entries(APPLICATIONS)) assert.match(application.syntax, new RegExp(`^${name}\\b`))
  })
})

describe('step grammar: the attack corpus is refused, with the reason', () => {
  const cases: Array<readonly [string, RegExp]> = [
    // Hook variables, everywhere a variable can be named.
    ['set api_hangup_hook=system touch /tmp/x', /api_hangup_hook may not be set \(it runs commands later: a hook variable\)/],
    ['export execute_on_answer=system touch /tmp/x', /execute_on_answer may not be set.*hook/],
    ['export nolocal:api_on_answer=system x', /api_on_answer may not be set/],
    ['multiset call_timeout=20 api_hangup_hook=system', /api_hangup_hook may not be set/],
    ['unset api_hangup_hook', /api_hangup_hook may not be set/],
    ['set session_in_hangup_hook=true', /hook variable/],
    ['set api_on_ring=system x', /hook variable/],
    ['set execute_on_originate=system x', /hook variable/],
    ['set exec_after_bridge_app=system', /may not be set/],
    ['set sound_prefix=/etc', /sound_prefix may not be set/],
    ['set x=1', /variable x may not be set/],
    ['bridge {api_on_answer=system x}1001', /in the \{\.\.\.\} block: .*api_on_answer may not be set/],
    ['bridge {leg_timeout=20,api_on_answer=system}1001', /api_on_answer may not be set/],
    ['bridge [execute_on_answer=system x]1001', /use one \{name=value,\.\.\.\} block/],
    ['bridge <api_on_answer=system x>1001', /use one \{name=value,\.\.\.\} block/],
    ['bridge {leg_timeout=20}{api_on_answer=x}1001', /use one \{name=value/],
    ['bridge {leg_timeout=20', /not closed/],
    // References to anything but the router's own outcome variables.
    ['playback ${caller_id_name}', /must be a sound name/],
    ['set effective_caller_id_name=${caller_id_name}', /only the router's own outcome variables may be referenced/],
    ['log INFO ${sip_from_display}', /\$\{sip_from_display\}.*only the router's own outcome variables/],
    ['log INFO ${destination_number}', /only the router's own/],
    ['log INFO ${sip_h_X-Evil}', /only the router's own/],
    ['log INFO ${uuid}', /only the router's own/],
    ['log INFO ${webhook}', /only the router's own/],
    ['log INFO ${webhook_ivr_entry_1}', /only the router's own/],
    ['log INFO ${webhook_${caller_id_name}}', /only|"\$"/],
    ['log INFO ${system id}', /only the router's own/],
    ['log INFO ${expr 6*7}', /only the router's own/],
    ['log INFO \\${system id}', /contains "\\\\"|only/],
    ['log INFO $${hostname}', /global variables cannot be referenced/],
    ['log INFO $ dollar', /"\$" is only allowed in a reference/],
    ['log INFO a;b', /contains ";"/],
    ["log INFO it's", /contains "'"/],
    ['log INFO a^^:b', /contains "\^"/],
    ['log INFO {x}', /contains "\{"/],
    ['log INFO a\u202Eb', /control character/],
    ['log INFO a\tb', /control character/],
    // Destinations, endpoints, gateways, domains.
    ['bridge sofia/gateway/backup/${webhook_destination}', /not an E\.164 number .*EXTRA_BRIDGE_ENDPOINTS/],
    ['bridge sofia/gateway/evil/+31201234567', /EXTRA_BRIDGE_ENDPOINTS/],
    ['bridge loopback/1001/default', /EXTRA_BRIDGE_ENDPOINTS/],
    ['bridge user/1000@other.example', /EXTRA_BRIDGE_ENDPOINTS/],
    ['bridge 1000,1001', /not an E\.164 number/],
    ['bridge +31201234567|sofia/gateway/evil/900', /not an E\.164 number/],
    ['bridge 123456789', /not an E\.164 number/],
    ['bridge +0123', /not an E\.164 number/],
    ['bridge', /needs a destination/],
    // Contexts and dialplans.
    ['transfer 200 XML other-tenant', /context "other-tenant" is not allowed \(allowed: default; .*TRANSFER_CONTEXTS/],
    ['transfer 200 inline', /must be <extension> or <extension> XML <context>/],
    ['transfer set:x=1,bridge:user/1000 inline', /needs an extension/],
    ['transfer -bleg 200', /needs an extension/],
    ['transfer 200 XML default extra', /must be <extension> or <extension> XML <context>/],
    ['transfer', /needs an extension/],
    // Files and URLs.
    ['playback http://evil.example/a.wav', /no URLs or other sources/],
    ['playback shout://evil.example/a.mp3', /no URLs/],
    ['playback file_string://a.wav!b.wav', /no URLs/],
    ['playback /etc/passwd', /absolute path is not allowed/],
    ['playback ../../etc/passwd', /must be a sound name/],
    ['playback ivr/../../etc/passwd', /must be a sound name/],
    ['playback {api_on_answer=x}ivr/a.wav', /must be a sound name/],
    ['playback a.wav b.wav', /must be a sound name/],
    ['playback', /needs a sound/],
    ['set ringback=http://evil.example/ring.wav', /no URLs/],
    // Applications off the list, and arguments outside an application's grammar.
    ['system touch /tmp/x', /application system is not allowed .*EXTRA_FALLBACK_APPS/],
    ['bgsystem id', /application bgsystem is not allowed/],
    ['lua evil.lua', /application lua is not allowed/],
    ['socket evil.example:8084 async full', /application socket is not allowed/],
    ['eval x', /application eval is not allowed/],
    ['redirect sip:evil@evil.example', /application redirect is not allowed/],
    ['record_session /tmp/evil.wav', /application record_session is not allowed/],
    ['Transfer 200', /is not an application name/],
    ['answer now', /takes no arguments/],
    ['hangup ${system id}', /cause must be a name/],
    ['hangup normal', /cause must be a name/],
    ['sleep forever', /whole number of milliseconds/],
    ['sleep 600001', /from 1 to 60000/],
    ['set call_timeout=${webhook_code}', /whole number of seconds/],
    ['set hangup_after_bridge=yes', /true or false/],
    ['set effective_caller_id_number=1;2', /letters, digits/],
    ['privacy maybe', /no, yes, name, number or full/],
    ['respond 302 Moved', /1xx, 4xx, 5xx or 6xx/],
    ['sched_hangup 60', /\+<seconds>/],
  ]
  for (const [entry, reason] of cases) it(`refuses ${JSON.stringify(entry)}`, () => refused(entry, reason))

  it('names what was wrong with a list, entry by entry', () => {
    const problems = parseStepList('["transfer 200 XML default", "set api_hangup_hook=x", 42, "system id"]', DEFAULT_STEP_POLICY)
    assert.ok(isStepProblems(problems))
    assert.deepEqual(
      problems.map((problem) => [problem.index, problem.reason.slice(0, 40)]),
      [
        [1, 'step 2 "set api_hangup_hook=x": set: var'],
        [2, 'step 3: 42 is not a string'],
        [3, 'step 4 "system id": application system i'],
      ],
    )
    assert.deepEqual(parseStepList('{"a":1}', DEFAULT_STEP_POLICY), [{ index: -1, reason: 'must be a JSON array of "app args" strings' }])
    assert.equal((parseStepList(JSON.stringify(Array(33).fill('answer')), DEFAULT_STEP_POLICY)[0] as { reason: string }).reason, 'has more than 32 steps')
  })

  it('property: no accepted step holds a "$" other than an outcome-variable reference, a line break, or a variable off the list', () => {
    const alphabet = fc.constantFrom(...'ab1 {}[]<>,|;$\\\'"^=:/.+-_%()\n\t'.split(''), '${webhook_reason}', '${caller_id_name}', 'api_hangup_hook', 'set ', 'bridge ', 'log ')
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(APPLICATIONS)), fc.array(alphabet, { maxLength: 12 }), (app, parts) => {
        const step = parseStep(`${app} ${parts.join('')}`, DEFAULT_STEP_POLICY)
        if (typeof step === 'string') return
        const argument = stepArgument(step, { dial: DIAL, presentation: undefined })
        assert.equal(referenceProblem(argument.replaceAll('${domain_name}', '')), undefined, argument)
        assert.ok(!/[\r\n\0]/.test(argument), argument)
        const assignments = step.app === 'multiset' ? step.args.split(' ') : ['set', 'export', 'unset'].includes(step.app) ? [step.args] : []
        const named = [...assignments.map((assignment) => assignment.replace(/^nolocal:/, '').split('=')[0] ?? ''), ...(step.bridge?.variables.map(([name]) => name) ?? [])]
        for (const name of named) assert.ok(Object.hasOwn(STEP_VARIABLES, name), `${step.app} ${step.args} names ${name}`)
      }),
      { numRuns: 3000 },
    )
  })
})

describe('step grammar: the operator opens it, name by name', () => {
  const open: StepPolicy = {
    ...DEFAULT_STEP_POLICY,
    extraApps: new Set(['lua']),
    extraVariables: new Set(['api_hangup_hook', 'my_tag']),
    transferContexts: new Set(['default', 'tenant-a']),
    bridgeEndpoints: ['sofia/gateway/backup/{number}', 'loopback/{number}/default'],
    soundDirs: ['/var/lib/sounds/'],
  }

  it('an application, its arguments plain text', () => {
    accepted('lua notify.lua ${webhook_reason}', open)
    refused('lua notify.lua ${caller_id_name}', /only the router's own/, open)
    refused('lua notify.lua', /application lua is not allowed/)
  })

  it('a variable, and only that one', () => {
    accepted('set my_tag=gold', open)
    accepted('set api_hangup_hook=lua done.lua', open)
    refused('set api_on_answer=x', /may not be set/, open)
  })

  it('a context', () => {
    accepted('transfer 200 XML tenant-a', open)
    refused('transfer 200 XML tenant-b', /allowed: default, tenant-a/, open)
  })

  it('an endpoint template: the number part is digits only', () => {
    assert.deepEqual(accepted('bridge sofia/gateway/backup/+31201234567', open).bridge?.target, { kind: 'endpoint', endpoint: 'sofia/gateway/backup/+31201234567' })
    accepted('bridge loopback/1001/default', open)
    refused('bridge sofia/gateway/backup/1000@evil', /not an E\.164 number .*nor one of sofia\/gateway\/backup\/\{number\}/, open)
    refused('bridge sofia/gateway/backup/', /not an E\.164/, open)
    refused('bridge loopback/1001/other', /not an E\.164/, open)
    assert.equal(endpointMatches('sofia/gateway/backup/{number}', 'sofia/gateway/backup/1,2'), false)
    assert.equal(endpointMatches('loopback/{number}/default', 'loopback/1|2/default'), false)
  })

  it('a sound directory', () => {
    accepted('playback /var/lib/sounds/acme/welcome.wav', open)
    refused('playback /var/lib/sounds/../../etc/passwd', /may only use letters/, open)
    refused('playback /var/lib/other/x.wav', /must be under \/var\/lib\/sounds\//, open)
  })
})

describe('step grammar: what a bridge step dials', () => {
  const config = (hash: Record<string, string>): WebhookConfig => {
    const parsed = parseWebhookConfig('webhook:t', 't', { url: 'https://x.example/', ...hash }, DEFAULT_STEP_POLICY)
    if (parsed instanceof ConfigError) throw parsed
    return parsed
  }
  const channel = { callerIdName: 'Jan Jansen', callerIdNumber: '31612345678', destinationNumber: '31201234567' }

  it('an extension through DIAL_EXTENSION, a number through DIAL_E164, like a webhook destination', () => {
    const render = { dial: DIAL, presentation: undefined }
    assert.equal(stepArgument(accepted('bridge 200'), render), 'user/200@${domain_name}')
    assert.equal(stepArgument(accepted('bridge +31201234567'), render), 'sofia/gateway/default/+31201234567')
    assert.equal(stepArgument(accepted('bridge {leg_timeout=20}200'), render), '{leg_timeout=20}user/200@${domain_name}')
    assert.equal(stepArgument(accepted('bridge {leg_timeout=20}200'), { dial: { ...DIAL, dialExtension: '{ignore_early_media=true}user/{number}' }, presentation: undefined }), '{leg_timeout=20,ignore_early_media=true}user/200')
  })

  it('an anonymous caller stays anonymous on a list bridge: privacy flags, identity per target', () => {
    const presentation = presentationFor(config({ caller_id: 'suppressed', callername_mode: 'prepend', callername_text: 'VIP ' }), channel, 'ACME')
    const render = { dial: DIAL, presentation }
    assert.equal(
      stepArgument(accepted('bridge +31201234567'), render),
      '{origination_caller_id_name=VIP ACME,origination_caller_id_number=31612345678,origination_privacy=screen+hide_name+hide_number,sip_cid_type=pid,sip_from_display=Anonymous}sofia/gateway/default/+31201234567',
    )
    assert.equal(
      stepArgument(accepted('bridge {leg_timeout=20}200'), render),
      '{leg_timeout=20,origination_caller_id_name=Anonymous,origination_caller_id_number=anonymous,origination_privacy=screen+hide_name+hide_number,sip_cid_type=pid,sip_from_display=Anonymous}user/200@${domain_name}',
    )
    assert.equal(stepArgument(accepted('transfer 200 XML default'), render), '200 XML default')
  })
})

describe('value grammars', () => {
  it('every allowed variable has a value rule and a description', () => {
    for (const [name, rule] of Object.entries(STEP_VARIABLES)) {
      assert.equal(typeof rule.value, 'function', name)
      assert.ok(rule.describes.length > 0, name)
    }
    assert.equal(typeof variableRule('__proto__', new Set()), 'string')
    assert.equal(typeof variableRule('constructor', new Set()), 'string')
  })

  it('text refuses every character FreeSWITCH reads as syntax', () => {
    for (const char of ['\\', "'", '"', '^', '{', '}', '[', ']', '<', '>', '|', ';', '\n', '\0', '\u202E']) assert.ok(textProblem(`a${char}b`), JSON.stringify(char))
    assert.equal(textProblem('Doe, John @ ACME: 50% off (today) #1 +31'), undefined)
    assert.ok(textProblem('x'.repeat(257)))
  })

  it('sounds: names, tone and silence streams, say; nothing else', () => {
    const policy = { soundDirs: [] }
    for (const ok of ['ivr/ivr-welcome.wav', 'digits/1.wav', '8000/a.wav', 'tone_stream://%(100,100,350,440)', 'silence_stream://250', 'say:hello there']) assert.equal(soundValue(ok, policy), undefined, ok)
    for (const bad of ['', '.hidden', 'a/../b', 'a//b', 'a b.wav', '${x}', 'say:${x}', 'tone_stream://{a=b}%(1)', 'local_stream://moh', 'http_cache://http://x/a.wav']) assert.ok(soundValue(bad, policy), bad)
  })
})
