/**
 * A real redis-server process for tests, on a free port, in its own temporary
 * directory. Tests may kill it (SIGKILL) and start it again on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RedisTarget } from '../../src/config/env.ts'
import { connectRedis, type RedisClient } from '../../src/config/redis-connection.ts'
import { exitOnSignal } from './exit-on-signal.ts'

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** How long redis-server may take to say it is ready (generous: a loaded 2-core machine). */
const LAUNCH_DEADLINE_MS = 20_000

exitOnSignal()
/** Every redis-server this process started, killed when it exits however the test ended. */
const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

export class RedisProcess {
  private child: ChildProcess | undefined
  private readonly dir: string

  private constructor(
    readonly port: number,
    private readonly args: (dir: string, port: number) => string[],
    private readonly readyMarker: string,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'webhook-router-redis-'))
  }

  /** Starts redis-server and resolves once it accepts connections. */
  static async start(extraArgs: readonly string[] = [], port?: number): Promise<RedisProcess> {
    const args = (dir: string, chosen: number): string[] => [
      '--port',
      String(chosen),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      ...extraArgs,
    ]
    return RedisProcess.launchNew(args, 'Ready to accept connections', port)
  }

  /** Starts a Sentinel (`redis-server --sentinel`) monitoring the master on `masterPort` as `name`, quorum 1. */
  static async startSentinel(masterPort: number, name = 'mymaster', downAfterMs = 1000): Promise<RedisProcess> {
    const args = (dir: string, chosen: number): string[] => {
      const file = join(dir, 'sentinel.conf')
      writeFileSync(
        file,
        [
          `port ${chosen}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`,
          `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
          `sentinel failover-timeout ${name} 10000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      )
      return [file, '--sentinel']
    }
    return RedisProcess.launchNew(args, '+monitor master', undefined)
  }

  private static async launchNew(args: (dir: string, port: number) => string[], readyMarker: string, port: number | undefined): Promise<RedisProcess> {
    for (let tries = 0; ; tries++) {
      const instance = new RedisProcess(port ?? (await freePort()), args, readyMarker)
      try {
        await instance.launch()
        return instance
      } catch (error) {
        instance.cleanup()
        if (port !== undefined || tries >= 5) throw error
      }
    }
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
  }

  /** Starts the server again on the same port (after `kill`). */
  async restart(): Promise<void> {
    if (this.running) return
    await this.launch()
  }

  /** Kills the process (SIGKILL by default) and waits for it to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child
    if (!child || !this.running) return
    await new Promise<void>((resolve) => {
      // 'close' comes after 'exit' once its pipes are closed too: nothing of it is left.
      child.once('close', () => resolve())
      child.kill(signal)
    })
  }

  async stop(): Promise<void> {
    await this.kill('SIGKILL')
    this.cleanup()
  }

  private cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true })
  }

  private launch(): Promise<void> {
    const child = spawn('redis-server', this.args(this.dir, this.port), { stdio: ['ignore', 'pipe', 'pipe'] })
    this.child = child
    running.add(child)
    child.once('exit', () => running.delete(child))
    return new Promise((resolve, reject) => {
      let output = ''
      const onData = (chunk: Buffer): void => {
        output += chunk.toString()
        // Case-insensitive: without a TCP port, redis-server says "The server is now ready to accept connections at PATH".
        if (output.toLowerCase().includes(this.readyMarker.toLowerCase())) {
          clearTimeout(deadline)
          child.stdout?.off('data', onData)
          child.stdout?.resume()
          resolve()
        }
      }
      // A server that never says it is ready fails the test that started it, naming why.
      const deadline = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`redis-server did not say "${this.readyMarker}" within ${LAUNCH_DEADLINE_MS} ms: ${output.slice(-400)}`))
      }, LAUNCH_DEADLINE_MS)
      child.stdout?.on('data', onData)
      child.stderr?.resume()
      child.once('error', (error) => {
        clearTimeout(deadline)
        reject(new Error(`cannot start redis-server (sudo apt-get install -y redis-server): ${error.message}`))
      })
      child.once('exit', () => clearTimeout(deadline))
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready: ${output.slice(-400)}`)))
    })
  }
}

/** Commands a Redis server has run, by name, from `INFO commandstats`. */
export async function commandStats(client: { info(section: string): Promise<string> }): Promise<Map<string, number>> {
  const stats = new Map<string, number>()
  for (const match of (await client.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    stats.set(match[1] as string, Number(match[2]))
  }
  return stats
}

/** A client for test code (the operator's side), queueing commands while disconnected; its errors are expected. */
export function testClient(target: RedisTarget): RedisClient {
  const client = connectRedis(target, { offlineQueue: true, connectionName: 'test' })
  client.on('error', () => {})
  return client
}
