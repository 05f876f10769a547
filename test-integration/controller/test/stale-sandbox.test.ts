// A sandbox's namespace is unmounted on the thread pool and its file removed after. A kill in
// between leaves a plain file that is no namespace; the next start must finish that delete,
// whether or not the sandbox's record was already gone. Real kernel, own host namespace.
import t from 'tap'
import { memoryStore } from '@libnetwork/datastore'
import { hostEnv, listNetns, sh, startController } from './helpers.js'

t.test('half-deleted sandbox namespaces do not stop the next start', async (t) => {
  const env = await hostEnv(t)
  const store = memoryStore()
  const c1 = await startController(env, store)
  const recorded = await c1.createSandbox({ containerId: 'recorded' })
  const unrecorded = await c1.createSandbox({ containerId: 'unrecorded' })
  const healthy = await c1.createSandbox({ containerId: 'healthy' })
  await c1.stop()
  // The kill: both namespaces unmounted, their files left; one record already deleted.
  await store.delete(`libnetwork/controller/v1/sandbox/${unrecorded.id}`)
  for (const sb of [recorded, unrecorded]) await sh(['umount', sb.path])
  t.same(
    (await listNetns(env.sandboxPrefix)).sort(),
    [recorded.key, unrecorded.key, healthy.key].sort(),
    'the files are still there',
  )

  const c2 = await startController(env, store)
  t.same(
    c2.sandboxes().map((s) => s.containerId),
    ['healthy'],
    'the healthy sandbox is restored',
  )
  t.match(c2.restoreSummary.repaired, ['sandbox recorded: namespace gone, removed'])
  t.same(await listNetns(env.sandboxPrefix), [healthy.key], 'the half-deleted files are gone')
  // The keys are free and the restored sandbox works.
  await c2.deleteSandbox(healthy.id)
  await c2.settled()
  t.same(await listNetns(env.sandboxPrefix), [], 'nothing left')
  const again = await c2.createSandbox({ containerId: 'again', id: recorded.id })
  t.equal(again.key, recorded.key, 'a half-deleted key can be used again')
})
