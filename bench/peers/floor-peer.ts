/**
 * The benchmark's floor: the least a Node.js outbound controller can do for
 * the same no-IVR flow, with no Event Socket library, no framing, no config,
 * no checks and no logging. It writes `connect`, reads the Unique-ID from the
 * reply with a regular expression, pipelines `linger` and `myevents json`,
 * asks the webhook (undici, keep-alive), pipelines the variables and the
 * bridge, and closes the socket when the linger disconnect notice shows up in
 * the stream. Its CPU time per call is what Node.js, the kernel and undici
 * cost on this machine before any product logic: the router cannot go below it.
 *
 *   PORT=8087 WEBHOOK_URL='http://127.0.0.1:9000/route?uuid={uuid}' DIAL='sofia/gateway/default/{number}' node dist/bench/peers/floor-peer.js
 */
import { createServer, type Socket } from 'node:net'
import { Agent, request } from 'undici'

const port = Number(process.env['PORT'] ?? 8087)
const webhookUrl = process.env['WEBHOOK_URL'] ?? 'http://127.0.0.1:9000/route?uuid={uuid}'
const dial = process.env['DIAL'] ?? 'sofia/gateway/default/{number}'
const agent = new Agent({ keepAliveTimeout: 30_000 })

function sendmsg(app: string, arg: string): string {
  return `sendmsg\ncall-command: execute\nexecute-app-name: ${app}\nevent-lock: true\ncontent-type: text/plain\ncontent-length: ${Buffer.byteLength(arg)}\n\n${arg}`
}

async function route(socket: Socket, uuid: string): Promise<void> {
  const response = await request(webhookUrl.replace('{uuid}', encodeURIComponent(uuid)), { dispatcher: agent })
  const answer = new URLSearchParams(await response.body.text())
  const destination = answer.get('destination')
  if (answer.get('status') !== 'ACK' || !destination) {
    socket.end('exit\n\n')
    return
  }
  const variables = `^^;effective_caller_id_name=${answer.get('callername') ?? ''};continue_on_fail=true;hangup_after_bridge=true`
  socket.write(sendmsg('multiset', variables) + sendmsg('bridge', dial.replace('{number}', destination)))
}

const server = createServer((socket) => {
  let seen = ''
  let uuid: string | undefined
  socket.on('error', () => {})
  socket.on('data', (chunk: Buffer) => {
    // The whole connect reply until the Unique-ID is found; after it only the last bytes, enough for a marker split across two reads.
    seen = (uuid === undefined ? seen : seen.slice(-64)) + chunk.toString('latin1')
    if (uuid === undefined) {
      const match = /\nUnique-ID: ([^\n]+)\n/.exec(seen)
      if (match === null) return
      uuid = match[1] as string
      socket.write('linger\n\nmyevents json\n\n')
      route(socket, uuid).catch(() => socket.destroy())
    } else if (seen.includes('Content-Disposition: linger')) socket.end()
  })
  socket.write('connect\n\n')
})
server.listen(port, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ msg: 'listening', port })}\n`))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
