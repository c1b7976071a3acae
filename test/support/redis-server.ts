/**
 * A real redis-server process for tests, on a free port, in its own temporary
 * directory. Tests may kill it (SIGKILL) and start it again on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

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

export class RedisProcess {
  private child: ChildProcess | undefined
  private readonly dir: string

  private constructor(
    readonly port: number,
    private readonly extraArgs: readonly string[],
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'webhook-router-redis-'))
  }

  /** Starts redis-server and resolves once it accepts connections. */
  static async start(extraArgs: readonly string[] = [], port?: number): Promise<RedisProcess> {
    for (let tries = 0; ; tries++) {
      const instance = new RedisProcess(port ?? (await freePort()), extraArgs)
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
      child.once('exit', () => resolve())
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
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, ...this.extraArgs]
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    this.child = child
    return new Promise((resolve, reject) => {
      let output = ''
      const onData = (chunk: Buffer): void => {
        output += chunk.toString()
        if (output.includes('Ready to accept connections')) {
          child.stdout?.off('data', onData)
          child.stdout?.resume()
          resolve()
        }
      }
      child.stdout?.on('data', onData)
      child.stderr?.resume()
      child.once('error', (error) => reject(new Error(`cannot start redis-server (sudo apt-get install -y redis-server): ${error.message}`)))
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready: ${output.slice(-400)}`)))
    })
  }
}
