/**
 * A real headless Chromium (Debian's `chromium` package) driven by
 * playwright-core, for the console's browser tests: one browser per test
 * file, a fresh profile (playwright makes one per launch), and the switches that keep Chromium from reaching
 * for the network it does not have here.
 */
import { existsSync } from 'node:fs'
import { chromium, type Browser, type BrowserContext } from 'playwright-core'

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'

export interface TestBrowser {
  readonly browser: Browser
  newContext(): Promise<BrowserContext>
  close(): Promise<void>
}

export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (sudo apt-get install -y chromium)`)
  // playwright-core gives every launch a fresh temporary profile (--user-data-dir) and removes it on close.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  return {
    browser,
    newContext: async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
      context.setDefaultTimeout(10_000)
      return context
    },
    close: async () => {
      await browser.close()
    },
  }
}
