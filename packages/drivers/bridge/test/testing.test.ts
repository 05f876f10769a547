// The fakes of ./testing behave as the kernel and iptables do where the driver relies on it.
import t from 'tap'
import { InterfaceAddress } from '@libnetwork/types'
import { FakeIptables, FakeKernel, HOST } from '../src/testing/index.js'

t.test('export surface', async (t) => {
  t.same(Object.keys(await import('../src/testing/index.js')).sort(), [
    'FakeIptables',
    'FakeKernel',
    'HOST',
  ])
})

const run = (f: FakeIptables, ...argv: string[]) => f.run(['iptables-nft', '--wait', ...argv])

t.test('FakeIptables: the nft backend, chains, jumps, -C/-D, -S', async (t) => {
  const f = new FakeIptables()
  t.match((await f.run(['iptables', '--version'])).stdout, /nf_tables/)
  t.equal((await f.run(['iptables-legacy', '--version'])).code, 127, 'no legacy backend')
  t.equal((await run(f, '-t', 'nat', '-S', 'LN-X', '1')).code, 1, 'missing chain')
  t.equal((await run(f, '-t', 'nat', '-N', 'LN-X')).code, 0)
  t.equal((await run(f, '-t', 'nat', '-S', 'LN-X', '1')).code, 0, 'chain exists')
  t.equal((await run(f, '-A', 'FORWARD', '-j', 'LN-NOPE')).code, 1, 'no jump to a missing chain')
  t.equal((await run(f, '-N', 'LN-Y')).code, 0)
  t.equal((await run(f, '-A', 'FORWARD', '-i', 'br0', '-j', 'LN-Y')).code, 0)
  t.equal((await run(f, '-C', 'FORWARD', '-i', 'br0', '-j', 'LN-Y')).code, 0)
  t.equal((await run(f, '-C', 'FORWARD', '-i', 'br1', '-j', 'LN-Y')).code, 1)
  t.equal((await run(f, '-X', 'LN-Y')).code, 1, 'a referenced chain stays')
  t.match((await run(f, '-S', 'FORWARD')).stdout, '-P FORWARD ACCEPT\n-A FORWARD -i br0 -j LN-Y')
  t.equal((await run(f, '-D', 'FORWARD', '-i', 'br0', '-j', 'LN-Y')).code, 0)
  t.equal((await run(f, '-X', 'LN-Y')).code, 0)
  t.same(f.chains('filter'), ['INPUT', 'FORWARD', 'OUTPUT'])
})

t.test('FakeIptables: a restore is all or nothing and names the failing line', async (t) => {
  const f = new FakeIptables()
  const ok = await f.run(
    ['iptables-nft-restore', '--noflush', '--wait'],
    '*filter\n:LN-A - [0:0]\n-A LN-A -m comment --comment "two words" -j ACCEPT\nCOMMIT\n',
  )
  t.equal(ok.code, 0)
  t.same(f.rules('filter', 'LN-A'), ['-m comment --comment "two words" -j ACCEPT'])
  const bad = await f.run(
    ['iptables-nft-restore', '--noflush', '--wait'],
    '*filter\n-A LN-A -j DROP\n-D LN-A -j REJECT\nCOMMIT\n',
  )
  t.equal(bad.code, 1)
  t.match(bad.stderr, 'line 3 failed')
  t.same(f.rules('filter', 'LN-A'), ['-m comment --comment "two words" -j ACCEPT'], 'unchanged')
  t.match((await f.run(['iptables-nft-save'])).stdout, '-A LN-A -m comment')
  t.equal(f.restores().length, 2)
  f.fail((c) => c.argv.includes('-S'), 1, 'boom')
  t.equal((await run(f, '-S')).stderr, 'boom', 'a planned failure')
  t.equal((await run(f, '-S')).code, 0, 'once')
})

t.test('FakeKernel: bridges, veth pairs that die together, refusals', async (t) => {
  const k = new FakeKernel()
  const addresses = [InterfaceAddress.parse('10.0.0.1/24')]
  await k.ensureBridge({ name: 'br0', mtu: 1400, addresses, alias: 'a' })
  await k.ensureBridge({ name: 'br0', mtu: 1400, addresses, alias: 'a' })
  t.same(k.link('br0')!.addresses, ['10.0.0.1/24'], 'adopted, addresses not doubled')
  const veth = { host: 'v0', peer: 'c0', mtu: 1400, master: 'br0', alias: 'e', hairpin: false }
  await t.rejects(k.createVeth({ ...veth, master: 'nope' }), { name: 'NotFoundError' })
  await k.createVeth({ ...veth, peerNetns: '/run/netns/sb' })
  await t.rejects(k.createVeth(veth), { name: 'ConflictError' })
  t.equal(k.link('c0', '/run/netns/sb')!.peer!.name, 'v0')
  t.same(
    k.linksIn(HOST).map((l) => l.name),
    ['br0', 'v0'],
  )
  k.removeNetns('/run/netns/sb')
  t.equal(k.link('v0'), undefined, 'the host end died with the sandbox')
  k.add({ name: 'eth9', kind: 'veth' })
  await t.rejects(k.ensureBridge({ name: 'eth9', mtu: 1500, addresses: [], alias: 'x' }), {
    name: 'BadRequestError',
  })
  k.fail('links')
  await t.rejects(k.links(), /links failed/)
  t.ok((await k.links()).length > 0)
  await t.rejects(k.getSysctl('net.ipv4.ip_forward'), { name: 'NotFoundError' })
  await k.setSysctl('net.ipv4.ip_forward', '1')
  t.equal(await k.getSysctl('net.ipv4.ip_forward'), '1')
})
