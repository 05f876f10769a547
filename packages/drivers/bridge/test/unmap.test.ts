// Leaving with published ports: the ports leave service at once and their rules, listeners and
// host ports go in the background. Real kernel: runs as root inside namespaces this test creates
// (lnt-bridge-*), removed at teardown even on failure.
import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import type { Driver, PortBinding } from '@libnetwork/driverapi'
import { InterfaceAddress, noopLogger } from '@libnetwork/types'
import { bridge } from '../src/index.js'
import { freshNs, id, listening, netReq, save, sh } from './helpers.js'

async function joined(d: Driver, sbx: string, ep: string, v4: string, bindings: PortBinding[]) {
  const ref = { networkId: id('a'), endpointId: ep }
  await d.createEndpoint({
    ...ref,
    iface: { address: InterfaceAddress.parse(v4) },
    options: { portBindings: bindings },
  })
  await d.join({ ...ref, sandboxKey: `/run/netns/${sbx}`, options: {} })
  return d.programExternalConnectivity({ ...ref, options: { portBindings: bindings } })
}

t.test('leave: ports out of service at once, gone after settled, order kept', async (t) => {
  const ns = await freshNs(t)
  const sbx = await freshNs(t, `${ns}-sb`)
  const d = bridge({}, { netns: ns })({ logger: noopLogger })
  t.teardown(() => d.stop())
  await d.restore({ networks: [], endpoints: [] })
  await d.createNetwork(netReq(id('a'), '10.45.0.0/24'))
  const withNet = await save(ns)
  const fixed: PortBinding[] = [{ protocol: 'tcp', port: 80, hostPort: 8088 }]
  const b = { networkId: id('a'), endpointId: id('b') }
  await joined(d, sbx, id('b'), '10.45.0.2/24', fixed)
  const [dyn] = await joined(d, sbx, id('c'), '10.45.0.3/24', [{ protocol: 'tcp', port: 80 }])
  t.same(await listening(ns), [`0.0.0.0:${dyn!.hostPort}`, '0.0.0.0:8088'].sort())

  await d.revokeExternalConnectivity(b)
  await d.leave(b)
  t.same((await d.endpointOperInfo(b)).portBindings, [], 'no port bindings once revoke returns')
  // another endpoint takes the same host port right away: it waits for the removal
  const [again] = await joined(d, sbx, id('d'), '10.45.0.4/24', fixed)
  t.equal(again!.hostPort, 8088, 'the same host port, no conflict')
  const nat = await save(ns)
  t.notMatch(nat, '10.45.0.2:80', 'no DNAT to the left container any more')
  t.match(nat, '--to-destination 10.45.0.4:80', 'the new owner has it')
  await d.deleteEndpoint(b)

  // leave + delete without waiting: deleteEndpoint returns only when no rule points at it
  const c = { networkId: id('a'), endpointId: id('c') }
  await d.revokeExternalConnectivity(c)
  await d.leave(c)
  await d.deleteEndpoint(c)
  t.notMatch(await save(ns), '10.45.0.3', 'nothing points at the deleted endpoint')

  const e = { networkId: id('a'), endpointId: id('d') }
  await d.revokeExternalConnectivity(e)
  await d.leave(e)
  await d.settled!()
  t.equal(await save(ns), withNet, 'zero leftover rules after settled')
  t.same(await listening(ns), [], 'no proxy listener left')
  // the host port is free again: the allocator hands 8088 out once more
  const [last] = await joined(d, sbx, id('f'), '10.45.0.6/24', fixed)
  t.equal(last!.hostPort, 8088)
  const f = { networkId: id('a'), endpointId: id('f') }
  await d.revokeExternalConnectivity(f)
  await d.leave(f)
  await d.deleteEndpoint(f)
  await d.deleteEndpoint(e)
  await d.deleteNetwork({ networkId: id('a') })
  await d.settled!()
  t.notMatch(await save(ns), '10.45.0.', 'nothing of the network left')
})

t.test('killed with a removal pending: the next restore removes its rules', async (t) => {
  const ns = await freshNs(t)
  const sbx = await freshNs(t, `${ns}-sb`)
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(new URL('fixtures/crash-leave.ts', import.meta.url)),
      ns,
      sbx,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  t.teardown(() => child.kill('SIGKILL'))
  let out = ''
  child.stdout.on('data', (b: Buffer) => (out += b.toString()))
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null]
  t.equal(out, 'published\n', 'the child published its port')
  t.same([code, signal], [null, 'SIGKILL'], 'killed right after its revoke returned')
  t.match(await save(ns), '--to-destination 10.46.0.2:80', 'the removal was still pending')
  // its proxy process follows its parent
  for (let i = 0; i < 50 && (await listening(ns)).length > 0; i++)
    await new Promise((r) => setTimeout(r, 100))
  t.same(await listening(ns), [], 'no proxy listener survives the daemon')

  // the store said the endpoint left before the revoke returned: restore it unjoined
  const d = bridge({}, { netns: ns })({ logger: noopLogger })
  t.teardown(() => d.stop())
  await d.restore({
    networks: [netReq(id('a'), '10.46.0.0/24')],
    endpoints: [
      {
        networkId: id('a'),
        endpointId: id('b'),
        iface: { address: InterfaceAddress.parse('10.46.0.2/24') },
        options: {},
      },
    ],
  })
  const rules = await save(ns)
  t.notMatch(rules, '10.46.0.2', 'no rule of the left endpoint')
  t.notMatch(rules, '--dport 8090', 'no DNAT of its host port')
  const [p] = await joined(d, sbx, id('c'), '10.46.0.3/24', [
    { protocol: 'tcp', port: 80, hostPort: 8090 },
  ])
  t.equal(p!.hostPort, 8090, 'its host port is free')
  t.same(await listening(ns), ['0.0.0.0:8090'])
})

t.test('a removal that fails is reported; deleteEndpoint removes the rules again', async (t) => {
  const ns = await freshNs(t)
  const sbx = await freshNs(t, `${ns}-sb`)
  const errors: Error[] = []
  const d = bridge(
    {},
    { netns: ns },
  )({
    logger: { ...noopLogger, error: (msg) => errors.push(new Error(msg)) },
  })
  t.teardown(() => d.stop())
  await d.restore({ networks: [], endpoints: [] })
  await d.createNetwork(netReq(id('a'), '10.47.0.0/24'))
  const withNet = await save(ns)
  const ref = { networkId: id('a'), endpointId: id('b') }
  await joined(d, sbx, id('b'), '10.47.0.2/24', [{ protocol: 'tcp', port: 80, hostPort: 8091 }])
  // every `ip netns exec <ns>` (how iptables runs there) fails while /run/netns/<ns> is hidden
  const hidden = `/run/netns/${ns}`
  await sh('mount', '--bind', '/dev/null', hidden)
  try {
    await d.revokeExternalConnectivity(ref)
    await t.rejects(d.settled!(), 'settled throws the failure')
    t.equal(errors.length, 1, 'the logger heard it once, after the retry')
  } finally {
    await sh('umount', hidden)
  }
  t.match(await save(ns), '--to-destination 10.47.0.2:80', 'its rules are still there')
  await d.settled!() // reported once only
  await d.leave(ref)
  await d.deleteEndpoint(ref)
  t.equal(await save(ns), withNet, 'deleteEndpoint removed them')
  t.same(await listening(ns), [], 'no listener')
  const [p] = await joined(d, sbx, id('c'), '10.47.0.3/24', [
    { protocol: 'tcp', port: 80, hostPort: 8091 },
  ])
  t.equal(p!.hostPort, 8091, 'the host port was released')
})
