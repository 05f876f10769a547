// Privileged: interfaces made inside the sandbox by their creator (inSandbox), retiring an
// interface (out of service at once, deleted in the background), gateways after a restore.
import { closeSync, existsSync, openSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import {
  BadRequestError,
  ConflictError,
  IP,
  IPNet,
  InterfaceAddress,
  NotFoundError,
} from '@libnetwork/types'
import { Osl, type Sandbox } from '../src/index.js'
import { type IpAddrLink, ipJson, linkNames, rand, testOsl } from './helpers.js'

t.test('inSandbox: an interface born in the sandbox is renamed and configured in place', (t) => {
  const { osl, host, hostPath } = testOsl(t)
  const sb = osl.createSandbox(`lnt-osl-in-${rand()}`)
  host.createLink({ kind: 'veth', name: 'vh0', up: true, peer: { name: 'tmp0', netns: sb.path } })
  t.throws(
    () => sb.join({ srcName: 'nope', inSandbox: true, dstName: 'eth0' }),
    NotFoundError,
    'a missing source is not-found',
  )
  t.same(linkNames(sb.path).sort(), ['lo', 'tmp0'], 'nothing changed')
  const eth0 = sb.join({
    srcName: 'tmp0',
    inSandbox: true,
    dstName: 'eth0',
    mac: '02:42:ac:19:00:02',
    addresses: [InterfaceAddress.parse('172.25.0.2/16')],
    routes: [
      {
        destination: IPNet.parse('10.25.0.0/16'),
        routeType: 'nexthop',
        nextHop: IP.parse('172.25.0.1'),
      },
    ],
  })
  t.match(eth0, { name: 'eth0', mac: '02:42:ac:19:00:02', up: true })
  t.notOk('srcName' in eth0, 'no host name to go back to')
  t.match(ipJson<IpAddrLink[]>(sb.path, 'addr', 'show', 'dev', 'eth0'), [
    { addr_info: [{ local: '172.25.0.2', prefixlen: 16 }] },
  ])
  t.match(ipJson(sb.path, 'route', 'show', '10.25.0.0/16'), [{ gateway: '172.25.0.1' }])
  sb.removeInterface('eth0')
  t.same(linkNames(sb.path), ['lo'], 'removing deletes it')
  t.notOk(linkNames(hostPath).includes('vh0'), 'with its peer')
  t.end()
})

t.test('retireInterface: out of service at once, deleted in the background', async (t) => {
  const { osl, host, hostPath } = testOsl(t)
  const sb = osl.createSandbox(`lnt-osl-rt-${rand()}`)
  host.createLink({ kind: 'veth', name: 'vh0', up: true, peer: { name: 'tmp0', netns: sb.path } })
  sb.join({
    srcName: 'tmp0',
    inSandbox: true,
    dstName: 'eth0',
    addresses: [InterfaceAddress.parse('172.26.0.2/16')],
    gateway: IP.parse('172.26.0.1'),
  })
  t.equal(sb.gateway?.toString(), '172.26.0.1')
  t.throws(() => sb.retireInterface('eth9'), NotFoundError, 'unknown interface: not-found')
  const gone = sb.retireInterface('eth0')
  const left = ipJson<IpAddrLink[]>(sb.path, 'addr', 'show').filter((l) => l.ifname !== 'lo')
  t.ok(
    left.every((l) => /^gone\d+$/.test(l.ifname) && !l.flags.includes('UP')),
    'renamed and down',
  )
  t.same(
    left.flatMap((l) => l.addr_info.filter((a) => a.family === 'inet')),
    [],
    'no IPv4 address left',
  )
  t.same(ipJson(sb.path, 'route', 'show', 'default'), [], 'no default route')
  t.equal(sb.gateway, undefined, 'gateway forgotten')
  // The name is free at once: another interface can be eth0 while the old one is reaped.
  host.createLink({ kind: 'veth', name: 'vh1', up: true, peer: { name: 'tmp1', netns: sb.path } })
  sb.join({
    srcName: 'tmp1',
    inSandbox: true,
    dstName: 'eth0',
    addresses: [InterfaceAddress.parse('172.26.0.3/16')],
    gateway: IP.parse('172.26.0.1'),
  })
  await gone
  t.same(linkNames(sb.path).sort(), ['eth0', 'lo'], 'the retired link is deleted')
  t.notOk(linkNames(hostPath).includes('vh0'), 'its peer too')
  t.ok(linkNames(hostPath).includes('vh1'), 'the new one stays')
  await osl.settled()
})

t.test('a sandbox destroyed while its interfaces are reaped: nothing is left', async (t) => {
  const { osl, host, hostPath, runDir } = testOsl(t)
  const sbs = [0, 1, 2].map((i) => {
    const sb = osl.createSandbox(`lnt-osl-rd${i}-${rand()}`)
    host.createLink({ kind: 'veth', name: `vh${i}`, peer: { name: 'tmp', netns: sb.path } })
    sb.join({ srcName: 'tmp', inSandbox: true, dstName: 'eth0' })
    return sb
  })
  const all = sbs.map((sb) => sb.retireInterface('eth0'))
  for (const sb of sbs) sb.destroy()
  t.same(osl.sandboxKeys(), [], 'namespaces unmounted at once')
  t.throws(() => sbs[0]!.retireInterface('eth0'), NotFoundError, 'destroyed sandbox')
  await Promise.all(all)
  await osl.settled()
  t.same(linkNames(hostPath), ['lo'], 'every veth pair deleted')
  t.ok(runDir)
})

t.test('restoreSandbox adopts the default gateways', (t) => {
  const { osl, host, runDir, hostPath } = testOsl(t)
  const key = `lnt-osl-rg-${rand()}`
  const sb = osl.createSandbox(key)
  host.createLink({ kind: 'veth', name: 'vh0', up: true, peer: { name: 'tmp0', netns: sb.path } })
  sb.join({
    srcName: 'tmp0',
    inSandbox: true,
    dstName: 'eth0',
    addresses: [InterfaceAddress.parse('172.27.0.2/16'), InterfaceAddress.parse('fd00:27::2/64')],
    gateway: IP.parse('172.27.0.1'),
    gatewayV6: IP.parse('fd00:27::1'),
  })
  const again = new Osl({ runDir, hostNetns: hostPath })
  t.teardown(() => again.close())
  const back = again.restoreSandbox(key)
  t.equal(back.gateway?.toString(), '172.27.0.1')
  t.equal(back.gatewayV6?.toString(), 'fd00:27::1')
  t.throws(() => back.setGateway(IP.parse('172.27.0.254')), ConflictError, 'one gateway')
  back.unsetGateway(4)
  t.same(ipJson(back.path, 'route', 'show', 'default'), [], 'IPv4 default route removed')
  back.setGateway(IP.parse('172.27.0.254'), { interface: 'eth0' })
  t.match(ipJson(back.path, 'route', 'show', 'default'), [{ gateway: '172.27.0.254' }])
  // Retiring the gateway's interface forgets both gateways.
  void back.retireInterface('eth0')
  t.equal(back.gateway, undefined)
  t.equal(back.gatewayV6, undefined)
  t.end()
})

t.test('a sandbox destroyed with queued deletions leaves them to its namespace', async (t) => {
  const { osl, host, hostPath } = testOsl(t, { releaseTimeoutMs: 300 })
  const [a, b, c] = ['a', 'b', 'c'].map((x) => {
    const sb = osl.createSandbox(`lnt-osl-rl${x}-${rand()}`)
    host.createLink({ kind: 'veth', name: `vh${x}`, peer: { name: 'tmp', netns: sb.path } })
    sb.join({ srcName: 'tmp', inSandbox: true, dstName: 'eth0' })
    return sb
  }) as [Sandbox, Sandbox, Sandbox]
  // Something else keeps c's namespace alive (as a process or socket inside it would).
  let pin: number | undefined = openSync(c.path, 'r')
  t.teardown(() => {
    if (pin !== undefined) closeSync(pin)
  })
  // a's deletion starts at once; b's and c's wait in the queue when their sandboxes go.
  const [pa, pb, pc] = [a, b, c].map((sb) => sb.retireInterface('eth0')) as [
    Promise<void>,
    Promise<void>,
    Promise<void>,
  ]
  b.destroy()
  c.destroy()
  await pa
  await pb
  t.notOk(linkNames(hostPath).includes('vhb'), 'freed with its namespace')
  t.ok(linkNames(hostPath).includes('vhc'), 'the pair lives while its namespace does')
  // c's namespace outlives the wait: the host end is deleted directly and the pair goes.
  await pc
  t.notOk(linkNames(hostPath).includes('vhc'), 'deleted from the host side after the wait')
  t.ok(existsSync(`/proc/self/fd/${pin}`), 'while the namespace itself still lives')
  closeSync(pin)
  pin = undefined
  await osl.settled()
  a.destroy()
})

t.test('destroy in the background: unusable at once, key free when it settles', async (t) => {
  const { osl, host, hostPath } = testOsl(t)
  const key = `lnt-osl-bg-${rand()}`
  const sb = osl.createSandbox(key)
  host.createLink({ kind: 'veth', name: 'vhbg', peer: { name: 'vcbg' } })
  sb.addInterface({ srcName: 'vcbg', dstName: 'eth0' })
  host.createLink({ kind: 'veth', name: 'vhq', peer: { name: 'tmp', netns: sb.path } })
  sb.join({ srcName: 'tmp', inSandbox: true, dstName: 'eth1' })
  const retired = sb.retireInterface('eth1')
  const done = sb.destroyInBackground()
  t.throws(() => sb.interfaces(), NotFoundError, 'unusable before the kernel is done')
  await done
  t.same(osl.sandboxKeys(), [], 'namespace gone')
  t.ok(linkNames(hostPath).includes('vcbg'), 'the interface it was given came back')
  await retired
  t.notOk(linkNames(hostPath).includes('vhq'), 'a queued deletion went with the namespace')
  t.equal(await sb.destroyInBackground(), undefined, 'a second call is a no-op')
  const again = osl.createSandbox(key)
  t.same(osl.sandboxKeys(), [key], 'the key can be used again')
  again.destroy()
})

t.test('removeSandbox deletes a namespace not open here, or a half-deleted file', async (t) => {
  const { osl, runDir } = testOsl(t)
  const key = `lnt-osl-rm-${rand()}`
  osl.createSandbox(key)
  // Another run's osl sees it, never opens it, and removes it.
  const other = new Osl({ runDir })
  other.removeSandbox(key)
  t.same(osl.sandboxKeys(), [], 'a live namespace removed')

  // A kill between the unmount and the file's removal leaves a plain file behind: it is no
  // namespace (restoring it fails), yet removing it works.
  const stale = `lnt-osl-st-${rand()}`
  writeFileSync(join(runDir, stale), '')
  const live = osl.createSandbox(`lnt-osl-lv-${rand()}`)
  t.ok(osl.isStale(stale), 'a plain file is stale')
  t.notOk(osl.isStale(live.key), 'a mounted namespace is not')
  t.notOk(osl.isStale('lnt-osl-missing'), 'nothing there: not stale')
  live.destroy()
  t.throws(() => osl.restoreSandbox(stale), 'a plain file is not a namespace')
  osl.removeSandbox(stale)
  t.same(osl.sandboxKeys(), [], 'the stale file removed')

  t.throws(() => osl.removeSandbox(stale), NotFoundError, 'nothing there: not found')
  t.throws(() => osl.removeSandbox('../x'), BadRequestError, 'keys are checked')
})
