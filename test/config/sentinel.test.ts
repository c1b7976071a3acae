/**
 * Redis Sentinel (one master, one replica, one sentinel, all real
 * redis-server processes): the master dies under a stream of calls; no call
 * fails, and edits made on the promoted replica apply.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { until, untilAsync } from '../support/esl-harness.ts'
import { RedisProcess, testClient } from '../support/redis-server.ts'
import { RouterHarness } from '../support/router-harness.ts'

describe('Redis Sentinel', () => {
  it('kill the master under a stream of calls: no call fails, edits on the new master apply', async () => {
    const master = await RedisProcess.start()
    const replica = await RedisProcess.start(['--replicaof', '127.0.0.1', String(master.port)])
    const sentinel = await RedisProcess.startSentinel(master.port)
    const sentinels = `127.0.0.1:${sentinel.port}`
    const sentinelAdmin = testClient({ kind: 'sentinel', sentinels: [{ host: '127.0.0.1', port: sentinel.port }], name: 'mymaster', url: undefined })
    const replicaClient = testClient({ kind: 'url', url: replica.url })
    const sentinelClient = testClient({ kind: 'url', url: sentinel.url })
    let h: RouterHarness | undefined
    try {
      await untilAsync(async () => /master_link_status:up/.test(await replicaClient.info('replication')))
      await untilAsync(async () => JSON.stringify(await sentinelClient.call('SENTINEL', 'REPLICAS', 'mymaster')).includes(String(replica.port)))

      h = await RouterHarness.start({ redis: master, env: { REDIS_SENTINELS: sentinels, REDIS_SENTINEL_NAME: 'mymaster' } })
      const router = h
      const store = router.app.store
      assert.ok(store)
      await sentinelAdmin.hset('webhook:ha', { url: router.webhook.url('/primary') })
      router.webhook.reply({ body: 'status=ACK' })
      assert.equal((await router.call({ variables: { webhook: 'ha' } })).summary.outcome.reason, 'ok')

      let stop = false
      let completed = 0
      const failed: string[] = []
      const stream = (async () => {
        while (!stop) {
          const { summary } = await router.call({ variables: { webhook: 'ha' } })
          if (summary.outcome.reason !== 'ok') failed.push(summary.outcome.reason)
          completed++
        }
      })()

      await master.kill()
      await untilAsync(async () => {
        const address = (await sentinelClient.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')) as string[]
        return address[1] === String(replica.port)
      })
      await until(() => store.tracking, 30_000)
      const edited = performance.now()
      await sentinelAdmin.hset('webhook:ha', 'url', router.webhook.url('/after-failover'))
      for (;;) {
        const lookup = await store.lookup('ha')
        if (lookup.kind === 'found' && lookup.config.url.source.endsWith('/after-failover')) break
        await new Promise((resolve) => setImmediate(resolve))
      }
      console.log(`failover: ${completed} calls during it, edit applied ${(performance.now() - edited).toFixed(1)} ms after the HSET`)
      stop = true
      await stream
      assert.deepEqual(failed, [], 'no call failed during the failover')
      assert.ok(completed > 0)
      await router.call({ variables: { webhook: 'ha' } })
      assert.equal(router.webhook.requests.at(-1)?.url, '/after-failover')
    } finally {
      await h?.close()
      sentinelAdmin.disconnect()
      replicaClient.disconnect()
      sentinelClient.disconnect()
      await sentinel.stop()
      await replica.stop()
      await master.stop()
    }
  })
})
