// Privileged: deleting links off the main thread (libuv pool), checked with `ip -j`.
import t from 'tap'
import { deleteNetns, Netlink } from '../src/index.js'
import { ipJson, testNetns } from './helpers.js'

const names = (ns: string) => ipJson<{ ifname: string }[]>(ns, 'link', 'show').map((l) => l.ifname)

t.test('deleteLinkInBackground deletes links while the event loop keeps running', async (t) => {
  const ns = testNetns(t, 'bg')
  const h = Netlink.open({ netns: ns })
  t.teardown(() => h.close())
  for (let i = 0; i < 6; i++)
    h.createLink({ kind: 'veth', name: `va${i}`, peer: { name: `vb${i}` } })
  let ticks = 0
  const timer = setInterval(() => ticks++, 1)
  const done = [0, 1, 2, 3, 4, 5].map((i) => h.deleteLinkInBackground(`va${i}`))
  await Promise.all(done)
  clearInterval(timer)
  t.same(names(ns), ['lo'], 'both ends of every pair are gone')
  t.ok(ticks > 0, 'timers ran while the kernel was deleting')
  t.same(
    h.links().map((l) => l.name),
    ['lo'],
    'the synchronous socket still works',
  )
})

t.test('a missing link is a NotFoundError; nothing else changes', async (t) => {
  const ns = testNetns(t, 'bg-missing')
  const h = Netlink.open({ netns: ns })
  t.teardown(() => h.close())
  h.createLink({ kind: 'bridge', name: 'br0' })
  await t.rejects(h.deleteLinkInBackground('nosuch'), { name: 'NotFoundError' })
  await t.rejects(h.deleteLinkInBackground(99999), { name: 'NotFoundError' })
  t.same(names(ns).sort(), ['br0', 'lo'])
})

t.test('the deletion completes even when the namespace is unmounted meanwhile', async (t) => {
  const ns = testNetns(t, 'bg-gone')
  const h = Netlink.open({ netns: ns })
  h.createLink({ kind: 'veth', name: 'va', peer: { name: 'vb' } })
  const pending = h.deleteLinkInBackground('va')
  h.close()
  deleteNetns(ns)
  await t.resolves(pending)
})
