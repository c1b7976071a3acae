/** The part of modesl (CommonJS, untyped) the benchmark's peer controller uses. */
declare module 'modesl' {
  interface EslEvent {
    getHeader(name: string): string | null
  }
  interface Connection {
    getInfo(): EslEvent
    execute(app: string, arg: string, callback: (event: EslEvent) => void): string
    disconnect(): void
    on(event: string, listener: (...args: unknown[]) => void): void
  }
  class Server {
    constructor(options: { host?: string; port: number; myevents?: boolean }, ready?: () => void)
    on(event: 'connection::ready', listener: (connection: Connection, id: string) => void): void
    on(event: string, listener: (...args: unknown[]) => void): void
    close(callback?: () => void): void
  }
  const esl: { Server: typeof Server }
  export default esl
}
