// Global networks on a real etcd (a throw-away server on loopback ports): two controllers, each
// with its own etcd client as two hosts have, share the networks, the endpoint count and the
// global address space.
import t from 'tap'
import { etcdStore, type KVStore } from '@libnetwork/datastore'
import { startEtcd, type EtcdServer } from '@libnetwork/datastore/testing'
import { ConflictError, IPNet } from '@libnetwork/types'
import { caught, startHost, until, type Host } from './global-helpers.js'

// Several controllers on one store, on a loaded machine: more than tap's 30 s per file.
t.setTimeout(300_000)

let etcd: EtcdServer | undefined
const stores: KVStore[] = []
const hosts: Host[] = []
const noTeardown = { teardown() {} }

t.before(async () => {
  etcd = await startEtcd()
})
t.teardown(async () => {
  for (const h of hosts) await h.c.stop()
  for (const s of stores) await s.close()
  await etcd?.stop()
})

async function host(): Promise<Host> {
  const store = etcdStore({ endpoints: [etcd!.endpoint], namespace: 'lnt-controller/' })
  stores.push(store)
  const h = await startHost(store, noTeardown)
  hosts.push(h)
  return h
}

t.test('two hosts on etcd: one network, one count, no address twice', async (t) => {
  const a = await host()
  const b = await host()
  const g = await a.c.createNetwork({
    name: 'eg',
    driver: 'gd',
    ipam: { config: [{ subnet: IPNet.parse('10.90.0.0/22') }] },
  })
  await until('eg on host B', () => b.c.networks().some((n) => n.id === g.id))
  t.same(b.poolRequests, [], 'B reserved no pool')

  const per = 50
  const make = (h: Host, tag: string) =>
    Promise.all(
      Array.from({ length: per }, (_, i) => h.c.createEndpoint('eg', { name: `${tag}${i}` })),
    )
  const [ea, eb] = await Promise.all([make(a, 'a'), make(b, 'b')])
  const addrs = [...ea, ...eb].map((e) => e.address!.ip.toString())
  t.equal(new Set(addrs).size, 2 * per, `${2 * per} endpoints, no address twice`)

  for (const e of ea) await a.c.deleteEndpoint(e.id)
  const err = await caught(a.c.deleteNetwork('eg'))
  t.ok(ConflictError.isInstance(err), 'A may not remove it while B has endpoints')
  t.match(err.message, /network eg has 50 endpoint\(s\) on other hosts/)
  for (const e of eb) await b.c.deleteEndpoint(e.id)
  await b.c.deleteNetwork('eg')
  await until('eg gone on host A', () => a.c.networks().length === 0)
  t.pass('removed from B, gone on A')
})
