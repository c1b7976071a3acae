/**
 * The benchmark's peer: the same no-IVR flow written the way a modesl user
 * typically writes it (modesl's outbound Server with `myevents`, then one
 * `execute` after another, each awaited): ask the webhook (undici, keep-alive,
 * as the router does), set the caller name and number, bridge. No config
 * store, no validation, no logging: a lower bound for a modesl controller.
 *
 *   PORT=8086 WEBHOOK_URL='http://127.0.0.1:9000/route?uuid={uuid}' DIAL='sofia/gateway/default/{number}' node dist/bench/peers/modesl-peer.js
 */
import esl from 'modesl'
import { Agent, request } from 'undici'

const port = Number(process.env['PORT'] ?? 8086)
const webhookUrl = process.env['WEBHOOK_URL'] ?? 'http://127.0.0.1:9000/route?uuid={uuid}'
const dial = process.env['DIAL'] ?? 'sofia/gateway/default/{number}'
const agent = new Agent({ keepAliveTimeout: 30_000 })

const server = new esl.Server({ host: '127.0.0.1', port, myevents: true }, () => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port })}\n`)
})

server.on('connection::open', (...args: unknown[]) => (args[0] as { on(event: string, listener: () => void): void }).on('error', () => {}))
server.on('connection::ready', (connection) => {
  void (async () => {
    const info = connection.getInfo()
    const uuid = info.getHeader('Unique-ID') ?? ''
    const name = info.getHeader('Caller-Caller-ID-Name') ?? ''
    const number = info.getHeader('Caller-Caller-ID-Number') ?? ''
    const response = await request(webhookUrl.replace('{uuid}', encodeURIComponent(uuid)), { dispatcher: agent, signal: AbortSignal.timeout(3000) })
    const answer = new URLSearchParams(await response.body.text())
    const destination = answer.get('destination')
    if (answer.get('status') !== 'ACK' || !destination) {
      connection.disconnect()
      return
    }
    const shownName = answer.get('callername') ?? name
    const variables = `^^;effective_caller_id_name=${shownName};effective_caller_id_number=${number};continue_on_fail=true;hangup_after_bridge=true`
    connection.execute('multiset', variables, () => {
      connection.execute('bridge', dial.replace('{number}', destination), () => connection.disconnect())
    })
  })().catch(() => connection.disconnect())
})
server.on('error', () => {})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
