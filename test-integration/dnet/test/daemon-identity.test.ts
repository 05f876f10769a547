// A daemon's links and container namespaces carry its instance id: another daemon started later
// in the same namespace, with the same sandbox prefix, leaves them alone.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { namespaces, sh } from './harness.js'
import { busyHost, noProxy } from './two-daemons.js'

t.test(
  'a daemon restarting in a namespace another used leaves that one’s links and containers',
  async (t) => {
    const h = await busyHost(t)
    const sbA = (JSON.parse(await h.ok('container', 'ls', '--json')) as any[])[0]
    const key = sbA.key.split('/').at(-1) as string
    const instance = readFileSync(join(h.dir, 'lib', 'instance-id'), 'utf8').trim()
    t.match(instance, /^[0-9a-f]{8}$/)
    t.equal(key, `${h.prefix}-sb-${instance}-${sbA.id.slice(0, 12)}`, 'namespace carries the id')
    const mine = async () =>
      (JSON.parse(await sh(['ip', '-n', h.ns, '-j', 'link', 'show'])) as any[])
        .filter((l) => String(l.ifalias ?? '').startsWith(`libnetwork:${instance}:`))
        .map((l) => l.ifname)
        .sort()
    const links = await mine()
    t.equal(links.length, 2, 'its bridge and veth carry the id in their alias')
    await h.stop()
    // another daemon, same namespace and sandbox prefix, its own data and exec roots
    const other = join(h.dir, 'other')
    await h.start([
      ...noProxy(h),
      ...['--exec-root', join(other, 'run'), '--data-root', join(other, 'lib')],
      ...['--socket', h.socket, '--default-network', ''],
    ])
    await h.ok('network', 'create', '--subnet', '10.78.0.0/24', 'mine')
    await h.stop()
    t.same(await mine(), links, "the first daemon's bridge and veth are still there")
    t.ok((await namespaces(`${h.prefix}-sb-`)).includes(key), 'and its container namespace')
    await h.start([...noProxy(h), '--default-network', ''])
    const sb = (JSON.parse(await h.ok('container', 'ls', '--json')) as any[])[0]
    t.same([sb.id, sb.endpoints.length], [sbA.id, 1], 'the first daemon finds its container joined')
  },
)
