// Privileged: link and address change events from a namespace, as an async iterable.
import t from 'tap'
import { BadRequestError, InterfaceAddress, TimeoutError } from '@libnetwork/types'
import { Netlink, type NetlinkEvent, NetlinkSocket, subscribe } from '../src/index.js'
import { testNetns } from './helpers.js'

t.test(
  'link and address events arrive typed, in order, and the stream stops on abort',
  async (t) => {
    const ns = testNetns(t, 'ev')
    const h = Netlink.open({ netns: ns })
    t.teardown(() => h.close())
    const ac = new AbortController()
    const events = h.events({ groups: ['link', 'address'], signal: ac.signal, pollMs: 50 })
    const guard = setTimeout(() => ac.abort(), 20_000) // never hang the suite
    t.teardown(() => clearTimeout(guard))
    h.createLink({ kind: 'bridge', name: 'br0' })
    h.addAddress('br0', InterfaceAddress.parse('10.9.0.1/24'))
    h.deleteLink('br0')
    const seen: NetlinkEvent[] = []
    for await (const e of events) {
      seen.push(e)
      if (e.type === 'link' && e.action === 'del') ac.abort()
    }
    const first = seen.find((e) => e.type === 'link')
    t.match(first, { type: 'link', action: 'new', link: { name: 'br0', kind: 'bridge' } })
    const addr = seen.find((e) => e.type === 'address' && e.action === 'new')
    t.equal(addr?.type === 'address' && String(addr.address.address), '10.9.0.1/24')
    t.match(seen.at(-1), { type: 'link', action: 'del', link: { name: 'br0' } })
    t.ok(seen.indexOf(first!) < seen.indexOf(addr!), 'link before address')
  },
)

t.test('route and neighbour groups; bad groups are refused', async (t) => {
  const ns = testNetns(t, 'ev2')
  const h = Netlink.open({ netns: ns })
  t.teardown(() => h.close())
  t.throws(() => subscribe({ netns: ns, groups: ['bogus' as never] }), BadRequestError)
  const ac = new AbortController()
  const events = subscribe({ netns: ns, groups: ['route'], signal: ac.signal, pollMs: 50 })
  const guard = setTimeout(() => ac.abort(), 20_000)
  t.teardown(() => clearTimeout(guard))
  let sawPrefixRoute = false
  h.createLink({ kind: 'bridge', name: 'br0', up: true })
  h.addAddress('br0', InterfaceAddress.parse('10.9.0.1/24'))
  for await (const e of events) {
    t.equal(e.type, 'route', 'only route events')
    if (e.type === 'route' && e.route.dst?.toString() === '10.9.0.0/24') {
      sawPrefixRoute = true
      ac.abort()
    }
  }
  t.ok(sawPrefixRoute, 'prefix route of the new address seen')
  t.throws(() => events[Symbol.asyncIterator](), BadRequestError, 'a stream is iterated once')
})

t.test('a blocking receive with nothing to read ends in TimeoutError', (t) => {
  const ns = testNetns(t, 'tmo')
  const s = NetlinkSocket.open({ netns: ns, groups: 1, timeoutMs: 50 })
  t.teardown(() => s.close())
  t.throws(() => s.receive(), TimeoutError)
  t.equal(s.receive(true), undefined, 'non-blocking: nothing queued')
  t.end()
})
