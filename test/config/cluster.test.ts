/**
 * Redis Cluster (three masters, real redis-server processes): configs spread
 * over the masters' slots are cached, every master pushes invalidations for
 * its own keys, and the steady state makes no Redis command.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { untilAsync } from '../support/esl-harness.ts'
import { commandStats, RedisProcess, testClient } from '../support/redis-server.ts'
import { RouterHarness } from '../support/router-harness.ts'

describe('Redis Cluster', () => {
  it('caches configs from every master and applies edits on any of them', async () => {
    const nodes = await Promise.all([0, 1, 2].map(() => RedisProcess.start(['--cluster-enabled', 'yes', '--cluster-node-timeout', '2000'])))
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`)
    const nodeClients = nodes.map((node) => testClient({ kind: 'url', url: node.url }))
    let h: RouterHarness | undefined
    const admin = testClient({ kind: 'cluster', nodes: nodes.map((node) => ({ host: '127.0.0.1', port: node.port })), url: undefined })
    try {
      const created = spawnSync('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-yes'], { encoding: 'utf8' })
      assert.equal(created.status, 0, created.stdout + created.stderr)
      for (const client of nodeClients) await untilAsync(async () => /cluster_state:ok/.test(String(await client.call('CLUSTER', 'INFO'))))

      h = await RouterHarness.start({ redis: nodes[0] as RedisProcess, env: { REDIS_CLUSTER: addresses.join(',') } })
      const router = h
      const store = router.app.store
      assert.ok(store?.tracking, 'armed on every master')
      // Enough names that every master holds some.
      const names = Array.from({ length: 12 }, (_, i) => `c${i}`)
      for (const name of names) await admin.hset(`webhook:${name}`, { url: router.webhook.url(`/${name}/v1`) })
      router.webhook.reply({ body: 'status=ACK' })
      for (const name of names) assert.equal((await router.call({ variables: { webhook: name } })).summary.outcome.reason, 'ok', JSON.stringify(router.logs.find('no usable webhook config').at(-1)))

      await router.app.recorder?.writer.flush()
      const before = await Promise.all(nodeClients.map((client) => commandStats(client)))
      for (let round = 0; round < 5; round++) for (const name of names) await router.call({ variables: { webhook: name } })
      await router.app.recorder?.writer.flush()
      const after = await Promise.all(nodeClients.map((client) => commandStats(client)))
      // Call records (src/records) are the only commands, off the call's path, each on its own key's node.
      const records = new Map<string, number>()
      after.forEach((stats, index) => {
        for (const [command, count] of stats) {
          const ran = count - (before[index]?.get(command) ?? 0)
          if (command === 'info' || ran === 0) continue
          if (['xadd', 'pexpire', 'zadd'].includes(command)) records.set(command, (records.get(command) ?? 0) + ran)
          else assert.equal(ran, 0, `node ${index} ran ${command}`)
        }
      })
      const calls = 5 * names.length
      assert.deepEqual(Object.fromEntries(records), { xadd: 2 * calls, pexpire: calls, zadd: calls }, 'one record per call, in its webhook stream and the overall one')

      for (const name of names) {
        await admin.hset(`webhook:${name}`, 'url', router.webhook.url(`/${name}/v2`))
        await untilAsync(async () => {
          const lookup = await store.lookup(name)
          return lookup.kind === 'found' && lookup.config.url.source.endsWith('/v2')
        })
      }
    } finally {
      admin.disconnect()
      await h?.close()
      for (const client of nodeClients) client.disconnect()
      await Promise.all(nodes.map((node) => node.stop()))
    }
  })
})
