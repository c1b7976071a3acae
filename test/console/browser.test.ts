/**
 * The console in a real headless Chromium, as a person uses it: sign in,
 * create a webhook through the form, see a refused step's reason, turn the
 * IVR on, place a call and find it, see an alert and the audit trail, switch
 * to Dutch, sign out. XSS payloads in every writable field stay text; a
 * tenant cannot reach another tenant's pages. With SCREENSHOTS=1 the main
 * pages are saved to docs/screenshots.
 */
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { BrowserContext, Page } from 'playwright-core'
import { launchBrowser, type TestBrowser } from '../support/browser.ts'
import { ConsoleHarness } from '../support/console-harness.ts'

const SHOTS = process.env['SCREENSHOTS'] === '1' ? join(import.meta.dirname, '..', '..', '..', 'docs', 'screenshots') : undefined
/** Markup that would run or show up as elements if any page inserted it unescaped. */
const XSS = '"><svg/onload=window.__xss=1><img/src=x/onerror=window.__xss=2>'

async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return
  mkdirSync(SHOTS, { recursive: true })
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
}

/** Fails when the page holds an element or a script effect the payload would have made. */
async function assertInert(page: Page, where: string): Promise<void> {
  assert.equal(await page.locator('svg[onload], img[onerror]').count(), 0, `${where}: the payload became markup`)
  assert.equal(await page.evaluate('window.__xss'), undefined, `${where}: the payload ran`)
}

