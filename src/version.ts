/** The package version, read once from package.json (dist/src/version.js -> ../../package.json). */
import { readFileSync } from 'node:fs'

function readVersion(): string {
  try {
    const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown }
    return typeof packageJson.version === 'string' ? packageJson.version : '0.0.0'
  } catch {
    return '0.0.0'
  }
}

export const VERSION = readVersion()
export const USER_AGENT = `freeswitch-webhook-router/${VERSION}`
