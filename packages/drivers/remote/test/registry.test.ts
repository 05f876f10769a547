import t, { type Test } from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DefaultIpam } from '@libnetwork/ipam'
import { pluginServer } from '@libnetwork/plugin-server'
import { PluginRegistry } from '../src/index.js'
import { memoryNetworkPlugin, servePlugin, tempDir } from './helpers.js'
import { ipamHandlers } from './ipam-plugin.js'

const logger = { debug() {}, info() {}, warn() {}, error() {} }

function dirs(t: Test) {
  const root = tempDir(t)
  const run = join(root, 'run')
  const etc = join(root, 'etc')
  mkdirSync(run)
  mkdirSync(etc)
  return { run, etc }
}

t.test('resolvers find plugins by name on first use', async (t) => {
  const { run, etc } = dirs(t)
  const net = memoryNetworkPlugin()
  await servePlugin(t, run, 'both', {
    network: net.handlers,
    ipam: ipamHandlers(new DefaultIpam()),
  })
  await servePlugin(t, run, 'ipamonly', { ipam: ipamHandlers(new DefaultIpam()) })
  const reg = new PluginRegistry({ socketDirs: [run], specDirs: [etc], retryFor: 0 })
  t.teardown(() => reg.stop())

  t.equal(await reg.driverResolver('absent'), undefined, 'no such plugin: undefined')
  t.equal(await reg.ipamResolver('absent'), undefined)
  const factory = await reg.driverResolver('both')
  t.ok(factory, 'found')
  t.equal(await reg.driverResolver('both'), factory, 'kept after first use')
  const d = factory!({ logger })
  t.equal(d.type, 'both')
  t.equal(d.capability.connectivityScope, 'global')
  const ipam = (await reg.ipamResolver('both'))!({ logger })
  t.equal((await ipam.requestPool({})).pool.toString(), '172.17.0.0/16')
  await t.rejects(Promise.resolve(reg.driverResolver('ipamonly')), {
    category: 'not-found',
    code: 'plugin-not-implements',
    message: /does not implement NetworkDriver \(it implements IpamDriver\)/,
  })
  t.ok(await reg.ipamResolver('ipamonly'))
  await t.rejects(Promise.resolve(reg.driverResolver('../x')), { code: 'plugin-invalid-name' })

  t.same(
    (await reg.list()).map((p) => [p.name, p.implements, p.capability?.dataScope]),
    [
      ['both', ['NetworkDriver', 'IpamDriver'], 'local'],
      ['ipamonly', ['IpamDriver'], undefined],
    ],
  )
})

t.test('a spec file pointing at a TCP address on loopback', async (t) => {
  const { run, etc } = dirs(t)
  const net = memoryNetworkPlugin()
  const s = pluginServer({ network: net.handlers })
  await s.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => s.close())
  writeFileSync(join(etc, 'tcpplug.spec'), `${s.address}\n`)
  const reg = new PluginRegistry({ socketDirs: [run], specDirs: [etc] })
  t.teardown(() => reg.stop())
  const d = (await reg.driverResolver('tcpplug'))!({ logger })
  await d.createNetwork({
    networkId: 'n',
    name: 'n',
    options: {},
    ipv4: [],
    ipv6: [],
    enableIPv6: false,
    internal: false,
    labels: {},
  })
  t.ok(net.networks.has('n'), 'the call went over TCP')
  t.same(await reg.list(), [
    {
      name: 'tcpplug',
      address: s.address,
      source: join(etc, 'tcpplug.spec'),
      implements: ['NetworkDriver'],
      capability: {
        dataScope: 'local',
        connectivityScope: 'global',
        needsIpam: true,
        sharesHostNetwork: false,
      },
    },
  ])
})

t.test('an unreachable plugin is not remembered: the next use tries again', async (t) => {
  const { run, etc } = dirs(t)
  // A spec file for a plugin whose socket is not there yet.
  writeFileSync(join(etc, 'later.spec'), `unix://${join(run, 'later-real.sock')}`)
  const reg = new PluginRegistry({ socketDirs: [run], specDirs: [etc], retryFor: 0 })
  t.teardown(() => reg.stop())
  await t.rejects(Promise.resolve(reg.driverResolver('later')), {
    category: 'unavailable',
    code: 'plugin-unavailable',
  })
  t.same(await reg.list(), [
    {
      name: 'later',
      address: `unix://${join(run, 'later-real.sock')}`,
      source: join(etc, 'later.spec'),
    },
  ])
  await servePlugin(t, run, 'later-real', { network: memoryNetworkPlugin().handlers })
  t.ok(await reg.driverResolver('later'), 'found once it is up')
})
