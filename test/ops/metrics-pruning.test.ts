/** /metrics per-webhook series follow the configs: a deleted webhook's series go (issue item 12). */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { RouterHarness } from '../support/router-harness.ts'

describe('per-webhook metric series', () => {
  let h: RouterHarness
  before(async () => {
    h = await RouterHarness.start()
  })
  after(async () => h.close())

  const metrics = async (): Promise<string> => (await fetch(`${h.opsUrl}/metrics`)).text()

  it('a deleted webhook loses its series; the others keep theirs', async () => {
    await h.configure('gone', { url: h.webhook.url('/gone') })
    await h.configure('kept', { url: h.webhook.url('/kept') })
    h.webhook.reply({ body: 'status=NAK' })
    await h.call({ variables: { webhook: 'gone' } })
    await h.call({ variables: { webhook: 'kept' } })
    const before = await metrics()
    assert.match(before, /webhook_router_webhook_requests_total\{webhook="gone",outcome="ok"\} 1/)
    assert.match(before, /webhook_router_webhook_latency_seconds_count\{webhook="gone"\} 1/)

    const removed = h.logs.next('webhook config removed', (line) => line['key'] === 'webhook:gone')
    await h.admin.del('webhook:gone')
    await removed
    const after = await metrics()
    assert.ok(!after.includes('webhook="gone"'), 'no series of the deleted webhook')
    assert.match(after, /webhook_router_webhook_requests_total\{webhook="kept",outcome="ok"\} 1/)
  })
})