describe('the console in a browser', () => {
  let h: ConsoleHarness
  let chromium: TestBrowser
  let context: BrowserContext
  let page: Page
  const errors: string[] = []
  before(async () => {
    ;[h, chromium] = await Promise.all([ConsoleHarness.start({ env: { LOG_LEVEL: 'silent' } }), launchBrowser()])
    context = await chromium.newContext()
    page = await context.newPage()
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().includes('favicon')) errors.push(message.text())
    })
  })
  after(async () => {
    await chromium?.close()
    await h?.close()
  })
  const url = (path: string): string => `${h.url}${path}`

  it('signs in with a token using the keyboard; the session cookie is HttpOnly and SameSite=Strict; a strict CSP', async () => {
    const response = await page.goto(url('/webhooks'))
    assert.match(page.url(), /\/login$/)
    const csp = response?.headers()['content-security-policy'] ?? ''
    assert.match(csp, /script-src 'self'/)
    assert.ok(!csp.includes('unsafe-inline'))
    await shot(page, 'login')
    await page.getByLabel('Access token').focus()
    await page.keyboard.type('wrt_wrongwrongwrongwrongwrongwrong')
    await page.keyboard.press('Enter')
    await page.getByText('That token is not valid.').waitFor()
    await page.getByLabel('Access token').fill(h.tokens.admin)
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/webhooks$/)
    const session = (await context.cookies()).find((cookie) => cookie.name === 'wr_session')
    assert.ok(session)
    assert.deepEqual([session.httpOnly, session.sameSite], [true, 'Strict'])
  })

  it('refuses a step with its reason beside the row and writes nothing; then creates the webhook', async () => {
    await page.goto(url('/webhooks/new'))
    await page.getByLabel('Name', { exact: true }).fill('crm')
    await page.getByLabel('Description').fill('CRM lookup')
    await page.getByLabel('URL template').fill(`${h.router.webhook.url('/crm')}?callerid={callerid}&did={did}`)
    assert.equal(await page.locator('#url-preview').textContent(), `${h.router.webhook.url('/crm')}?callerid=31612345678&did=31201234567`, 'live preview')
    await page.getByLabel('Suppressed', { exact: false }).check()
    await page.locator('#on_failure-0').fill('transfer 200 XML evil')
    await page.locator('#on_failure-1').fill('playback ivr/ivr-call_cannot_be_completed_as_dialed.wav')
    await page.getByRole('button', { name: 'Save' }).click()
    const reason = page.locator('[data-step-problem="on_failure-0"]')
    await reason.waitFor()
    assert.match((await reason.textContent()) ?? '', /context "evil" is not allowed/)
    assert.equal(await page.locator('[data-step-problem="on_failure-1"]').count(), 0, 'the good row has no reason')
    assert.equal(await h.router.admin.exists('webhook:crm'), 0, 'nothing written')
    await shot(page, 'refused-step')
    await page.locator('#on_failure-0').fill('transfer 200 XML default')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.waitForURL(/\/webhooks\/crm\?done=created$/)
    assert.deepEqual(await h.router.admin.hgetall('webhook:crm'), {
      url: `${h.router.webhook.url('/crm')}?callerid={callerid}&did={did}`,
      description: 'CRM lookup',
      caller_id: 'suppressed',
      callername_mode: 'webhook',
      method: 'GET',
      on_failure: '["transfer 200 XML default","playback ivr/ivr-call_cannot_be_completed_as_dialed.wav"]',
    })
    assert.match((await page.locator('#dialplan').textContent()) ?? '', /<action application="set" data="webhook=crm"\/>\s+<action application="socket" data="127\.0\.0\.1:\d+ async full"\/>/)
  })

  it('"Use the IVR" reveals the IVR fields, which save', async () => {
    assert.equal(await page.locator('#ivr-fields').isVisible(), false)
    await page.getByLabel('Use the IVR').check()
    assert.equal(await page.locator('#ivr-fields').isVisible(), true)
    await page.getByLabel('Attempts').fill('2')
    await shot(page, 'webhook-form')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.waitForURL(/done=saved$/)
    assert.deepEqual([await h.router.admin.hget('webhook:crm', 'ivr'), await h.router.admin.hget('webhook:crm', 'ivr_attempts')], ['yes', '2'])
    await page.getByLabel('Use the IVR').uncheck()
    await page.getByRole('button', { name: 'Save' }).click()
    await page.waitForURL(/done=saved$/)
    assert.equal(await h.router.admin.hget('webhook:crm', 'ivr'), null)
  })

  it('"Test this webhook" shows the request, the answer and the decision', async () => {
    h.router.webhook.reply({ body: 'status=ACK&destination=%2B31502102544&callername=ACME' })
    await page.getByRole('button', { name: 'Run the test' }).click()
    await page.locator('#test-result').waitFor()
    assert.match((await page.locator('#test-request').textContent()) ?? '', /GET http:\/\/127\.0\.0\.1:\d+\/crm\?callerid=<11>&did=<11>/)
    assert.match((await page.locator('#test-answer').textContent()) ?? '', /HTTP 200, \d+ ms: status=ACK destination="\+31502102544"/)
    assert.match((await page.locator('#test-decision').textContent()) ?? '', /bridge \{origination_privacy=screen\+hide_name\+hide_number,sip_cid_type=pid,sip_from_display=Anonymous\}sofia\/gateway\/default\/\+31502102544/)
    await shot(page, 'test-result')
  })

  it('a simulated call shows in recent calls and in its detail; a failing webhook shows as an alert', async () => {
    h.router.webhook.reply({ body: 'status=ACK&destination=%2B31502102544&callername=ACME' })
    const ok = await h.router.call({ variables: { webhook: 'crm' }, callerIdNumber: '31612345678', destinationNumber: '31201234567', callerIdName: 'Jan' })
    h.router.webhook.reply({ status: 503, body: 'down' })
    const failed = await h.router.call({ variables: { webhook: 'crm' }, callerIdNumber: '31687654321', destinationNumber: '31201234567' })
    await h.flushRecords()
    await page.goto(url('/calls'))
    const row = page.locator(`tr[data-uuid="${ok.summary.uuid}"]`)
    assert.match((await row.textContent()) ?? '', /crm\s*31201234567\s*31612345678\s*success\s*ok\s*200/)
    assert.equal(await page.locator(`tr[data-uuid="${failed.summary.uuid}"]`).count(), 1)
    await shot(page, 'calls')
    await row.getByRole('link').click()
    await page.locator('#call-requests').waitFor()
    assert.match((await page.locator('#call-requests').textContent()) ?? '', /GET http:\/\/127\.0\.0\.1:\d+\/crm\?callerid=<11>&did=<11>[\s\S]*HTTP 200/)
    assert.match((await page.locator('#call-timeline').textContent()) ?? '', /call arrived[\s\S]*webhook request: ACK[\s\S]*call left the router: success \(ok\), bridged/)
    await shot(page, 'call-detail')
    await page.getByRole('link', { name: 'Alerts' }).click()
    assert.match((await page.locator('#alerts').textContent()) ?? '', /crm\s*webhook failures: http_error\s*1\s*HTTP 503/)
    await shot(page, 'alerts')
    await page.getByRole('link', { name: 'Webhooks' }).click()
    assert.match((await page.locator('tr[data-webhook="crm"]').textContent()) ?? '', /CRM lookup[\s\S]*\/crm\?callerid=\{callerid\}&did=\{did\}[\s\S]*valid[\s\S]*failure \(http_error\)/)
    await shot(page, 'webhooks')
  })

  it('the audit trail shows console changes and edits made in Redis as "changed outside the console"; Dutch by a switch', async () => {
    await h.console.watcher.settled()
    await h.router.admin.hset('webhook:crm', 'description', 'edited in redis-cli')
    await h.console.watcher.settled()
    const deadline = Date.now() + 5000
    for (;;) {
      await page.goto(url('/audit?webhook=crm'))
      if ((await page.locator('tr.outside').count()) > 0 || Date.now() > deadline) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    assert.match((await page.locator('tr.outside').first().textContent()) ?? '', /changed outside the console[\s\S]*description: CRM lookup → edited in redis-cli/)
    assert.match((await page.locator('#audit').textContent()) ?? '', /console: token [0-9a-f]{8} \(admin\)\s*created/)
    await shot(page, 'audit')
    await page.getByRole('link', { name: 'Nederlands' }).click()
    await page.waitForURL(/\/audit\?webhook=crm$/)
    assert.equal(await page.locator('h1').textContent(), 'Wijzigingslog: crm')
    assert.equal(await page.locator('html').getAttribute('lang'), 'nl')
    await page.getByRole('link', { name: 'English' }).click()
  })

  it('XSS payloads in every writable field stay text on every page', async () => {
    const fields = { description: XSS, callername_text: XSS, url: `${h.router.webhook.url('/x')}?q=${XSS}`, destinations: XSS, callername_mode: 'prepend', on_success: JSON.stringify([`log INFO ${XSS}`]) }
    await h.router.admin.del('webhook:xss')
    await h.router.admin.hset('webhook:xss', fields)
    await h.router.admin.hset('webhook:broken', { url: h.router.webhook.url('/b'), caller_id: XSS })
    h.router.webhook.reply({ body: `status=ACK&callername=${encodeURIComponent(XSS)}&destination=${encodeURIComponent(XSS)}` })
    const call = await h.router.call({ variables: { webhook: 'xss' }, callerIdName: XSS, callerIdNumber: '<b>1</b>', destinationNumber: '<i>2</i>' })
    await h.flushRecords()
    await h.console.watcher.settled()
    for (const path of ['/webhooks', '/webhooks/xss', '/webhooks/broken', '/calls', `/calls/${call.summary.uuid}?webhook=xss`, '/alerts', '/audit']) {
      await page.goto(url(path))
      await assertInert(page, path)
    }
    await page.goto(url('/webhooks/xss'))
    assert.equal(await page.getByLabel('Description').inputValue(), XSS, 'shown as the text it is')
    assert.equal(await page.locator('#on_success-0').inputValue(), `log INFO ${XSS}`)
    await page.goto(url(`/calls/${call.summary.uuid}?webhook=xss`))
    assert.ok(((await page.locator('#call-facts').textContent()) ?? '').includes(XSS), 'the caller name as text')
    // A refused form echoes the payload back: still text.
    await page.goto(url('/webhooks/xss'))
    await page.getByLabel('Caller name text').fill(XSS.repeat(2))
    await page.locator('#on_success-1').fill(XSS)
    await page.getByRole('button', { name: 'Save' }).click()
    await page.locator('#refused').waitFor()
    await assertInert(page, 'refused form')
    assert.ok(((await page.locator('[data-step-problem="on_success-1"]').textContent()) ?? '').length > 0)
    assert.deepEqual(errors.filter((error) => !/status of 4\d\d/.test(error)), [], 'no script errors')
  })

  it("a tenant's token reaches only its own webhooks' pages", async () => {
    await h.router.admin.hset('webhook:acme-line', { url: h.router.webhook.url('/acme') })
    const tenant = await chromium.newContext()
    try {
      const tab = await tenant.newPage()
      await tab.goto(url('/login'))
      await tab.getByLabel('Access token').fill(h.tokens.acme)
      await tab.getByRole('button', { name: 'Sign in' }).click()
      await tab.waitForURL(/\/webhooks$/)
      assert.deepEqual(await tab.locator('tr[data-webhook]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-webhook'))), ['acme-line'])
      for (const path of ['/webhooks/crm', '/calls?webhook=crm', '/alerts?webhook=crm', '/audit?webhook=crm', '/webhooks/nothing-here']) {
        const response = await tab.goto(url(path))
        assert.equal(response?.status(), 404, path)
      }
      await tab.goto(url('/calls'))
      assert.equal(await tab.locator('tr[data-uuid]').count(), 0, 'no other tenant in recent calls')
      await tab.goto(url('/alerts'))
      assert.ok(!((await tab.locator('main').textContent()) ?? '').includes('crm'))
    } finally {
      await tenant.close()
    }
  })

  it('a form posted without its CSRF token is refused, even with the session cookie', async () => {
    const forged = await page.request.post(url('/webhooks/crm/delete'), { form: { confirm: 'yes' }, maxRedirects: 0 })
    assert.equal(forged.status(), 403)
    assert.equal(await h.router.admin.exists('webhook:crm'), 1, 'nothing deleted')
    const forgedSave = await page.request.post(url('/webhooks/crm'), { form: { url: h.router.webhook.url('/evil') }, maxRedirects: 0 })
    assert.equal(forgedSave.status(), 403)
    assert.notEqual(await h.router.admin.hget('webhook:crm', 'url'), h.router.webhook.url('/evil'))
  })

  it('signs out: the session ends', async () => {
    await page.goto(url('/webhooks'))
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL(/\/login\?done=signedout$/)
    await page.goto(url('/webhooks'))
    assert.match(page.url(), /\/login$/)
  })
})
