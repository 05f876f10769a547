// Privileged: namespaces left behind by a crash are swept; live ones are kept.
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { BadRequestError } from '@libnetwork/types'
import { createNetns, listNetns } from '@libnetwork/netlink'
import { NamespaceGC } from '../src/index.js'
import { rand, testOsl } from './helpers.js'

t.test('a sweep deletes every sandbox namespace whose key is not live', (t) => {
  const { osl, runDir } = testOsl(t)
  const live = osl.createSandbox(`lnt-osl-live-${rand()}`)
  // Left behind by a "crashed" daemon: namespaces nobody holds a Sandbox for.
  const dead = [`lnt-osl-dead-${rand()}`, `lnt-osl-dead-${rand()}`]
  for (const k of dead) createNetns(k, { runDir })
  const gc = osl.gc({ liveKeys: () => [live.key] })
  t.same(gc.sweep().sort(), dead.sort())
  t.same(listNetns({ runDir }), [live.key])
  t.same(gc.sweep(), [], 'a second sweep finds nothing')
  t.ok(live.interfaces(), 'the live sandbox still works')
  t.end()
})

t.test('periodic sweeps run until stopped', async (t) => {
  const { osl, runDir } = testOsl(t)
  const swept: string[][] = []
  const gc = osl.gc({
    liveKeys: () => [],
    intervalMs: 20,
    onSweep: (r) => r.length && swept.push(r),
  })
  t.teardown(() => gc.stop())
  gc.start()
  t.ok(gc.running)
  const key = `lnt-osl-late-${rand()}`
  createNetns(key, { runDir })
  for (let i = 0; i < 100 && listNetns({ runDir }).length; i++) await sleep(20)
  t.same(listNetns({ runDir }), [])
  t.same(swept, [[key]])
  gc.stop()
  t.notOk(gc.running)
  createNetns(`lnt-osl-after-${rand()}`, { runDir })
  await sleep(80)
  t.equal(listNetns({ runDir }).length, 1, 'no sweeps after stop')
})

t.test('options are validated', (t) => {
  t.throws(() => new NamespaceGC({} as never), BadRequestError)
  t.throws(
    () => new NamespaceGC({ runDir: '/tmp', liveKeys: () => [], intervalMs: 1 }),
    BadRequestError,
  )
  t.end()
})
