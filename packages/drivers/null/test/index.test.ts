import t from 'tap'
import { LibnetworkError } from '@libnetwork/types'
import type { Test } from 'tap'
import { nullDriver } from '../src/index.js'

const net = (networkId: string) => ({
  networkId,
  name: networkId,
  options: {},
  ipv4: [],
  ipv6: [],
  enableIPv6: false,
  internal: false,
  labels: {},
})
const opts = { exposedPorts: [], portBindings: [] }

async function rejects(t: Test, p: Promise<unknown>, name: string) {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  t.ok(LibnetworkError.isInstance(err), `rejects with a typed error (${name})`)
  t.equal((err as Error).name, name)
}

t.test('export surface', async (t) => {
  t.same(Object.keys(await import('../src/index.js')).sort(), ['nullDriver', 'singleNetworkDriver'])
})

t.test('one network, endpoints without interfaces', async (t) => {
  const d = nullDriver()({})
  t.equal(d.type, 'null')
  t.same(d.parseNetworkOptions({}), {})
  t.throws(() => d.parseNetworkOptions({ mtu: 1500 }), { name: 'InvalidOptionError' })
  t.throws(() => d.parseNetworkOptions('x'), { name: 'InvalidOptionError' })
  await d.createNetwork(net('n1'))
  await rejects(t, d.createNetwork(net('n1')), 'AlreadyExistsError')
  await rejects(t, d.createNetwork(net('n2')), 'DriverForbiddenError')
  await rejects(
    t,
    d.createEndpoint({ networkId: 'n2', endpointId: 'e1', iface: {}, options: opts }),
    'NetworkNotFoundError',
  )
  const { iface } = await d.createEndpoint({
    networkId: 'n1',
    endpointId: 'e1',
    iface: {},
    options: opts,
  })
  t.same(iface, {})
  await rejects(
    t,
    d.createEndpoint({ networkId: 'n1', endpointId: 'e1', iface: {}, options: opts }),
    'AlreadyExistsError',
  )
  const res = await d.join({
    networkId: 'n1',
    endpointId: 'e1',
    sandboxKey: '/run/netns/x',
    options: opts,
  })
  t.same(res, { interfaces: [], staticRoutes: [], disableGatewayService: true })
  t.same(
    await d.programExternalConnectivity({ networkId: 'n1', endpointId: 'e1', options: opts }),
    [],
  )
  t.equal((await d.endpointOperInfo({ networkId: 'n1', endpointId: 'e1' })).joined, true)
  await d.revokeExternalConnectivity({ networkId: 'n1', endpointId: 'e1' })
  await d.leave({ networkId: 'n1', endpointId: 'e1' })
  await rejects(t, d.deleteNetwork({ networkId: 'n1' }), 'DriverForbiddenError')
  await d.deleteEndpoint({ networkId: 'n1', endpointId: 'e1' })
  await rejects(t, d.deleteEndpoint({ networkId: 'n1', endpointId: 'e1' }), 'EndpointNotFoundError')
  await rejects(
    t,
    d.join({ networkId: 'n1', endpointId: 'e1', sandboxKey: 'x', options: opts }),
    'EndpointNotFoundError',
  )
  await d.deleteNetwork({ networkId: 'n1' })
  await rejects(t, d.deleteNetwork({ networkId: 'n1' }), 'NetworkNotFoundError')
  await d.createNetwork(net('n2'))
})

t.test('restore rebuilds state from records', async (t) => {
  const d = nullDriver()({})
  const report = await d.restore({
    networks: [net('n1')],
    endpoints: [{ networkId: 'n1', endpointId: 'e1', iface: {}, options: opts, sandboxKey: '/x' }],
  })
  t.same(report, { removed: [], recreated: [] })
  t.equal((await d.endpointOperInfo({ networkId: 'n1', endpointId: 'e1' })).joined, true)
  await rejects(t, d.createNetwork(net('n2')), 'DriverForbiddenError')
  await d.stop()
})
