/**
 * `npm run demo`: the router at work without FreeSWITCH or Docker. Starts a
 * private redis-server (or uses REDIS_URL, under the prefix `webhook-demo:`),
 * the example webhook, the router and the FreeSWITCH simulator, places a few
 * sample calls and prints what happened to each and which variables were set.
 * `npm run demo -- --console` then leaves everything running with the console
 * (ADMIN_PORT, default 8080) and prints a sign-in token, until Ctrl-C.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { createApp } from '../src/app.ts'
import type { CallSummary } from '../src/call/flow.ts'
import { ConfigAdmin } from '../src/config/admin.ts'
import { loadSettings, SettingError } from '../src/config/env.ts'
import { connectRedis } from '../src/config/redis-connection.ts'
import { createConsole } from '../src/console/server.ts'
import { loadConsoleSettings } from '../src/console/settings.ts'
import { newToken } from '../src/console/tokens.ts'
import { auditFor } from '../src/records/audit.ts'
import { startWebhookServer } from '../examples/webhook-server/server.ts'
import { FreeSwitchSimulator, type SimCallOptions } from '../test/sim/simulator.ts'
import { RedisProcess } from '../test/support/redis-server.ts'
import { TEST_SWITCH } from '../test/support/test-switch.ts'

interface Scenario {
  readonly title: string
  readonly webhook: string
  readonly config: Record<string, string>
  readonly call: SimCallOptions
}

const SECRET = 'demo-shared-secret'

function scenarios(base: string): Scenario[] {
  return [
    {
      title: 'CRM name lookup',
      webhook: 'crm',
      config: { url: `${base}/crm?callerid={callerid}&did={did}`, secret: SECRET, callername_mode: 'webhook' },
      call: { callerIdNumber: '31612345678', callerIdName: 'Jan Jansen', destinationNumber: '31201234567' },
    },
    {
      title: 'PIN routing, one wrong try',
      webhook: 'pin',
      config: {
        url: `${base}/pin?code={code}`,
        secret: SECRET,
        ivr: 'yes',
        ivr_min_digits: '4',
        ivr_start_message: 'ivr/ivr-please_enter_pin_followed_by_pound.wav',
        ivr_error_message: 'ivr/ivr-that_was_an_invalid_entry.wav',
      },
      call: { callerIdNumber: '441632960999', callerIdName: 'Sam', destinationNumber: '31201234599', dtmf: ['1111#', '4242#'] },
    },
    {
      title: 'webhook down: fallback',
      webhook: 'down',
      config: { url: `${base}/down`, secret: SECRET, timeout_ms: '1000', on_failure: '["playback ivr/ivr-call_cannot_be_completed_as_dialed.wav", "transfer operator XML default"]' },
      call: { callerIdNumber: '31699999999', callerIdName: 'Kim', destinationNumber: '31201234500', dialplan: { operator: [['hangup', 'NORMAL_CLEARING']] } },
    },
    {
      title: 'suppressed caller ID',
      webhook: 'private',
      config: { url: `${base}/route?did={did}`, secret: SECRET, caller_id: 'suppressed' },
      call: { callerIdNumber: '31611112222', callerIdName: 'Lee', destinationNumber: '31201234567' },
    },
    {
      title: 'missed-call notification',
      webhook: 'missed',
      config: { url: `${base}/missed`, secret: SECRET, method: 'POST' },
      call: { callerIdNumber: '31633334444', callerIdName: 'Alex', destinationNumber: '31201234511', afterSocket: [['voicemail', 'default demo.example.com 1000']] },
    },
  ]
}

/** `GET /crm: ACK +31502102544 "ACME Corp"` or `GET /down: HTTP 503`. */
function describeAnswer(method: string, path: string, status: number, body: string): string {
  if (status !== 200) return `${method} ${path}: HTTP ${status}`
  const fields = new URLSearchParams(body)
  const name = fields.get('callername')
  return [`${method} ${path}:`, fields.get('status'), fields.get('destination'), name === null ? null : JSON.stringify(name)].filter((part) => part !== null).join(' ')
}

function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)))
  const line = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n')
}

async function main(): Promise<number> {
  let redisProcess: RedisProcess | undefined
  let redisUrl = process.env['REDIS_URL']
  if (!redisUrl) {
    if (spawnSync('redis-server', ['--version']).error) {
      process.stderr.write('The demo needs Redis: install redis-server (sudo apt-get install -y redis-server) or set REDIS_URL.\n')
      return 1
    }
    redisProcess = await RedisProcess.start()
    redisUrl = redisProcess.url
  }
  const requests: string[] = []
  const webhook = await startWebhookServer(0, '127.0.0.1', {
    secret: SECRET,
    onRequest: (entry) => requests.push(describeAnswer(entry.method, entry.path, entry.status, entry.answer)),
  })
  const settings = loadSettings({
    ESL_PORT: '0',
    REDIS_URL: redisUrl,
    REDIS_PREFIX: 'webhook-demo:',
    RECORDS_PREFIX: 'webhook-demo-records:',
    WEBHOOK_ALLOW_NETS: '127.0.0.0/8',
    HTTP_PORT: 'off',
    DIAL_E164: 'sofia/gateway/carrier/{number}',
    DIAL_EXTENSION: 'user/{number}@demo.example.com',
  })
  if (settings instanceof SettingError) throw settings
  const logFile = join(mkdtempSync(join(tmpdir(), 'webhook-router-demo-')), 'router.log')
  const logger = pino({ level: 'debug' }, pino.destination({ dest: logFile, sync: true }))
  const summaries = new Map<string, CallSummary>()
  const app = createApp({ settings, logger, onCallDone: (summary) => summaries.set(summary.uuid, summary) })
  const admin = connectRedis(settings.redis, { offlineQueue: true, maxReconnects: 2 })
  const configs = new ConfigAdmin(admin, settings.redisPrefix, settings.stepPolicy, auditFor(admin, settings.recordsPrefix, 'npm run demo'))
  const list = scenarios(`http://127.0.0.1:${webhook.port}`)
  for (const scenario of list) {
    await configs.replace(scenario.webhook, scenario.config)
  }
  const { esl } = await app.listen()
  const sim = new FreeSwitchSimulator({ host: '127.0.0.1', port: esl.port, timeScale: 0.05, ...TEST_SWITCH })

  const happened: string[][] = []
  const variables: string[][] = []
  for (const [index, scenario] of list.entries()) {
    const before = requests.length
    const call = sim.placeCall({ ...scenario.call, variables: { webhook: scenario.webhook } })
    const result = await call.done
    const summary = summaries.get(call.uuid)
    const bridge = call.bridges[0]
    const what = bridge
      ? `bridged: ${bridge.dialString.replace(/^\{[^}]*\}/, '')}${bridge.outcome === 'answered' ? '' : ` (${bridge.outcome})`}`
      : result.disposition === 'transferred'
        ? `fallback ran: ${call.executed.map((app) => app.app).join(', ')}`
        : result.disposition === 'handed-back' || call.dialplanApps.length > 0
          ? `handed back to the dialplan: ${call.dialplanApps.map(([app]) => app).join(', ')}`
          : result.disposition
    // A hidden identity: the callee's phone shows "Anonymous"; the real one travels only in P-Asserted-Identity, for the carrier.
    const hidden = bridge !== undefined && (bridge.callee.hideName || bridge.callee.hideNumber)
    const identity = bridge ? `${JSON.stringify(bridge.callee.callerIdName)} ${bridge.callee.callerIdNumber}` : '-'
    const seen = hidden ? '"Anonymous" anonymous' : identity
    const asserted = hidden ? `${identity} (P-Asserted-Identity, Privacy: id)` : '-'
    happened.push([String(index + 1), scenario.title, `${scenario.call.callerIdNumber} -> ${scenario.call.destinationNumber}`, requests.slice(before).join('; ') || '-', what, seen, asserted])
    const vars = (name: string): string => call.variable(name) ?? ''
    variables.push([
      String(index + 1),
      vars('webhook_result'),
      vars('webhook_reason'),
      vars('webhook_status'),
      vars('webhook_destination'),
      vars('webhook_callername'),
      vars('webhook_code'),
      vars('webhook_http_status'),
      vars('webhook_attempts'),
      summary ? `${summary.durationMs} ms` : '',
    ])
  }
  process.stdout.write(`\n${table(['#', 'scenario', 'caller -> DID', 'webhook requests', 'what happened', 'the callee saw', 'only the carrier saw'], happened)}\n\n`)
  process.stdout.write(`Variables set on each call (for the dialplan and CDRs):\n${table(['#', 'result', 'reason', 'status', 'destination', 'callername', 'code', 'http', 'attempts', 'router time'], variables)}\n\n`)
  process.stdout.write(`Router log (JSON lines): ${logFile}\nWebhook configs are in Redis under webhook-demo:* (${redisProcess ? 'a private redis-server, gone after the demo' : redisUrl}).\n`)

  const withConsole = process.argv.includes('--console')
  if (!withConsole) {
    process.stdout.write('The console (webhook screen, recent calls, alerts, audit trail): `npm run demo -- --console` keeps all this running with it.\n')
  } else {
    await app.recorder?.writer.flush()
    const { token, entry } = newToken('admin', '')
    const consoleSettings = loadConsoleSettings({ ...process.env, REDIS_URL: redisUrl, REDIS_PREFIX: 'webhook-demo:', RECORDS_PREFIX: 'webhook-demo-records:', WEBHOOK_ALLOW_NETS: '127.0.0.0/8', ESL_PORT: String(esl.port), ADMIN_TOKENS: entry, DIAL_E164: settings.dialE164, DIAL_EXTENSION: settings.dialExtension }, [])
    if (consoleSettings instanceof SettingError) throw consoleSettings
    const server = await createConsole({ settings: consoleSettings, logger })
    const address = await server.listen()
    process.stdout.write(`\nThe console is running: http://${address.address}:${address.port}/\nSign in with this token: ${token}\nThe router keeps running too (Event Socket on 127.0.0.1:${esl.port}). Ctrl-C stops everything.\n`)
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve())
      process.once('SIGTERM', () => resolve())
    })
    await server.close()
  }

  await sim.close()
  await app.close()
  admin.disconnect()
  await webhook.close()
  await redisProcess?.stop()
  return 0
}

process.exitCode = await main()
